/** The WS2 contract: ws2.invocation.v1 and ws2.report.v1, field for field as GOAL-001 defines them. */
import { z } from 'zod';
import { roleName, safeId } from './ids.ts';

export const TARGET_ROLES = ['infra', 'runner'] as const;
export const REPORT_STATUSES = ['success', 'failed', 'timeout', 'cancelled'] as const;

const utcInstant = z.iso.datetime({
  offset: false,
  message: 'expected an ISO 8601 UTC instant such as 2026-02-12T15:30:00Z',
});

const commitSha = z
  .string()
  .regex(/^(none|[0-9a-fA-F]{7,64})$/, { message: "expected a hex commit SHA or 'none'" });

export const invocationSchema = z
  .strictObject({
    schema_version: z.literal('ws2.invocation.v1'),
    job_id: safeId('job_id'),
    target_role: z.enum(TARGET_ROLES),
    requested_by: z.string().min(1),
    request_utc: utcInstant,
    commit_sha: commitSha.optional(),
    repo: z.string().min(1).optional(),
    workdir: z.string().min(1).optional(),
    command: z
      .array(z.string().min(1, { message: 'a step may not be empty' }))
      .min(1, { message: 'command needs at least one step' }),
    timeout_sec: z.number().int().positive(),
    lock_key: safeId('lock_key'),
    expected_artifacts: z.array(z.string().min(1)).optional(),
    notes: z.string().optional(),
  })
  .meta({
    $id: 'ws2.invocation.v1',
    title: 'ws2.invocation.v1',
    description:
      'A remote job request: which role runs which command steps, locked and time-bounded.',
  });

const stepResult = z.object({
  index: z.number().int().nonnegative(),
  command: z.string(),
  exit_code: z.number().int().nullable(),
  signal: z.string().nullable(),
  duration_sec: z.number().nonnegative(),
});

export const reportSchema = z
  .looseObject({
    schema_version: z.literal('ws2.report.v1'),
    job_id: safeId('job_id'),
    agent_role: roleName,
    status: z.enum(REPORT_STATUSES),
    start_utc: utcInstant,
    end_utc: utcInstant,
    duration_sec: z.number().nonnegative(),
    exit_code: z.number().int(),
    lock_key: safeId('lock_key'),
    executor: z
      .looseObject({
        hostname: z.string(),
        user: z.string(),
        transport: z.string().optional(),
        target: z.string().optional(),
      })
      .optional(),
    commit_sha: commitSha.optional(),
    artifact_paths: z.array(z.string()).optional(),
    human_summary: z.string(),
    next_action: z.string().optional(),
    // Optional additions beyond the v1 draft.
    signal: z.string().nullable().optional(),
    steps: z.array(stepResult).optional(),
    log_path: z.string().optional(),
  })
  .meta({
    $id: 'ws2.report.v1',
    title: 'ws2.report.v1',
    description: 'The machine-readable result of one job, written on every outcome.',
  });

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
