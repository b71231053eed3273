/**
 * A power event: one record per cycle, switch or cold boot of a relay, written as evidence
 * (`runner_power_<action>_<slot>_<stamp>_<random>_utc.json`) so the ledger can count every one,
 * hil's cold boots and recoveries included. Writing it never fails the power action: a problem
 * comes back as a note for the caller's result.
 */
import { join } from 'node:path';
import * as z from 'zod/mini';
import type { HutConfig } from '../config/index.ts';
import { utcStamp } from '../contract/ids.ts';
import '../contract/zod.ts';
import {
  checkWritableDir,
  fsReason,
  privateDir,
  randomHex,
  writeFileAtomic,
} from '../files/index.ts';
import { noteEvidence } from '../store/ledger.ts';

const instant = z.iso.datetime({ offset: true });

export const powerEventSchema = z.strictObject({
  schema_version: z.literal('hutctl.power-event.v1'),
  slot: z.string().check(z.minLength(1)),
  /** `boot`: hil's cold boot (off, wait, on, then the test reads the serial log). */
  action: z.enum(['cycle', 'on', 'off', 'boot']),
  backend: z.string(),
  status: z.string().check(z.minLength(1)),
  attempts: z.int().check(z.gte(0)),
  total_ms: z.number().check(z.gte(0)),
  error: z.nullable(z.string()),
  last_state: z.nullable(z.string()),
  /** The job (slot run, hil) it was part of, when it was part of one. */
  job_id: z.nullable(z.string()),
  phases: z.array(
    z.strictObject({
      attempt: z.int(),
      phase: z.string(),
      duration_ms: z.number().check(z.gte(0)),
    }),
  ),
  started_utc: instant,
  ended_utc: instant,
});

export type PowerEvent = z.output<typeof powerEventSchema>;

/** Writes the event into the evidence directory; returns why it could not, or null. */
export async function writePowerEvent(
  config: HutConfig,
  event: Omit<PowerEvent, 'schema_version'>,
): Promise<string | null> {
  const dir = config.paths.evidenceDir;
  const ended = new Date(event.ended_utc);
  const name = `runner_power_${event.action}_${event.slot}_${utcStamp(ended)}_${randomHex(6)}_utc.json`;
  const path = join(dir, name);
  try {
    privateDir(dir, config.paths.shareGroup);
    checkWritableDir(dir);
    await writeFileAtomic(
      path,
      `${JSON.stringify({ schema_version: 'hutctl.power-event.v1', ...event }, null, 2)}\n`,
    );
  } catch (error) {
    return `the power event could not be written to ${path}: ${fsReason(error)}`;
  }
  noteEvidence(config, path);
  return null;
}
