/** What hutctl last saw of each slot's power: kept for `slot status` and the cooldown rule. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/index.ts';
import type { RelayState } from './backend.ts';

export interface PowerRecord {
  slot: string;
  state: RelayState | null;
  observed_utc: string;
  /** When the last power cycle of this slot ended (for the cooldown). */
  last_cycle_end_utc?: string;
  last_cycle_status?: string;
}

export function powerRecordPath(stateDir: string, slot: string): string {
  return join(stateDir, 'power', `${slot}.json`);
}

export async function readPowerRecord(stateDir: string, slot: string): Promise<PowerRecord | null> {
  try {
    return JSON.parse(await readFile(powerRecordPath(stateDir, slot), 'utf8')) as PowerRecord;
  } catch {
    return null;
  }
}

export async function writePowerRecord(stateDir: string, record: PowerRecord): Promise<void> {
  await writeFileAtomic(
    powerRecordPath(stateDir, record.slot),
    `${JSON.stringify(record, null, 2)}\n`,
  );
}

/** Records what the relay read, keeping the last cycle's time and outcome. */
export async function recordObserved(
  stateDir: string,
  slot: string,
  state: RelayState | null,
): Promise<void> {
  const previous = await readPowerRecord(stateDir, slot);
  await writePowerRecord(stateDir, {
    ...previous,
    slot,
    state,
    observed_utc: new Date().toISOString(),
  });
}
