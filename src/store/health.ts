/**
 * Slot health, after LAVA's device health: Good, Unknown, Bad, Maintenance, Retired, Looping.
 *
 *  - A slot is Good until something says otherwise.
 *  - An infrastructure error in a normal run — a hil result blocked in a farm phase (the device
 *    vanished, the flash failed, the power failed) or a power event that failed — makes a Good
 *    slot Unknown, and a health check is then due before its next normal job (hutctl runs it
 *    first, under that job's lock: slots/health-gate.ts). One is also due on a Good slot every
 *    health.every_jobs jobs or health.every_hours hours.
 *  - A health check (HW-BOOT-001 marked as one) that passes makes the slot Good; one that does
 *    not makes it Bad.
 *  - Only a person leaves Bad, Maintenance, Retired or Looping (`slot health set`), and that
 *    decision is evidence of its own, so the ledger rebuilt from evidence has it too.
 *  - Looping is a person's choice: health checks run again and again on request (`slot health
 *    check --loop`), normal jobs do not run.
 *
 * The state is worked out from the ledger when asked (the person's last decision, then what
 * happened since), so it never drifts from the evidence. Normal jobs go to Good or Unknown slots.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HutConfig } from '../config/index.ts';
import { utcStamp } from '../contract/ids.ts';
import { checkWritableDir, privateDir, randomHex, writeFileAtomic } from '../files/index.ts';
import type { Db } from './db.ts';

export const HEALTH_STATES = [
  'good',
  'unknown',
  'bad',
  'maintenance',
  'retired',
  'looping',
] as const;
export type HealthState = (typeof HEALTH_STATES)[number];
/** What a person may set. Unknown and Bad come from what happens on the slot. */
export const SETTABLE: readonly HealthState[] = ['good', 'maintenance', 'retired', 'looping'];
/** Where normal jobs may go. */
export const ROUTABLE: readonly HealthState[] = ['good', 'unknown'];
/** hil phases that are the farm's, not the firmware's. */
export const FARM_PHASES: readonly string[] = ['device', 'flash', 'power'];
/**
 * How the reason of a run stopped by Ctrl-C, SIGTERM or SIGHUP begins (hil/on-slot.ts): a person
 * stopped it, which says nothing of the board, as a cancelled power event says nothing.
 */
export const INTERRUPTED_REASON = 'interrupted (';

/** Whether a hil result is a run a person stopped (it says nothing of the board). */
export function wasInterrupted(result: { status: string; reason: string }): boolean {
  return result.status === 'blocked' && result.reason.startsWith(INTERRUPTED_REASON);
}

/** wasInterrupted as SQL over hil_results, negated: the results that say something. */
const NOT_INTERRUPTED = `NOT (status = 'blocked' AND reason LIKE '${INTERRUPTED_REASON}%')`;

/** `hutctl.health-event.v1`: a person's decision (its schema is in evidence-schemas.ts). */
export interface HealthEvent {
  schema_version: 'hutctl.health-event.v1';
  slot: string;
  state: 'good' | 'maintenance' | 'retired' | 'looping';
  reason: string;
  by: string;
  at_utc: string;
}

export interface SlotHealth {
  slot: string;
  state: HealthState;
  since: string | null;
  reason: string;
  /** Who set it, for a person's decision. */
  by: string | null;
  last_check: { at: string; status: string } | null;
  check_due: boolean;
  /** Why the check is due, in a few words (null when it is not). */
  due: string | null;
  counters: {
    jobs: number;
    hil_runs: number;
    flash_failures: number;
    boot_failures: number;
    flash_failure_rate: number | null;
    boot_failure_rate: number | null;
    recovery_events: number;
    power_cycles: number;
    power_failures: number;
  };
}

/** Writes a person's decision as evidence; returns its path. */
export async function writeHealthEvent(
  config: HutConfig,
  event: { slot: string; state: HealthState; reason: string; by: string },
): Promise<string> {
  const dir = config.paths.evidenceDir;
  privateDir(dir, config.paths.shareGroup);
  checkWritableDir(dir);
  // Results and power events are timed to the second, and one in a decision's own second counts
  // as after it (slotHealth). The decision is taken at the start of the next second, so a failure
  // that ended before the person decided never overrides the decision.
  await sleep(1000 - (Date.now() % 1000));
  const at = new Date();
  const path = join(dir, `runner_health_${event.slot}_${utcStamp(at)}_${randomHex(6)}_utc.json`);
  await writeFileAtomic(
    path,
    `${JSON.stringify({ schema_version: 'hutctl.health-event.v1', ...event, at_utc: at.toISOString() }, null, 2)}\n`,
  );
  return path;
}

interface Happening {
  at: string;
  kind: 'hil' | 'power';
  status: string;
  phase: string;
  reason: string;
  check: boolean;
}

/** What a slot's jobs add up to (its counters' part that reads the most rows). */
export interface JobTotals {
  n: number;
  recoveries: number;
}

