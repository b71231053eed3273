/**
 * Rows from evidence documents: what each kind of evidence becomes in the ledger, keyed by its
 * file's path. The documents are trusted here — hutctl has just written them, or record.ts has
 * checked them against their schemas — so this module loads no schema library: recording what a
 * command wrote costs a job only the database's own time.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Report } from '../contract/schemas.ts';
import type { HilResult } from '../hil/run.ts';
import type { PowerEvent } from '../power/event.ts';
import type { ActionRecord } from '../serve/actions.ts';
import type { Db, Value } from './db.ts';
import type { HealthEvent } from './health.ts';

export type Recorded = 'job' | 'hil' | 'power' | 'health' | 'action';

/** The kind of evidence a document is, by its schema_version. */
export const KINDS: Record<string, Recorded> = {
  'ws2.report.v1': 'job',
  'hutctl.hil-result.v1': 'hil',
  'hutctl.power-event.v1': 'power',
  'hutctl.health-event.v1': 'health',
  'hutctl.action.v1': 'action',
};

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
    else if (kind === 'hil') await recordHil(db, path, data as HilResult, host);
    else if (kind === 'power') await recordPower(db, path, data as PowerEvent, host);
    else if (kind === 'health') await recordHealth(db, path, data as HealthEvent);
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
