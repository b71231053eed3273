/**
 * The ledger's schema, one list of versioned migrations for both engines. A migration is SQL in
 * the words both engines share; `{real}` is the one word that differs (SQLite's REAL is a
 * double, PostgreSQL's is single precision). Applied in order, each once, inside the engine's
 * exclusive transaction, so hosts sharing one PostgreSQL never migrate twice.
 *
 * Times are ISO-8601 UTC text (`2026-11-28T15:30:00.000Z`): they sort and compare as they read,
 * in both engines. Every row comes from an evidence file (its path is the row's key), so the
 * ledger can always be rebuilt from the evidence, and recording the same file twice changes
 * nothing. A person's health decision is evidence too (`runner_health_…_utc.json`), and so is an
 * edit hutctl made to a document (`<role>_docedit_…_utc.json`).
 */
import { isHutError } from '../errors/index.ts';
import { type Db, LEDGER_BUSY } from './db.ts';

/** A migration: SQL both engines speak, or one text for each where they differ (triggers). */
export type Migration = string | { readonly sqlite: string; readonly postgres: string };

export const MIGRATIONS: readonly Migration[] = [
  // 1: jobs (and the slot leases they held), hil results, power events, recoveries.
  `
CREATE TABLE jobs (
  job_id TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  status TEXT NOT NULL,
  exit_code INTEGER,
  lock_key TEXT NOT NULL,
  slot TEXT,
  port TEXT,
  sha TEXT,
  executor TEXT,
  thread_ref TEXT,
  host TEXT NOT NULL,
  start_utc TEXT NOT NULL,
  end_utc TEXT NOT NULL,
  duration_sec {real} NOT NULL,
  recovery_events INTEGER NOT NULL,
  summary TEXT NOT NULL,
  log_path TEXT,
  report_path TEXT NOT NULL,
  report TEXT NOT NULL
);
CREATE INDEX jobs_by_start ON jobs (start_utc);
CREATE INDEX jobs_by_slot ON jobs (slot, start_utc);
CREATE TABLE hil_results (
  evidence_path TEXT PRIMARY KEY,
  sha TEXT NOT NULL,
  slot TEXT NOT NULL,
  test_id TEXT NOT NULL,
  platform TEXT,
  status TEXT NOT NULL,
  phase TEXT NOT NULL,
  reason TEXT NOT NULL,
  power_cycles INTEGER NOT NULL,
  recovery_events INTEGER NOT NULL,
  app_version TEXT,
  expected_version TEXT,
  flash_ms {real},
  boot_ms {real},
  host TEXT NOT NULL,
  started_utc TEXT NOT NULL,
  ended_utc TEXT NOT NULL,
  duration_sec {real} NOT NULL,
  result TEXT NOT NULL
);
CREATE INDEX hil_by_sha ON hil_results (sha, slot, test_id);
CREATE INDEX hil_by_slot ON hil_results (slot, started_utc);
CREATE INDEX hil_by_start ON hil_results (started_utc);
CREATE TABLE power_events (
  evidence_path TEXT PRIMARY KEY,
  slot TEXT NOT NULL,
  action TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  total_ms {real} NOT NULL,
  error TEXT,
  job_id TEXT,
  host TEXT NOT NULL,
  started_utc TEXT NOT NULL,
  ended_utc TEXT NOT NULL,
  event TEXT NOT NULL
);
CREATE INDEX power_by_slot ON power_events (slot, started_utc);
CREATE TABLE recoveries (
  source TEXT NOT NULL,
  seq INTEGER NOT NULL,
  slot TEXT,
  phase TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT,
  at_utc TEXT NOT NULL,
  PRIMARY KEY (source, seq)
);
CREATE INDEX recoveries_by_slot ON recoveries (slot, at_utc);
`,
  // 2: slot health — the decisions people make (health events), and which results were checks.
  `
ALTER TABLE hil_results ADD COLUMN health_check INTEGER NOT NULL DEFAULT 0;
CREATE TABLE health_events (
  evidence_path TEXT PRIMARY KEY,
  slot TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  by_user TEXT NOT NULL,
  at_utc TEXT NOT NULL
);
CREATE INDEX health_by_slot ON health_events (slot, at_utc);
`,
  // 3: the action log — what people and agents did through `serve` and MCP, who, and why.
  `
CREATE TABLE actions (
  evidence_path TEXT PRIMARY KEY,
  action TEXT NOT NULL,
  slot TEXT,
  job_id TEXT,
  by_user TEXT NOT NULL,
  via TEXT NOT NULL,
  reason TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT,
  at_utc TEXT NOT NULL
);
CREATE INDEX actions_by_time ON actions (at_utc);
`,
  // 4: which artifact a hil result flashed, for `hil run --skip-passed` (null: not recorded).
  `
ALTER TABLE hil_results ADD COLUMN artifact_digest TEXT;
`,
  // 5: delegations (a role's Codex turn: its thread, tokens, outcome) and the edits hutctl made to
  // the team's documents.
  `
CREATE TABLE delegations (
  evidence_path TEXT PRIMARY KEY,
  job_id TEXT NOT NULL,
  role TEXT NOT NULL,
  thread_ref TEXT,
  goal TEXT,
  mechanism TEXT NOT NULL,
  status TEXT NOT NULL,
  exit_code INTEGER NOT NULL,
  turns INTEGER NOT NULL,
  tokens_in INTEGER,
  tokens_out INTEGER,
  tokens_total INTEGER,
  host TEXT NOT NULL,
  started_utc TEXT NOT NULL,
  ended_utc TEXT NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX delegations_by_start ON delegations (started_utc);
CREATE INDEX delegations_by_thread ON delegations (thread_ref, started_utc);
CREATE TABLE doc_edits (
  evidence_path TEXT PRIMARY KEY,
  repository TEXT NOT NULL,
  document TEXT NOT NULL,
  edit TEXT NOT NULL,
  summary TEXT NOT NULL,
  by_agent TEXT NOT NULL,
  role TEXT,
  command TEXT NOT NULL,
  lines_added INTEGER NOT NULL,
  lines_removed INTEGER NOT NULL,
  commit_sha TEXT,
  evidence TEXT,
  host TEXT NOT NULL,
  at_utc TEXT NOT NULL
);
CREATE INDEX doc_edits_by_at ON doc_edits (at_utc);
CREATE INDEX doc_edits_by_document ON doc_edits (document, at_utc);
`,
  // 6: a slot's job counters from the index alone (slot health, the dashboard: 30× faster over
  // 100,000 jobs than reading each row).
  `
CREATE INDEX jobs_by_slot_counts ON jobs (slot, recovery_events, start_utc);
`,
  // 7: a slot's job totals kept as jobs are written, by the database itself (every writer —
  // recording, `store import`, `store gc`, a person's SQL — keeps them right). Read from the
  // index, a busy slot's totals still cost a pass over rows spread across the whole table, 150 ms
  // over 100,000 jobs on PostgreSQL; this is one row per slot.
  {
    sqlite: `
DROP INDEX jobs_by_slot_counts;
CREATE TABLE slot_job_totals (slot TEXT PRIMARY KEY, jobs INTEGER NOT NULL, recoveries INTEGER NOT NULL);
INSERT INTO slot_job_totals (slot, jobs, recoveries)
  SELECT slot, COUNT(*), SUM(recovery_events) FROM jobs WHERE slot IS NOT NULL GROUP BY slot;
CREATE TRIGGER jobs_totals_insert AFTER INSERT ON jobs WHEN NEW.slot IS NOT NULL BEGIN
  INSERT INTO slot_job_totals (slot, jobs, recoveries) VALUES (NEW.slot, 1, NEW.recovery_events)
    ON CONFLICT (slot) DO UPDATE SET jobs = jobs + 1, recoveries = recoveries + excluded.recoveries;
END;
CREATE TRIGGER jobs_totals_update AFTER UPDATE OF slot, recovery_events ON jobs BEGIN
  UPDATE slot_job_totals SET jobs = jobs - 1, recoveries = recoveries - OLD.recovery_events
    WHERE slot = OLD.slot;
  INSERT INTO slot_job_totals (slot, jobs, recoveries)
    SELECT NEW.slot, 1, NEW.recovery_events WHERE NEW.slot IS NOT NULL
    ON CONFLICT (slot) DO UPDATE SET jobs = jobs + 1, recoveries = recoveries + excluded.recoveries;
END;
CREATE TRIGGER jobs_totals_delete AFTER DELETE ON jobs WHEN OLD.slot IS NOT NULL BEGIN
  UPDATE slot_job_totals SET jobs = jobs - 1, recoveries = recoveries - OLD.recovery_events
    WHERE slot = OLD.slot;
END;
`,
    postgres: `
DROP INDEX jobs_by_slot_counts;
CREATE TABLE slot_job_totals (slot TEXT PRIMARY KEY, jobs INTEGER NOT NULL, recoveries INTEGER NOT NULL);
INSERT INTO slot_job_totals (slot, jobs, recoveries)
  SELECT slot, COUNT(*), SUM(recovery_events) FROM jobs WHERE slot IS NOT NULL GROUP BY slot;
CREATE FUNCTION hutctl_slot_job_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.slot IS NOT NULL THEN
    UPDATE slot_job_totals SET jobs = jobs - 1, recoveries = recoveries - OLD.recovery_events
      WHERE slot = OLD.slot;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.slot IS NOT NULL THEN
    INSERT INTO slot_job_totals AS t (slot, jobs, recoveries) VALUES (NEW.slot, 1, NEW.recovery_events)
      ON CONFLICT (slot) DO UPDATE SET jobs = t.jobs + 1, recoveries = t.recoveries + EXCLUDED.recoveries;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER jobs_totals AFTER INSERT OR UPDATE OF slot, recovery_events OR DELETE ON jobs
  FOR EACH ROW EXECUTE FUNCTION hutctl_slot_job_totals();
`,
  },
];

