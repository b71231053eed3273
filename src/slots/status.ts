/** `slot status`: presence, lock holder and last power state of every slot. */
import { spawnSync } from 'node:child_process';
import type { HutConfig } from '../config/index.ts';
import { type LockOwner, ownerPathOf, readLockHolder } from '../locks/index.ts';
import { type PowerRecord, readPowerRecord } from '../power/state.ts';
import { slotLockPath } from './paths.ts';
import { ttyOf } from './watch.ts';

export interface SlotStatus {
  slot: string;
  serial: string;
  tty: string | null;
  locked: boolean;
  holder: LockOwner | null;
  power: PowerRecord | null;
}

export async function slotStatus(config: HutConfig): Promise<SlotStatus[]> {
  const rows: SlotStatus[] = [];
  for (const slot of Object.values(config.slots)) {
    const path = slotLockPath(config, slot.id);
    // A shared, non-blocking probe: fails only while someone holds the lock exclusively.
    const probe = spawnSync('flock', ['-n', '-s', path, 'true'], { stdio: 'ignore' });
    const locked = probe.status === 1;
    rows.push({
      slot: slot.id,
      serial: slot.serial,
      tty: ttyOf(slot.serial),
      locked,
      holder: locked ? readLockHolder(ownerPathOf(path)) : null,
      power: await readPowerRecord(config.paths.stateDir, slot.id),
    });
  }
  return rows;
}
