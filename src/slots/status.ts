/** `slot status`: presence, lock holder and last power state of every slot. */
import { spawnSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import type { HutConfig, Slot } from '../config/index.ts';
import { type LockOwner, ownerPathOf, readLockHolder } from '../locks/index.ts';
import { changeInterrupted, type PowerRecord, readPowerRecord } from '../power/state.ts';
import { slotLockPath } from './paths.ts';
import { ttyOf } from './watch.ts';

export interface SlotStatus {
  slot: string;
  serial: string;
  tty: string | null;
  locked: boolean;
  holder: LockOwner | null;
  power: PowerRecord | null;
  /** A power action that is under way, or was cut short (then `state` is not to be trusted). */
  power_change: { action: string; phase: string; interrupted: boolean } | null;
  /** Why the lock file was not probed (a symlink or other non-file in its place), or null. */
  lock_problem: string | null;
}

/** Whether the plain lock file at `path` is held exclusively now (a non-blocking shared probe). */
export type LockProbe = (path: string) => boolean | Promise<boolean>;

const probeNow: LockProbe = (path) =>
  spawnSync('flock', ['-n', '-s', path, 'true'], { stdio: 'ignore' }).status === 1;

/** Every slot's status; `probe` may answer from what it knows (serve keeps the answers). */
export async function slotStatus(
  config: HutConfig,
  probe: LockProbe = probeNow,
): Promise<SlotStatus[]> {
  return Promise.all(Object.values(config.slots).map((slot) => slotStatusOf(config, slot, probe)));
}

/** One slot's status. */
export async function slotStatusOf(
  config: HutConfig,
  slot: Slot,
  probe: LockProbe = probeNow,
): Promise<SlotStatus> {
  const path = slotLockPath(config, slot.id);
  const kind = lockFileKind(path);
  // A shared, non-blocking probe (only of a plain file: flock(1) would follow a planted
  // symlink, or block on a FIFO): fails only while someone holds the lock exclusively.
  const locked = kind === 'file' && (await probe(path));
  const power = await readPowerRecord(config.paths.stateDir, slot.id);
  return {
    slot: slot.id,
    serial: slot.serial,
    tty: ttyOf(slot.serial),
    locked,
    holder: locked ? readLockHolder(ownerPathOf(path)) : null,
    power,
    power_change: power?.changing
      ? {
          action: power.changing.action,
          phase: power.changing.phase,
          interrupted: changeInterrupted(power),
        }
      : null,
    lock_problem:
      kind === 'file' || kind === 'missing'
        ? null
        : `${path} is ${kind === 'symlink' ? 'a symbolic link' : 'not a plain file'}; hutctl will not use it`,
  };
}

function lockFileKind(path: string): 'file' | 'missing' | 'symlink' | 'other' {
  try {
    const stat = lstatSync(path);
    return stat.isFile() ? 'file' : stat.isSymbolicLink() ? 'symlink' : 'other';
  } catch {
    return 'missing';
  }
}
