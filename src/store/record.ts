/**
 * Evidence into the ledger. Each kind of evidence file hutctl writes — a job's report, a hil
 * result, a power event — becomes rows keyed by the file's path, so recording a file again (live,
 * then by `store import`) changes nothing, and a ledger rebuilt from the evidence is the ledger
 * that was recorded live. What a file is comes from its `schema_version`, never its name, and
 * every file is checked against its schema before a row is written.
 */
import { readFile, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as z from 'zod/mini';
import { reportSchema } from '../contract/schemas.ts';
import { hilResultSchema } from '../hil/result-schema.ts';
import { powerEventSchema } from '../power/event.ts';
import type { Db, Value } from './db.ts';
import { healthEventSchema } from './health.ts';

/** Evidence files are a few KiB; anything far larger is not one of ours. */
const MAX_EVIDENCE_BYTES = 4 * 1024 * 1024;

export type Recorded = 'job' | 'hil' | 'power' | 'health';

/** Why a file was not recorded (not evidence of ours, or not valid), or what it was. */
export type RecordOutcome = { kind: Recorded } | { skipped: string };

/** Reads `path` and records what it holds. */
export async function recordFile(db: Db, path: string): Promise<RecordOutcome> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) return { skipped: 'not a regular file' };
    if (info.size > MAX_EVIDENCE_BYTES) return { skipped: 'larger than any evidence file' };
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { skipped: `cannot read it: ${(error as NodeJS.ErrnoException).code ?? error}` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { skipped: 'not JSON' };
  }
  return recordDocument(db, path, data);
}

const kinds = {
  'ws2.report.v1': ['job', reportSchema],
  'hutctl.hil-result.v1': ['hil', hilResultSchema],
  'hutctl.power-event.v1': ['power', powerEventSchema],
  'hutctl.health-event.v1': ['health', healthEventSchema],
} as const;

export async function recordDocument(db: Db, path: string, data: unknown): Promise<RecordOutcome> {
  const version = (data as { schema_version?: unknown } | null)?.schema_version;
  if (typeof version !== 'string' || !Object.hasOwn(kinds, version)) {
    return { skipped: 'not a hutctl evidence file' };
  }
  const [kind, schema] = kinds[version as keyof typeof kinds];
  const parsed = z.safeParse(schema as z.ZodMiniType, data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      skipped: `not a valid ${version}: ${issue?.path.join('.') || '(top)'}: ${issue?.message}`,
    };
  }
  const host = hostname();
  await db.transaction(async () => {
    if (kind === 'job')
      await recordJob(db, path, parsed.data as z.output<typeof reportSchema>, host);
    else if (kind === 'hil')
      await recordHil(db, path, parsed.data as z.output<typeof hilResultSchema>, host);
    else if (kind === 'power')
      await recordPower(db, path, parsed.data as z.output<typeof powerEventSchema>, host);
    else {
      const e = parsed.data as z.output<typeof healthEventSchema>;
      await upsert(db, 'health_events', 'evidence_path', {
        evidence_path: path,
        slot: e.slot,
        state: e.state,
        reason: e.reason,
        by_user: e.by,
        at_utc: e.at_utc,
      });
    }
  });
  return { kind };
}

/** INSERT … ON CONFLICT (key) DO UPDATE: the row becomes what the file says now. */
async function upsert(db: Db, table: string, key: string, row: Record<string, Value>) {
  const columns = Object.keys(row);
  const sets = columns.filter((c) => c !== key).map((c) => `${c} = excluded.${c}`);
  await db.run(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ON CONFLICT (${key}) DO UPDATE SET ${sets.join(', ')}`,
    Object.values(row),
  );
}

async function recordJob(db: Db, path: string, r: z.output<typeof reportSchema>, host: string) {
  await upsert(db, 'jobs', 'job_id', {
    job_id: r.job_id,
    role: r.agent_role,
    status: r.status,
    exit_code: r.exit_code ?? null,
    lock_key: r.lock_key,
    slot: r.slot ?? null,
    port: r.port ?? null,
    sha: r.commit_sha && r.commit_sha !== 'none' ? r.commit_sha : null,
    executor: r.executor ? `${r.executor.user}@${r.executor.hostname}` : null,
    thread_ref: r.thread_ref ?? null,
    host: r.executor?.hostname ?? host,
    start_utc: r.start_utc,
    end_utc: r.end_utc,
    duration_sec: r.duration_sec,
    recovery_events: r.recovery_events ?? 0,
    summary: r.human_summary,
    log_path: r.log_path ?? null,
    report_path: path,
    report: JSON.stringify(r),
  });
  await replaceRecoveries(
    db,
    path,
    r.slot ?? null,
    (r.recoveries ?? []).map((detail) => ({ phase: 'power-cycle', outcome: 'done', detail })),
    r.end_utc,
  );
}

async function recordHil(db: Db, path: string, r: z.output<typeof hilResultSchema>, host: string) {
  await upsert(db, 'hil_results', 'evidence_path', {
    evidence_path: path,
    sha: r.commit_sha,
    slot: r.slot,
    test_id: r.test_id,
    platform: r.platform,
    status: r.status,
    phase: r.phase,
    reason: r.reason,
    power_cycles: r.power_cycles,
    recovery_events: r.recovery_events,
    app_version: r.app_version,
    expected_version: r.expected_version,
    flash_ms: r.flash_ms,
    boot_ms: r.boot_ms,
    host,
    started_utc: r.started_utc,
    ended_utc: r.ended_utc,
    duration_sec: r.duration_sec,
    result: JSON.stringify(r),
    health_check: r.health_check ? 1 : 0,
  });
  await replaceRecoveries(db, path, r.slot, r.recoveries, r.ended_utc);
}

async function recordPower(
  db: Db,
  path: string,
  e: z.output<typeof powerEventSchema>,
  host: string,
) {
  await upsert(db, 'power_events', 'evidence_path', {
    evidence_path: path,
    slot: e.slot,
    action: e.action,
    status: e.status,
    attempts: e.attempts,
    total_ms: e.total_ms,
    error: e.error,
    job_id: e.job_id,
    host,
    started_utc: e.started_utc,
    ended_utc: e.ended_utc,
    event: JSON.stringify(e),
  });
}

async function replaceRecoveries(
  db: Db,
  source: string,
  slot: string | null,
  events: ReadonlyArray<{ phase: string; outcome: string; detail: string | null }>,
  at: string,
) {
  await db.run('DELETE FROM recoveries WHERE source = ?', [source]);
  for (const [seq, e] of events.entries()) {
    await db.run(
      'INSERT INTO recoveries (source, seq, slot, phase, outcome, detail, at_utc) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [source, seq, slot, e.phase, e.outcome, e.detail, at],
    );
  }
}
