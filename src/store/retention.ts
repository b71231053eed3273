/**
 * What `store gc` asks the ledger: the few results each slot's health rests on (kept whatever
 * their age, so removing old evidence never changes a slot's health), the commits that recent
 * results and jobs name (their artifacts stay), and the rows of evidence files it removes.
 */
import type { HutConfig } from '../config/index.ts';
import type { Db, Value } from './db.ts';
import { slotHealth } from './health.ts';

/** Evidence files the ledger needs kept, by path, with why; and the commits they name. */
export interface HealthAnchors {
  paths: Map<string, string>;
  /** Commits whose artifacts a health check may flash: each slot's last pass and last check. */
  shas: Map<string, string>;
}

/**
 * For every slot the ledger knows: its person's last decision, the event its current state
 * began with (the health is the decision replayed with what happened since, and every event after
 * that one left the state as it was, so with these two kept the state is the same), its last
 * health check, and its newest pass (the artifact `slot health check` flashes by default).
 */
export async function healthAnchors(db: Db, config: HutConfig, now: Date): Promise<HealthAnchors> {
  const anchors: HealthAnchors = { paths: new Map(), shas: new Map() };
  const keep = (path: string | undefined, why: string) => {
    if (path !== undefined && !anchors.paths.has(path)) anchors.paths.set(path, why);
  };
  const slots = new Set(Object.keys(config.slots));
  for (const row of await db.all<{ slot: string }>(
    `SELECT slot FROM hil_results UNION SELECT slot FROM health_events
     UNION SELECT slot FROM power_events`,
  ))
    slots.add(row.slot);
  for (const slot of [...slots].sort()) {
    const health = await slotHealth(db, slot, config, now);
    const [decision] = await db.all<{ evidence_path: string; at_utc: string }>(
      'SELECT evidence_path, at_utc FROM health_events WHERE slot = ? ORDER BY at_utc DESC LIMIT 1',
      [slot],
    );
    keep(decision?.evidence_path, `${slot}'s last health decision`);
    if (health.since !== null && health.since !== decision?.at_utc) {
      const began = await db.all<{ evidence_path: string }>(
        `SELECT evidence_path FROM hil_results WHERE slot = ? AND ended_utc = ?
         UNION SELECT evidence_path FROM power_events WHERE slot = ? AND ended_utc = ?`,
        [slot, health.since, slot, health.since],
      );
      for (const row of began) keep(row.evidence_path, `${slot} is ${health.state} since it`);
    }
    for (const [what, condition] of [
      ['last health check', 'health_check = 1'],
      ['last passing result', "status = 'pass'"],
    ] as const) {
      const [row] = await db.all<{ evidence_path: string; sha: string }>(
        `SELECT evidence_path, sha FROM hil_results WHERE slot = ? AND ${condition}
         ORDER BY ended_utc DESC LIMIT 1`,
        [slot],
      );
      if (!row) continue;
      keep(row.evidence_path, `${slot}'s ${what}`);
      if (!anchors.shas.has(row.sha)) anchors.shas.set(row.sha, `${slot}'s ${what} names it`);
    }
  }
  return anchors;
}

/** Commits named by hil results that ended, or jobs that ended, at or after `since`. */
export async function recentShas(db: Db, since: string): Promise<string[]> {
  const rows = await db.all<{ sha: string }>(
    `SELECT sha FROM hil_results WHERE ended_utc >= ?
     UNION SELECT sha FROM jobs WHERE end_utc >= ? AND sha IS NOT NULL`,
    [since, since],
  );
  return rows.map((row) => row.sha);
}

/** The tables whose rows come from evidence files, and the column that names the file. */
const KEYED: ReadonlyArray<[table: string, column: string]> = [
  ['jobs', 'report_path'],
  ['hil_results', 'evidence_path'],
  ['power_events', 'evidence_path'],
  ['health_events', 'evidence_path'],
  ['actions', 'evidence_path'],
  ['recoveries', 'source'],
];

/** A few hundred parameters per statement: within every engine's limit. */
const BATCH = 400;

/** How many rows come from these evidence files (what `evidenceRowsDelete` would delete). */
export async function evidenceRowsCount(db: Db, paths: readonly string[]): Promise<number> {
  let count = 0;
  await inBatches(paths, async (batch, marks) => {
    for (const [table, column] of KEYED) {
      const [row] = await db.all(
        `SELECT COUNT(*) AS n FROM ${table} WHERE ${column} IN (${marks})`,
        batch,
      );
      count += Number(row?.n ?? 0);
    }
  });
  return count;
}

/** Deletes every row that came from these evidence files, in one transaction. */
export async function evidenceRowsDelete(db: Db, paths: readonly string[]): Promise<void> {
  await db.transaction(() =>
    inBatches(paths, async (batch, marks) => {
      for (const [table, column] of KEYED)
        await db.run(`DELETE FROM ${table} WHERE ${column} IN (${marks})`, batch);
    }),
  );
}

async function inBatches(
  paths: readonly string[],
  work: (batch: Value[], marks: string) => Promise<void>,
): Promise<void> {
  for (let at = 0; at < paths.length; at += BATCH) {
    const batch = paths.slice(at, at + BATCH);
    await work(batch, batch.map(() => '?').join(', '));
  }
}