/** Migration `version`'s SQL for `engine`, its engine words filled in. */
export function migrationSql(version: number, engine: Db['engine']): string {
  const migration = MIGRATIONS[version - 1]!;
  const words = { real: engine === 'postgres' ? 'DOUBLE PRECISION' : 'REAL' };
  return (typeof migration === 'string' ? migration : migration[engine]).replace(
    /\{(\w+)\}/g,
    (_, w: keyof typeof words) => words[w],
  );
}

/** Brings the schema up to date; returns the version it is at. */
export async function migrate(db: Db): Promise<number> {
  const current = async () =>
    Number((await db.all('SELECT MAX(version) AS v FROM hutctl_schema'))[0]?.v ?? 0);
  // The common case, an up-to-date ledger, costs one read and no lock.
  try {
    if ((await current()) >= MIGRATIONS.length) return MIGRATIONS.length;
  } catch (error) {
    // A new database: no schema table yet. A ledger held by another is said, not waited twice.
    if (isHutError(error) && error.details === LEDGER_BUSY) throw error;
  }
  return db.exclusive(async () => {
    // Created under the lock: two hosts creating it at once would collide in PostgreSQL.
    await db.exec(
      'CREATE TABLE IF NOT EXISTS hutctl_schema (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL)',
    );
    const at = await current();
    for (let version = at + 1; version <= MIGRATIONS.length; version += 1) {
      await db.exec(migrationSql(version, db.engine));
      await db.run('INSERT INTO hutctl_schema (version, applied_utc) VALUES (?, ?)', [
        version,
        new Date().toISOString(),
      ]);
    }
    return MIGRATIONS.length;
  });
}
