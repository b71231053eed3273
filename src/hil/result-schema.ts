/**
 * The hil result (`hutctl.hil-result.v1`) as a schema: what `hil run --json` prints and every
 * `hil_*.json` evidence file holds. The JSON Schema users point tools at is made from it.
 */
import * as z from 'zod/mini';
import { idSchema } from '../contract/id-schemas.ts';
import '../contract/zod.ts';
import type { HilResult } from './run.ts';

const instant = z.iso.datetime({ offset: false });
const count = () => z.int().check(z.gte(0));
const millis = () => z.nullable(z.number().check(z.gte(0)));

export const hilResultSchema = z.strictObject({
  schema_version: z.literal('hutctl.hil-result.v1'),
  commit_sha: z.string().check(z.regex(/^[0-9a-f]{7,64}$/)),
  lane: z.literal('local-hil'),
  slot: idSchema('slot'),
  platform: z.nullable(z.string()),
  test_id: z.string().check(z.minLength(1)),
  status: z.enum(['pass', 'fail', 'blocked', 'skipped']),
  phase: z.enum(['lock', 'artifact', 'device', 'flash', 'power', 'boot', 'flash-verify', 'ledger']),
  reason: z.string(),
  power_cycles: count(),
  recovery_events: count(),
  recoveries: z.array(
    z.strictObject({
      phase: z.enum(['serial-reset', 'power-cycle']),
      outcome: z.enum(['booted', 'panic', 'reset_loop', 'hang', 'no_port', 'power', 'unsupported']),
      detail: z.nullable(z.string()),
    }),
  ),
  reset_reason: z.nullable(z.string()),
  app_version: z.nullable(z.string()),
  expected_version: z.nullable(z.string()),
  /** sha256 of the flashed artifact's file list (`<sha256>  <name>` lines, by name). */
  artifact_digest: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
  flash_ms: millis(),
  boot_ms: millis(),
  evidence: z.array(z.string()),
  evidence_error: z.optional(z.string()),
  /** A health check (slot health check, or before a job on a slot whose health is Unknown). */
  health_check: z.optional(z.boolean()),
  started_utc: instant,
  ended_utc: instant,
  duration_sec: z.number().check(z.gte(0)),
});

// The schema and the type say the same thing: either changing alone fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _same: Same<z.output<typeof hilResultSchema>, HilResult> = true;
void _same;
