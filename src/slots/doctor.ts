/** `slot doctor`: what is wrong between the slot map and the devices that are really there. */
import { accessSync, constants, existsSync, lstatSync, type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { directoryWarnings, type HutConfig } from '../config/index.ts';
import { localKeeper } from '../keeper/index.ts';
import { describeLink, type SerialDevice, scanSerial } from './inventory.ts';
import { slotLockPath } from './paths.ts';
import { readSeen, recordSeen } from './slots.ts';

export interface DoctorFinding {
  level: 'error' | 'warning' | 'info';
  slot: string | null;
  code:
    | 'missing'
    | 'shared_device'
    | 'duplicate_path'
    | 're_enumerated'
    | 'unmapped'
    | 'lock_file'
    | 'dir_mode'
    | 'keeper';
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
  for (const slot of Object.values(config.slots)) {
    const problem = lockFileProblem(slotLockPath(config, slot.id));
    if (problem)
      findings.push({
        level: 'error',
        slot: slot.id,
        code: 'lock_file',
        message: `slot ${slot.id}: ${problem}`,
      });
  }
  for (const warning of directoryWarnings(config))
    findings.push({ level: 'warning', slot: null, code: 'dir_mode', message: warning.message });
  const keeper = await localKeeper();
  findings.push(
    keeper
      ? {
          level: 'info',
          slot: null,
          code: 'keeper',
          message: `locks and local steps go through the keeper (perl, pid ${keeper.pid})`,
        }
      : {
          level: 'warning',
          slot: null,
          code: 'keeper',
          message:
            process.env.HUTCTL_KEEPER === 'off'
              ? 'the keeper is off (HUTCTL_KEEPER=off): a flock(1) process per lock and the step wrapper, a few ms more per job'
              : 'no keeper: perl is not installed, so each lock is a flock(1) process and each step runs under the shell wrapper, a few ms more per job (install perl-base)',
        },
  );
  return { findings, devices };
}

/** Why this user could not take a slot's lock file (flock(1) opens it read-only, creating it if missing), or null. */
function lockFileProblem(path: string): string | null {
  const stat = lstatQuietly(path);
  if (stat?.isSymbolicLink())
    return `its lock file ${path} is a symbolic link: hutctl refuses it (remove it if nobody put it there on purpose)`;
  if (stat && !stat.isFile())
    return `its lock file ${path} is not a plain file: hutctl refuses it (remove it)`;
  if (existsSync(path)) {
    try {
      accessSync(path, constants.R_OK);
      return null;
    } catch {
      return `cannot read its lock file ${path} (fix its owner or mode)`;
    }
  }
  // Missing: created on first use, with the directories above it, from the nearest that exists.
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) {
    return `cannot create its lock file ${path}: ${dir} is not a directory (set paths.slot_lock_dir)`;
  }
  try {
    accessSync(dir, constants.W_OK);
    return null;
  } catch {
    return `cannot create its lock file ${path}: ${dir} is not writable for this user (make it so, or set paths.slot_lock_dir)`;
  }
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

function lstatQuietly(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
