/** What the history commands ask the ledger, the same SQL for both engines. */
import { HutError } from '../errors/index.ts';
import type { Db, Row, Value } from './db.ts';

export interface HistoryFilter {
  /** An ISO-8601 instant: only what started at or after it. */
  since?: string;
  slot?: string;
  /** A commit SHA or a prefix of one (at least 7 hex digits). */
  sha?: string;
  status?: string;
  role?: string;
  limit: number;
}

/** `7d`, `24h`, `90m`, `30s`, or a date or instant, into the ISO instant it means. */
export function sinceInstant(text: string, now = new Date()): string {
  const relative = /^(\d{1,6})([smhd])$/.exec(text);
  if (relative) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[relative[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(relative[1]) * unit * 1000).toISOString();
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?Z)?$/.exec(
    text,
  );
  if (date) {
    const [year, month, day, hour, minute, second] = date
      .slice(1, 7)
      .map((part) => Number(part ?? 0));
    // Date rolls an impossible day or time over (2026-02-30 is 2 March): refused instead.
    if (month! < 1 || month! > 12)
      throw new HutError('USAGE', `--since ${text}: there is no month ${date[2]}`);
    const days = daysIn(year!, month!);
    if (day! < 1 || day! > days)
      throw new HutError(
        'USAGE',
        `--since ${text}: there is no day ${date[3]} in ${MONTHS[month! - 1]} ${year} (it has ${days})`,
      );
    if (hour! > 23 || minute! > 59 || second! > 59)
      throw new HutError(
        'USAGE',
        `--since ${text}: ${text.slice(11, -1)} is not a time of day (00:00 to 23:59:59)`,
      );
    return new Date(text.length === 10 ? `${text}T00:00:00Z` : text).toISOString();
  }
  throw new HutError(
    'USAGE',
    `--since ${text}: expected a duration such as 7d, 24h, 90m, or a UTC date such as 2026-11-01`,
  );
}