/** The health of several slots, their job totals read in one query. */
export async function slotsHealth(
  db: Db,
  slots: readonly string[],
  config: HutConfig,
  now = new Date(),
): Promise<SlotHealth[]> {
  const totals = await jobTotals(db, slots);
  const all: SlotHealth[] = [];
  for (const slot of slots) all.push(await slotHealth(db, slot, config, now, totals.get(slot)));
  return all;
}

async function jobTotals(db: Db, slots: readonly string[]): Promise<Map<string, JobTotals>> {
  // Kept by the database as jobs are written (schema.ts, migration 7): one row per slot.
  const rows = await db.all<{ slot: string; n: number; recoveries: number }>(
    `SELECT slot, jobs AS n, recoveries FROM slot_job_totals WHERE slot IN (${slots.map(() => '?').join(', ')})`,
    [...slots],
  );
  const totals = new Map(slots.map((slot) => [slot, { n: 0, recoveries: 0 }]));
  for (const row of rows)
    totals.set(row.slot, { n: Number(row.n), recoveries: Number(row.recoveries) });
  return totals;
}

/** The health of `slot` now, from the ledger. */
export async function slotHealth(
  db: Db,
  slot: string,
  config: HutConfig,
  now = new Date(),
  totals?: JobTotals,
): Promise<SlotHealth> {
  const [decision] = await db.all<{
    state: string;
    reason: string;
    by_user: string;
    at_utc: string;
  }>(
    'SELECT state, reason, by_user, at_utc FROM health_events WHERE slot = ? ORDER BY at_utc DESC LIMIT 1',
    [slot],
  );
  // Results and power events are timed to the second, decisions to the millisecond: what
  // happened in the decision's own second is taken as after it (a person who sets a slot Good
  // and sees it fail that same second must see it Unknown, not Good).
  const after = decision ? decision.at_utc.slice(0, 19) : '';
  const happenings = [
    ...(
      await db.all<{ at: string; status: string; phase: string; reason: string; check: number }>(
        'SELECT ended_utc AS at, status, phase, reason, health_check AS "check" FROM hil_results WHERE slot = ? AND ended_utc >= ?',
        [slot, after],
      )
    ).map((r): Happening => ({ ...r, kind: 'hil', check: Number(r.check) === 1 })),
    ...(
      await db.all<{ at: string; status: string; phase: string; reason: string }>(
        `SELECT ended_utc AS at, status, action AS phase, COALESCE(error, status) AS reason FROM power_events
         WHERE slot = ? AND ended_utc >= ? AND status <> 'ok' AND status <> 'cancelled'`,
        [slot, after],
      )
    ).map((r): Happening => ({ ...r, kind: 'power', check: false })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

  let state: HealthState = (decision?.state as HealthState | undefined) ?? 'good';
  let since = decision?.at_utc ?? null;
  let reason = decision?.reason ?? 'nothing has gone wrong on it';
  let by: string | null = decision?.by_user ?? null;
  let lastCheck: SlotHealth['last_check'] = null;
  const change = (to: HealthState, at: string, why: string) => {
    if (to !== state) since = at;
    state = to;
    reason = why;
    by = null;
  };
  for (const h of happenings) {
    if (h.kind === 'hil' && wasInterrupted(h)) continue;
    if (h.check) {
      // A check that could not start (no such artifact, the slot's lock) says nothing of the
      // board: a configuration problem must not condemn every slot it is run on.
      if (h.status === 'blocked' && !FARM_PHASES.includes(h.phase)) continue;
      lastCheck = { at: h.at, status: h.status };
      if (state === 'looping' || state === 'maintenance' || state === 'retired') continue;
      if (h.status === 'pass') change('good', h.at, 'its health check passed');
      else change('bad', h.at, `its health check did not pass (${h.phase}: ${h.reason})`);
    } else if (
      (h.kind === 'power' || (h.status === 'blocked' && FARM_PHASES.includes(h.phase))) &&
      (state === 'good' || state === 'unknown')
    ) {
      change(
        'unknown',
        h.at,
        h.kind === 'power' ? `a power ${h.phase} failed: ${h.reason}` : `${h.phase}: ${h.reason}`,
      );
    }
  }
  if (lastCheck === null) {
    // The last check before the person's decision (one that could not start is none).
    const [check] = await db.all<{ at: string; status: string }>(
      `SELECT ended_utc AS at, status FROM hil_results
       WHERE slot = ? AND health_check = 1 AND (status <> 'blocked' OR phase IN (${FARM_PHASES.map((p) => `'${p}'`).join(', ')}))
         AND ${NOT_INTERRUPTED}
       ORDER BY ended_utc DESC LIMIT 1`,
      [slot],
    );
    if (check) lastCheck = { at: check.at, status: check.status };
  }
  const jobs = totals ?? (await jobTotals(db, [slot])).get(slot)!;
  const counters = await countersOf(db, slot, jobs);
  const due =
    state === 'unknown'
      ? `an infrastructure error at ${second(since ?? '')}: ${reason}`
      : state === 'looping'
        ? 'looping: health checks only'
        : state === 'good'
          ? await periodicDue(db, slot, config, lastCheck, jobs, now)
          : null;
  return {
    slot,
    state,
    since,
    reason,
    by,
    last_check: lastCheck,
    check_due: due !== null,
    due,
    counters,
  };
}

/** An ISO instant to the second, as the evidence writes it. */
const second = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');

/**
 * Why a Good slot's periodic check is due (health.every_jobs, health.every_hours), or null. Its
 * work since the last check is its jobs and its hardware tests (health checks aside); both are
 * stamped to the second, and one that starts in the second its check ended came after it (a
 * check takes longer than a second, so nothing before it shares that second).
 */
async function periodicDue(
  db: Db,
  slot: string,
  config: HutConfig,
  lastCheck: SlotHealth['last_check'],
  totals: JobTotals,
  now: Date,
): Promise<string | null> {
  const { everyJobs, everyHours } = config.health;
  const yet = lastCheck ? 'since its last health check' : 'and no health check yet';
  if (everyJobs !== null) {
    const after = lastCheck?.at ?? '';
    // With no check yet, its jobs are all of them: the totals, not a count of every row.
    const [work] = await db.all<{ jobs: number | null; tests: number }>(
      `SELECT ${lastCheck ? '(SELECT COUNT(*) FROM jobs WHERE slot = ? AND start_utc >= ?)' : 'NULL'} AS jobs,
              (SELECT COUNT(*) FROM hil_results WHERE slot = ? AND health_check = 0 AND started_utc >= ?) AS tests`,
      lastCheck ? [slot, after, slot, after] : [slot, after],
    );
    const done = Number(work?.jobs ?? totals.n) + Number(work?.tests ?? 0);
    if (done >= everyJobs) return `${done} jobs ${yet} (health.every_jobs: ${everyJobs})`;
  }
  if (everyHours !== null) {
    if (lastCheck === null) return `no health check yet (health.every_hours: ${everyHours})`;
    const hours = (now.getTime() - Date.parse(lastCheck.at)) / 3600_000;
    if (hours >= everyHours)
      return `${Math.floor(hours)} h since its last health check (health.every_hours: ${everyHours})`;
  }
  return null;
}

/** What a health check flashes: a SHA's artifact, and the digest it must have (when it passed). */
export interface CheckArtifact {
  sha: string;
  profile: string | null;
  digest?: string | null;
}

/**
 * What a health check of `slot` flashes: the golden artifact (health.golden, on the slot's own
 * profile unless it names one), else the slot's last passing one, with the digest of what passed
 * (the check refuses the SHA's artifact if it has been stored again since: another build is no
 * test of the board); null when there is neither.
 */
export async function checkArtifact(
  db: Db,
  config: HutConfig,
  slot: string,
): Promise<(CheckArtifact & { source: 'golden' | 'last pass' }) | null> {
  const golden = config.health.golden;
  if (golden) return { sha: golden.sha, profile: golden.profile, source: 'golden' };
  const [last] = await db.all<{
    sha: string;
    platform: string | null;
    artifact_digest: string | null;
  }>(
    "SELECT sha, platform, artifact_digest FROM hil_results WHERE slot = ? AND status = 'pass' ORDER BY ended_utc DESC LIMIT 1",
    [slot],
  );
  return last
    ? {
        sha: last.sha,
        profile: last.platform,
        source: 'last pass',
        digest: last.artifact_digest ?? null,
      }
    : null;
}

async function countersOf(db: Db, slot: string, jobs: JobTotals): Promise<SlotHealth['counters']> {
  const [hil] = await db.all<Record<string, number>>(
    // A run a person stopped (INTERRUPTED_REASON) is neither a run of the board nor a failure.
    `SELECT COUNT(*) AS runs,
            SUM(CASE WHEN phase = 'flash' AND status <> 'pass' THEN 1 ELSE 0 END) AS flash,
            SUM(CASE WHEN phase = 'boot' AND status <> 'pass' THEN 1 ELSE 0 END) AS boot,
            SUM(recovery_events) AS recoveries
     FROM hil_results
     WHERE slot = ? AND ${NOT_INTERRUPTED}`,
    [slot],
  );
  const [power] = await db.all<Record<string, number>>(
    `SELECT SUM(CASE WHEN action IN ('cycle', 'boot') AND status <> 'cancelled' THEN 1 ELSE 0 END) AS cycles,
            SUM(CASE WHEN status NOT IN ('ok', 'cancelled') THEN 1 ELSE 0 END) AS failures
     FROM power_events WHERE slot = ?`,
    [slot],
  );
  const runs = Number(hil?.runs ?? 0);
  const rate = (n: number) => (runs === 0 ? null : Math.round((n / runs) * 1000) / 1000);
  return {
    jobs: Number(jobs?.n ?? 0),
    hil_runs: runs,
    flash_failures: Number(hil?.flash ?? 0),
    boot_failures: Number(hil?.boot ?? 0),
    flash_failure_rate: rate(Number(hil?.flash ?? 0)),
    boot_failure_rate: rate(Number(hil?.boot ?? 0)),
    recovery_events: Number(hil?.recoveries ?? 0) + Number(jobs?.recoveries ?? 0),
    power_cycles: Number(power?.cycles ?? 0),
    power_failures: Number(power?.failures ?? 0),
  };
}
