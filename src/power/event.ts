/**
 * A power event: one record per cycle, switch or cold boot of a relay, written as evidence
 * (`runner_power_<action>_<slot>_<stamp>_<random>_utc.json`) so the ledger can count every one,
 * hil's cold boots and recoveries included. Writing it never fails the power action: a problem
 * comes back as a note for the caller's result.
 */
import { join } from 'node:path';
import type { HutConfig } from '../config/index.ts';
import { utcStamp } from '../contract/ids.ts';
import { fsReason, privateDir, randomHex, writeFileAtomic } from '../files/index.ts';
import { noteEvidence } from '../store/ledger.ts';

/** How a power action ended: done, Home Assistant's error, no confirmation in time, stopped, or other. */
export const POWER_STATUSES = ['ok', 'ha_error', 'timeout', 'cancelled', 'error'] as const;

/** `hutctl.power-event.v1` (its schema, for `store import`, is in store/evidence-schemas.ts). */
export interface PowerEvent {
  schema_version: 'hutctl.power-event.v1';
  slot: string;
  /** `boot`: hil's cold boot (off, wait, on, then the test reads the serial log). */
  action: 'cycle' | 'on' | 'off' | 'boot';
  backend: string;
  status: (typeof POWER_STATUSES)[number];
  attempts: number;
  total_ms: number;
  error: string | null;
  last_state: string | null;
  /** The job (slot run, hil) it was part of, when it was part of one. */
  job_id: string | null;
  phases: Array<{ attempt: number; phase: string; duration_ms: number }>;
  started_utc: string;
  ended_utc: string;
}

/** Writes the event into the evidence directory; returns why it could not, or null. */
export async function writePowerEvent(
  config: HutConfig,
  event: Omit<PowerEvent, 'schema_version'>,
): Promise<string | null> {
  const dir = config.paths.evidenceDir;
  const ended = new Date(event.ended_utc);
  const name = `runner_power_${event.action}_${event.slot}_${utcStamp(ended)}_${randomHex(6)}_utc.json`;
  const path = join(dir, name);
  const document: PowerEvent = { schema_version: 'hutctl.power-event.v1', ...event };
  try {
    // A directory that cannot be written fails the write itself, with its reason.
    privateDir(dir, config.paths.shareGroup);
    await writeFileAtomic(path, `${JSON.stringify(document, null, 2)}\n`);
  } catch (error) {
    return `the power event could not be written to ${path}: ${fsReason(error)}`;
  }
  noteEvidence(config, path);
  return null;
}