/** The days in a month (1 to 12) of a year, leap years included. */
function daysIn(year: number, month: number): number {
  const last = new Date(0);
  last.setUTCFullYear(year, month, 0);
  return last.getUTCDate();
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** WHERE clauses and parameters for the filters a table has. */
function where(
  filter: HistoryFilter,
  columns: { time: string; slot?: string; sha?: string; status?: string; role?: string },
): { sql: string; params: Value[] } {
  const clauses: string[] = [];
  const params: Value[] = [];
  if (filter.since) {
    clauses.push(`${columns.time} >= ?`);
    params.push(filter.since);
  }
  const exact = (column: string | undefined, value: string | undefined) => {
    if (value === undefined || column === undefined) return;
    clauses.push(`${column} = ?`);
    params.push(value);
  };
  exact(columns.slot, filter.slot);
  exact(columns.status, filter.status);
  exact(columns.role, filter.role);
  if (filter.sha !== undefined && columns.sha) {
    // A prefix: the range [sha, sha + 'g'), which an index serves in both engines.
    clauses.push(`${columns.sha} >= ? AND ${columns.sha} < ?`);
    params.push(filter.sha, `${filter.sha}g`);
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export interface JobRow extends Row {
  job_id: string;
  role: string;
  status: string;
  exit_code: number | null;
  slot: string | null;
  sha: string | null;
  host: string;
  start_utc: string;
  end_utc: string;
  duration_sec: number;
  recovery_events: number;
  summary: string;
  report_path: string;
}

export function listJobs(db: Db, filter: HistoryFilter): Promise<JobRow[]> {
  const w = where(filter, {
    time: 'start_utc',
    slot: 'slot',
    sha: 'sha',
    status: 'status',
    role: 'role',
  });
  return db.all<JobRow>(
    `SELECT job_id, role, status, exit_code, slot, sha, host, start_utc, end_utc, duration_sec, recovery_events, summary, report_path
     FROM jobs ${w.sql} ORDER BY start_utc DESC, job_id DESC LIMIT ?`,
    [...w.params, filter.limit],
  );
}

export interface HilRow extends Row {
  sha: string;
  slot: string;
  test_id: string;
  status: string;
  phase: string;
  reason: string;
  app_version: string | null;
  power_cycles: number;
  recovery_events: number;
  started_utc: string;
  duration_sec: number;
  evidence_path: string;
}

export function hilHistory(db: Db, filter: HistoryFilter): Promise<HilRow[]> {
  const w = where(filter, { time: 'started_utc', slot: 'slot', sha: 'sha', status: 'status' });
  return db.all<HilRow>(
    `SELECT sha, slot, test_id, status, phase, reason, app_version, power_cycles, recovery_events, started_utc, duration_sec, evidence_path
     FROM hil_results ${w.sql} ORDER BY started_utc DESC, evidence_path DESC LIMIT ?`,
    [...w.params, filter.limit],
  );
}

export interface PowerRow extends Row {
  slot: string;
  action: string;
  status: string;
  attempts: number;
  total_ms: number;
  error: string | null;
  job_id: string | null;
  started_utc: string;
  evidence_path: string;
}

export function powerHistory(db: Db, filter: HistoryFilter): Promise<PowerRow[]> {
  const w = where(filter, { time: 'started_utc', slot: 'slot', status: 'status' });
  return db.all<PowerRow>(
    `SELECT slot, action, status, attempts, total_ms, error, job_id, started_utc, evidence_path
     FROM power_events ${w.sql} ORDER BY started_utc DESC, evidence_path DESC LIMIT ?`,
    [...w.params, filter.limit],
  );
}

export interface SlotEvent extends Row {
  at_utc: string;
  kind: 'job' | 'hil' | 'power' | 'recovery';
  status: string;
  what: string;
  ref: string;
}

/** Everything that happened on a slot, newest first: its leases (jobs), tests, power and recoveries. */
export function slotHistory(
  db: Db,
  filter: HistoryFilter & { slot: string },
): Promise<SlotEvent[]> {
  const since = filter.since ?? '';
  const slot = filter.slot;
  return db.all<SlotEvent>(
    `SELECT at_utc, kind, status, what, ref FROM (
       SELECT start_utc AS at_utc, 'job' AS kind, status, job_id || ': ' || summary AS what, report_path AS ref
         FROM jobs WHERE slot = ? AND start_utc >= ?
       UNION ALL
       SELECT started_utc, 'hil', status, test_id || ' ' || sha || ' (' || phase || '): ' || reason, evidence_path
         FROM hil_results WHERE slot = ? AND started_utc >= ?
       UNION ALL
       SELECT started_utc, 'power', status, action || ', ' || attempts || ' attempt(s), ' || CAST(total_ms AS INTEGER) || ' ms', evidence_path
         FROM power_events WHERE slot = ? AND started_utc >= ?
       UNION ALL
       SELECT at_utc, 'recovery', outcome, phase || COALESCE(': ' || detail, ''), source
         FROM recoveries WHERE slot = ? AND at_utc >= ?
     ) AS events ORDER BY at_utc DESC, kind, ref LIMIT ?`,
    [slot, since, slot, since, slot, since, slot, since, filter.limit],
  );
}

/**
 * The newest result of `test_id` that passed on `slot` for exactly this commit, platform and
 * artifact digest (`hil run --skip-passed`); a result recorded without a digest never matches.
 */
export async function passedBefore(
  db: Db,
  want: { sha: string; slot: string; test_id: string; platform: string | null; digest: string },
): Promise<{ evidence_path: string; ended_utc: string } | null> {
  const [row] = await db.all<{ evidence_path: string; ended_utc: string } & Row>(
    `SELECT evidence_path, ended_utc FROM hil_results
     WHERE sha = ? AND slot = ? AND test_id = ? AND status = 'pass' AND artifact_digest = ?
       AND COALESCE(platform, '') = ?
     ORDER BY ended_utc DESC, evidence_path DESC LIMIT 1`,
    [want.sha, want.slot, want.test_id, want.digest, want.platform ?? ''],
  );
  return row ?? null;
}

export interface DelegationRow extends Row {
  started_utc: string;
  role: string;
  status: string;
  thread_ref: string | null;
  goal: string | null;
  mechanism: string;
  turns: number;
  tokens_in: number | null;
  tokens_out: number | null;
  tokens_total: number | null;
  job_id: string;
  host: string;
  summary: string;
  evidence_path: string;
}

/** Delegations, newest first: each turn of a role's Codex, its thread and tokens. */
export function delegationHistory(db: Db, filter: HistoryFilter): Promise<DelegationRow[]> {
  const w = where(filter, { time: 'started_utc', status: 'status', role: 'role' });
  return db.all<DelegationRow>(
    `SELECT started_utc, role, status, thread_ref, goal, mechanism, turns, tokens_in, tokens_out, tokens_total, job_id, host, summary, evidence_path
     FROM delegations ${w.sql} ORDER BY started_utc DESC, evidence_path DESC LIMIT ?`,
    [...w.params, filter.limit],
  );
}

export interface DocEditRow extends Row {
  at_utc: string;
  document: string;
  edit: string;
  by_agent: string;
  role: string | null;
  command: string;
  summary: string;
  lines_added: number;
  lines_removed: number;
  commit_sha: string | null;
  evidence: string | null;
  repository: string;
  evidence_path: string;
}

/** The edits hutctl made to the team's documents, newest first. */
export function docEditHistory(db: Db, filter: HistoryFilter): Promise<DocEditRow[]> {
  const w = where(filter, { time: 'at_utc', role: 'role', sha: 'commit_sha' });
  return db.all<DocEditRow>(
    `SELECT at_utc, document, edit, by_agent, role, command, summary, lines_added, lines_removed, commit_sha, evidence, repository, evidence_path
     FROM doc_edits ${w.sql} ORDER BY at_utc DESC, evidence_path DESC LIMIT ?`,
    [...w.params, filter.limit],
  );
}
