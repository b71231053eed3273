/**
 * Rows from evidence documents: what each kind of evidence becomes in the ledger, keyed by its
 * file's path. The documents are trusted here — hutctl has just written them, or record.ts has
 * checked them against their schemas — so this module loads no schema library: recording what a
 * command wrote costs a job only the database's own time.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Report } from '../contract/schemas.ts';
import type { DocEdit } from '../docs/edit-evidence.ts';
import type { HilResult } from '../hil/run.ts';
import type { PowerEvent } from '../power/event.ts';
import type { ActionRecord } from '../serve/actions.ts';
import type { Db, Value } from './db.ts';
import type { HealthEvent } from './health.ts';

export type Recorded = 'job' | 'delegation' | 'hil' | 'power' | 'health' | 'doc_edit' | 'action';

/** The kind of evidence each schema_version is (a report may also be a delegation: kindOf). */
export const KINDS: Record<string, Recorded> = {
  'ws2.report.v1': 'job',
  'hutctl.hil-result.v1': 'hil',
  'hutctl.power-event.v1': 'power',
  'hutctl.health-event.v1': 'health',
  'hutctl.action.v1': 'action',
  'hutctl.doc-edit.v1': 'doc_edit',
};

/** What the executor of a delegation's report says it was (docs/delegation.md). */
const DELEGATED = ['remote_codex', 'codex_exec'];

/** The kind of evidence a document is: its schema_version, and for a report, who ran it. */
export function kindOf(document: unknown): Recorded | null {
  const data = document as { schema_version?: unknown; executor?: { transport?: unknown } } | null;
  const version = data?.schema_version;
  if (typeof version !== 'string' || !Object.hasOwn(KINDS, version)) return null;
  const kind = KINDS[version]!;
  return kind === 'job' && DELEGATED.includes(String(data?.executor?.transport))
    ? 'delegation'
    : kind;
}

/** Records a document hutctl wrote itself (no schema check), in one transaction. */
export async function recordTrusted(
  db: Db,
  file: string,
  kind: Recorded,
  document: unknown,
): Promise<void> {
  const host = hostname();
  // One spelling per file (the rows' key) and per instant (times compare as text: `…:44Z` would
  // sort after `…:44.675Z`), however the path was typed or the time was written.
  const path = resolve(file);
  const data = withCanonicalTimes(document);
  await db.transaction(async () => {
    if (kind === 'job') await recordJob(db, path, data as Report, host);
    else if (kind === 'delegation') {
      // A delegation is a job of the contract too: `job list` shows it with the others.
      await recordJob(db, path, data as Report, host);
      await recordDelegation(db, path, data as Report, host);
    } else if (kind === 'hil') await recordHil(db, path, data as HilResult, host);
    else if (kind === 'power') await recordPower(db, path, data as PowerEvent, host);
    else if (kind === 'health') await recordHealth(db, path, data as HealthEvent);
    else if (kind === 'doc_edit') await recordDocEdit(db, path, data as DocEdit);
    else await recordAction(db, path, data as ActionRecord);
  });
}

/** Every `*_utc` field of a document as `Date#toISOString` writes it (milliseconds, `Z`). */
function withCanonicalTimes(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const copy: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const [key, value] of Object.entries(copy)) {
    if (key.endsWith('_utc') && typeof value === 'string') {
      const at = Date.parse(value);
      if (!Number.isNaN(at)) copy[key] = new Date(at).toISOString();
    }
  }
  return copy;
}

export async function recordHealth(db: Db, path: string, e: HealthEvent) {
  await upsert(db, 'health_events', 'evidence_path', {
    evidence_path: path,
    slot: e.slot,
    state: e.state,
    reason: e.reason,
    by_user: e.by,
    at_utc: e.at_utc,
  });
}

export async function recordAction(db: Db, path: string, a: ActionRecord) {
  await upsert(db, 'actions', 'evidence_path', {
    evidence_path: path,
    action: a.action,
    slot: a.slot,
    job_id: a.job_id,
    by_user: a.by,
    via: a.via,
    reason: a.reason,
    outcome: a.outcome,
    detail: a.detail,
    at_utc: a.at_utc,
  });
}

/** A delegation's report: its role, thread, turns, tokens and outcome. */
export async function recordDelegation(db: Db, path: string, r: Report, host: string) {
  const number = (value: unknown) => (typeof value === 'number' ? value : null);
  const executor = r.executor as { hostname?: string; transport?: string } | undefined;
  await upsert(db, 'delegations', 'evidence_path', {
    evidence_path: path,
    job_id: r.job_id,
    role: r.agent_role,
    thread_ref: r.thread_ref ?? null,
    goal: typeof r.goal === 'string' ? r.goal : null,
    mechanism:
      typeof r.mechanism === 'string'
        ? r.mechanism
        : executor?.transport === 'codex_exec'
          ? 'exec'
          : 'app-server',
    status: r.status,
    exit_code: r.exit_code,
    // A report from before `turns` was written: one turn when it has a thread.
    turns: number(r.turns) ?? (r.thread_ref ? 1 : 0),
    tokens_in: number(r.input_tokens),
    tokens_out: number(r.output_tokens),
    tokens_total: number(r.turn_tokens),
    host: executor?.hostname ?? host,
    started_utc: r.start_utc,
    ended_utc: r.end_utc,
    summary: r.human_summary,
  });
}

export async function recordDocEdit(db: Db, path: string, e: DocEdit) {
  await upsert(db, 'doc_edits', 'evidence_path', {
    evidence_path: path,
    repository: e.repository,
    document: e.document,
    edit: e.edit,
    summary: e.summary,
    by_agent: e.by,
    role: e.role,
    command: e.command,
    lines_added: e.lines_added,
    lines_removed: e.lines_removed,
    commit_sha: e.commit_sha,
    evidence: e.evidence,
    host: e.host,
    at_utc: e.at_utc,
  });
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

export async function recordJob(db: Db, path: string, r: Report, host: string) {
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

export async function recordHil(db: Db, path: string, r: HilResult, host: string) {
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
    artifact_digest: r.artifact_digest ?? null,
  });
  await replaceRecoveries(db, path, r.slot, r.recoveries, r.ended_utc);
}

export async function recordPower(db: Db, path: string, e: PowerEvent, host: string) {
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
