/** `slot doctor`: what is wrong between the slot map and the devices that are really there. */
import type { HutConfig } from '../config/index.ts';
import { describeLink, type SerialDevice, scanSerial } from './inventory.ts';
import { readSeen, recordSeen } from './slots.ts';

export interface DoctorFinding {
  level: 'error' | 'warning' | 'info';
  slot: string | null;
  code: 'missing' | 'shared_device' | 'duplicate_path' | 're_enumerated' | 'unmapped';
  message: string;
}

export async function doctor(
  config: HutConfig,
): Promise<{ findings: DoctorFinding[]; devices: SerialDevice[] }> {
  const findings: DoctorFinding[] = [];
  const devices = await scanSerial(config.serial.byIdDir);
  const byTty = new Map<string, string[]>();
  const byPath = new Map<string, string[]>();
  for (const slot of Object.values(config.slots)) {
    byPath.set(slot.serial, [...(byPath.get(slot.serial) ?? []), slot.id]);
    const device = await describeLink(slot.serial);
    if (device.tty === null) {
      findings.push({
        level: 'error',
        slot: slot.id,
        code: 'missing',
        message: `slot ${slot.id}: ${slot.serial} does not exist (board unplugged or powered off? run 'hutctl slot scan')`,
      });
      continue;
    }
    byTty.set(device.tty, [...(byTty.get(device.tty) ?? []), slot.id]);
    const seen = await readSeen(config.paths.stateDir, slot.id);
    if (seen?.tty && seen.tty !== device.tty) {
      findings.push({
        level: 'warning',
        slot: slot.id,
        code: 're_enumerated',
        message: `slot ${slot.id}: its link now points to ${device.tty}, was ${seen.tty} (the board re-enumerated; the slot is unchanged)`,
      });
    }
    await recordSeen(config.paths.stateDir, slot.id, device.tty);
  }
  for (const [path, slots] of byPath) {
    if (slots.length > 1) {
      findings.push({
        level: 'error',
        slot: null,
        code: 'duplicate_path',
        message: `slots ${slots.join(', ')} are all mapped to ${path}`,
      });
    }
  }
  for (const [tty, slots] of byTty) {
    if (slots.length > 1) {
      findings.push({
        level: 'error',
        slot: null,
        code: 'shared_device',
        message: `slots ${slots.join(', ')} all resolve to one device, ${tty}`,
      });
    }
  }
  const mapped = new Set(Object.values(config.slots).map((s) => s.serial));
  for (const device of devices) {
    if (!mapped.has(device.path)) {
      findings.push({
        level: 'info',
        slot: null,
        code: 'unmapped',
        message: `${device.path} (${device.tty ?? 'dangling'}) is not mapped to any slot`,
      });
    }
  }
  return { findings, devices };
}

/** Slot entries for devices no slot maps yet: never one for a device that is not there. */
export function proposeSlots(
  config: HutConfig,
  devices: SerialDevice[],
): Array<{ id: string; serial: string; tty: string }> {
  const mapped = new Set(Object.values(config.slots).map((s) => s.serial));
  const taken = new Set(Object.keys(config.slots));
  let n = 1;
  const proposals: Array<{ id: string; serial: string; tty: string }> = [];
  for (const device of devices) {
    if (mapped.has(device.path) || device.tty === null) continue;
    while (taken.has(`hut-${String(n).padStart(2, '0')}`)) n++;
    const id = `hut-${String(n).padStart(2, '0')}`;
    taken.add(id);
    proposals.push({ id, serial: device.name, tty: device.tty });
  }
  return proposals;
}
