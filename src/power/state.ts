/** What hutctl last saw of each slot's power: kept for `slot status` and the cooldown rule. */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { checkId } from '../contract/ids.ts';
import { pathUnder, writeFileAtomic } from '../files/index.ts';
import type { RelayState } from './backend.ts';

export interface PowerRecord {
  slot: string;
  state: RelayState | null;
  observed_utc: string;
  /** When the last power cycle of this slot ended (for the cooldown). */
  last_cycle_end_utc?: string;
  last_cycle_status?: string;
  /**
   * Set while hutctl is switching the relay (and left behind when that was cut short): which
   * action, the phase it had reached, and who. While it is set, `state` is only the last state
   * confirmed before that phase.
   */
  changing?: {
    action: 'cycle' | 'on' | 'off';
    phase: string;
    pid: number;
    host: string;
    since: string;
  };
}

export function powerRecordPath(stateDir: string, slot: string): string {
  return pathUnder(stateDir, 'power', `${checkId('slot', slot)}.json`);
}

export async function readPowerRecord(stateDir: string, slot: string): Promise<PowerRecord | null> {
  try {
    return JSON.parse(await readFile(powerRecordPath(stateDir, slot), 'utf8')) as PowerRecord;
  } catch {
    return null;
  }
}

/**
 * Writes the record. A record is what hutctl remembers, not what it did: a state directory that
 * cannot be written (full, read-only) never fails a power action, and comes back as a note.
 */
export async function writePowerRecord(
  stateDir: string,
  record: PowerRecord,
  durable = true,
): Promise<string | null> {
  const path = powerRecordPath(stateDir, record.slot);
  try {
    await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`, { durable });
    return null;
  } catch (error) {
    return `the power record ${path} could not be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
}

/**
 * Records that the relay is about to change (`phase`), and what was last confirmed, before the
 * change is asked for: a power action that is killed midway leaves a record that says so.
 */
export async function recordChanging(
  stateDir: string,
  slot: string,
  action: 'cycle' | 'on' | 'off',
  phase: string,
  confirmed?: RelayState | null,
): Promise<string | null> {
  const previous = await readPowerRecord(stateDir, slot);
  const now = new Date().toISOString();
  return writePowerRecord(
    stateDir,
    {
      ...previous,
      slot,
      state: confirmed === undefined ? (previous?.state ?? null) : confirmed,
      observed_utc: confirmed === undefined ? (previous?.observed_utc ?? now) : now,
      changing: { action, phase, pid: process.pid, host: hostname(), since: now },
    },
    false,
  );
}

/** Whether the power action a record names is still under way (only knowable on its host). */
export function changeInterrupted(record: PowerRecord): boolean {
  const change = record.changing;
  if (!change || change.host !== hostname()) return false;
  try {
    process.kill(change.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** Records what the relay read, keeping the last cycle's time and outcome. */
export async function recordObserved(
  stateDir: string,
  slot: string,
  state: RelayState | null,
): Promise<string | null> {
  const { changing: _done, ...previous } = (await readPowerRecord(stateDir, slot)) ?? {};
  return writePowerRecord(stateDir, {
    ...previous,
    slot,
    state,
    observed_utc: new Date().toISOString(),
  });
}
