/**
 * The schemas of the evidence kinds hutctl defines beside the contracts and the hil result: a
 * power event, a person's health decision and an edit hutctl made to a document. `store import` checks every file against them;
 * hutctl's own writers use the matching types, which these are held to.
 */
import * as z from 'zod/mini';
import { idSchema } from '../contract/id-schemas.ts';
import '../contract/zod.ts';
import type { DocEdit } from '../docs/edit-evidence.ts';
import { POWER_STATUSES, type PowerEvent } from '../power/event.ts';
import type { ActionRecord } from '../serve/actions.ts';
import type { HealthEvent } from './health.ts';

const instant = z.iso.datetime({ offset: true });

export const powerEventSchema = z.strictObject({
  schema_version: z.literal('hutctl.power-event.v1'),
  slot: idSchema('slot'),
  action: z.enum(['cycle', 'on', 'off', 'boot']),
  backend: z.string(),
  status: z.enum(POWER_STATUSES),
  attempts: z.int().check(z.gte(0)),
  total_ms: z.number().check(z.gte(0)),
  error: z.nullable(z.string()),
  last_state: z.nullable(z.string()),
  job_id: z.nullable(idSchema('job_id')),
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

export const healthEventSchema = z.strictObject({
  schema_version: z.literal('hutctl.health-event.v1'),
  slot: idSchema('slot'),
  state: z.enum(['good', 'maintenance', 'retired', 'looping']),
  reason: z.string().check(z.minLength(1)),
  by: z.string().check(z.minLength(1)),
  at_utc: instant,
});

export const actionSchema = z.strictObject({
  schema_version: z.literal('hutctl.action.v1'),
  action: z.enum([
    'power-cycle',
    'power-on',
    'power-off',
    'health',
    'cancel',
    'lease',
    'release',
    'run',
    'hil-run',
    'handoff',
  ]),
  slot: z.nullable(z.string().check(z.minLength(1))),
  job_id: z.nullable(z.string().check(z.minLength(1))),
  by: z.string().check(z.minLength(1)),
  via: z.enum(['http', 'mcp']),
  reason: z.string(),
  outcome: z.enum(['started', 'done', 'failed', 'refused']),
  detail: z.nullable(z.string()),
  at_utc: instant,
});

const count = z.int().check(z.gte(0));

export const docEditSchema = z.strictObject({
  schema_version: z.literal('hutctl.doc-edit.v1'),
  repository: z.string().check(z.minLength(1)),
  document: z.string().check(z.minLength(1)),
  edit: z.string().check(z.regex(/^[a-z][a-z-]{0,31}$/)),
  summary: z.string().check(z.maxLength(1000)),
  by: z.string().check(z.minLength(1)),
  role: z.nullable(z.string().check(z.regex(/^[a-z][a-z0-9-]{0,31}$/))),
  command: z.string().check(z.minLength(1)),
  lines_added: count,
  lines_removed: count,
  commit_sha: z.nullable(z.string().check(z.regex(/^[0-9a-f]{7,64}$/))),
  evidence: z.nullable(z.string()),
  host: z.string().check(z.minLength(1)),
  at_utc: instant,
});

// Each schema and its type say the same thing: either changing alone fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _power: Same<z.output<typeof powerEventSchema>, PowerEvent> = true;
const _health: Same<z.output<typeof healthEventSchema>, HealthEvent> = true;
const _edit: Same<z.output<typeof docEditSchema>, DocEdit> = true;
void _power;
void _health;
const _action: Same<z.output<typeof actionSchema>, ActionRecord> = true;
void _action;
void _edit;
