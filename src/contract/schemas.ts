/** The WS2 contract: ws2.invocation.v1 and ws2.report.v1, field for field as GOAL-001 defines them. */

import * as z from 'zod/mini';
import { idSchema, roleName, safeId } from './id-schemas.ts';
import './zod.ts';

export const TARGET_ROLES = ['infra', 'runner'] as const;

/** The WS2 guardrails: each role's default and maximum time budget, in seconds. */
export const ROLE_TIMEOUTS = {
  infra: { defaultSec: 600, maxSec: 3600 },
  runner: { defaultSec: 1800, maxSec: 14400 },
} as const;
export const REPORT_STATUSES = ['success', 'failed', 'timeout', 'cancelled'] as const;

const utcInstant = z.iso.datetime({
  offset: false,
  error: 'expected an ISO 8601 UTC instant such as 2026-02-12T15:30:00Z',
});

const commitSha = z
  .string()
  .check(z.regex(/^(none|[0-9a-fA-F]{7,64})$/, { error: "expected a hex commit SHA or 'none'" }));

/** Text that can reach a program: a NUL byte would cut it short there, so it is refused here. */
const noNul = (what: string) =>
  z.refine<string>((value) => !value.includes('\0'), {
    error: `${what} may not contain a NUL byte`,
  });
const nonEmpty = (what = 'a value') => z.string().check(z.minLength(1), noNul(what));

export const invocationSchema = z
  .strictObject({
    schema_version: z.literal('ws2.invocation.v1'),
    job_id: safeId('job_id'),
    target_role: z.enum(TARGET_ROLES),
    requested_by: nonEmpty('requested_by'),
    request_utc: utcInstant,
    commit_sha: z.optional(commitSha),
    repo: z.optional(nonEmpty('repo')),
    workdir: z.optional(nonEmpty('workdir')),
    command: z
      .array(
        z.string().check(z.minLength(1, { error: 'a step may not be empty' }), noNul('a step')),
      )
      .check(z.minLength(1, { error: 'command needs at least one step' })),
    timeout_sec: z.int().check(z.positive()),
    lock_key: safeId('lock_key'),
    expected_artifacts: z.optional(z.array(nonEmpty('an expected artifact'))),
    notes: z.optional(z.string().check(noNul('notes'))),
  })
  .check(
    // One policy for `contract validate` and `job run`: the role's maximum time budget.
    z.superRefine((inv, ctx) => {
      const limits = Object.hasOwn(ROLE_TIMEOUTS, inv.target_role)
        ? ROLE_TIMEOUTS[inv.target_role]
        : undefined;
      if (limits && inv.timeout_sec > limits.maxSec) {
        ctx.issues.push({
          code: 'custom',
          path: ['timeout_sec'],
          input: inv.timeout_sec,
          message: `${inv.timeout_sec} s is above the ${inv.target_role} maximum of ${limits.maxSec} s (the default is ${limits.defaultSec})`,
        });
      }
    }),
    z.meta({
      $id: 'ws2.invocation.v1',
      title: 'ws2.invocation.v1',
      description:
        'A remote job request: which role runs which command steps, locked and time-bounded.',
    }),
  );

const stepResult = z.object({
  index: z.int().check(z.nonnegative()),
  command: z.string(),
  exit_code: z.nullable(z.int()),
  signal: z.nullable(z.string()),
  duration_sec: z.number().check(z.nonnegative()),
});

export const reportSchema = z
  .looseObject({
    schema_version: z.literal('ws2.report.v1'),
    job_id: safeId('job_id'),
    agent_role: roleName,
    status: z.enum(REPORT_STATUSES),
    start_utc: utcInstant,
    end_utc: utcInstant,
    duration_sec: z.number().check(z.nonnegative()),
    exit_code: z.int(),
    lock_key: safeId('lock_key'),
    executor: z.optional(
      z.looseObject({
        hostname: z.string(),
        user: z.string(),
        transport: z.optional(z.string()),
        target: z.optional(z.string()),
      }),
    ),
    commit_sha: z.optional(commitSha),
    artifact_paths: z.optional(z.array(z.string())),
    human_summary: z.string(),
    next_action: z.optional(z.string()),
    // Optional additions beyond the v1 draft.
    signal: z.optional(z.nullable(z.string())),
    steps: z.optional(z.array(stepResult)),
    log_path: z.optional(z.string()),
    recovery_events: z.optional(z.int().check(z.nonnegative())),
    recoveries: z.optional(z.array(z.string())),
    slot: z.optional(idSchema('slot')),
    port: z.optional(z.string()),
    thread_ref: z.optional(z.nullable(z.string())),
  })
  .check(
    z.meta({
      $id: 'ws2.report.v1',
      title: 'ws2.report.v1',
      description: 'The machine-readable result of one job, written on every outcome.',
    }),
  );

export type Invocation = z.infer<typeof invocationSchema>;
export type Report = z.infer<typeof reportSchema>;
export type ReportStatus = (typeof REPORT_STATUSES)[number];
export type StepResult = z.infer<typeof stepResult>;

export const CONTRACTS = {
  'ws2.invocation.v1': invocationSchema,
  'ws2.report.v1': reportSchema,
} as const;

export type ContractName = keyof typeof CONTRACTS;

/** The JSON Schema (draft 2020-12) of a contract, as checked in under schemas/. */
export function jsonSchemaOf(name: ContractName): Record<string, unknown> {
  return z.toJSONSchema(CONTRACTS[name], { target: 'draft-2020-12', io: 'input' }) as Record<
    string,
    unknown
  >;
}
