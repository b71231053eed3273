/** `slot scan`: the inventory, plus its evidence log `runner_hil_topo_inventory_<ts>_utc.log`. */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { HutConfig } from '../config/index.ts';
import { utcStamp } from '../contract/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { type SerialDevice, scanSerial } from './inventory.ts';

export interface ScanResult {
  by_id_dir: string;
  devices: Array<SerialDevice & { slot: string | null }>;
  log_path: string;
}

export async function scanInventory(config: HutConfig, evidenceDir: string): Promise<ScanResult> {
  const when = new Date();
  const bySerial = new Map(Object.values(config.slots).map((s) => [s.serial, s.id]));
  const devices = (await scanSerial(config.serial.byIdDir)).map((d) => ({
    ...d,
    slot: bySerial.get(d.path) ?? null,
  }));
  const logPath = join(evidenceDir, `runner_hil_topo_inventory_${utcStamp(when)}_utc.log`);
  const lines = [
    `# hutctl slot scan ${when.toISOString()} on ${hostname()}: ${config.serial.byIdDir}`,
    `by_id_count=${devices.length}`,
    ...devices.map(
      (d) =>
        `${d.name} -> ${d.tty ?? '(dangling)'} slot=${d.slot ?? '-'} vid:pid=${d.vendor_id ?? '?'}:${d.product_id ?? '?'} serial=${d.serial_number ?? '?'}`,
    ),
    ...Object.values(config.slots)
      .filter((s) => !devices.some((d) => d.path === s.serial))
      .map((s) => `missing: slot ${s.id} -> ${s.serial}`),
    '',
  ];
  await writeFileAtomic(logPath, lines.join('\n'));
  return { by_id_dir: config.serial.byIdDir, devices, log_path: logPath };
}
