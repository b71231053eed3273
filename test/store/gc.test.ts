/**
 * `store gc` against both ledger engines (a node:sqlite file and a real PostgreSQL cluster the
 * harness starts): old evidence files go with their ledger rows, so the ledger left is the one
 * `store import` of the evidence left would build; new evidence, and the few results a slot's
 * health rests on, stay; a dry run changes nothing; a bad keep period is refused before anything.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { storeGc } from '../../src/retention/index.ts';
import { type Db, openPostgres, openSqlite } from '../../src/store/db.ts';
import { slotHealth } from '../../src/store/health.ts';
import { importEvidence } from '../../src/store/import.ts';
import { hilHistory, listJobs, powerHistory } from '../../src/store/queries.ts';
import { migrate } from '../../src/store/schema.ts';
import { tempDir } from '../support/cli.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

let pg: TestPostgres;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

const engines: Record<string, () => Promise<Db>> = {
  sqlite: () => openSqlite(join(tempDir('hutctl-gc-ledger-'), 'ledger.sqlite')),
  postgres: async () => {
    const admin = await openPostgres(pg.url);
    const schema = `t${Math.random().toString(36).slice(2, 10)}`;
    await admin.exec(`CREATE SCHEMA ${schema}`);
    await admin.close();
    const options = encodeURIComponent(`-c search_path=${schema}`);
    return openPostgres(`${pg.url}${pg.url.includes('?') ? '&' : '?'}options=${options}`);
  },
};

const DAY = 86400_000;
const NOW = Date.now();
const ago = (days: number) => new Date(NOW - days * DAY).toISOString();

/** A farm directory: hutctl.yaml with two slots, and evidence of several ages. */
async function farm() {
  const dir = tempDir('hutctl-gc-');
  const evidence = join(dir, 'evidence');
  mkdirSync(evidence);
  writeFileSync(
    join(dir, 'hutctl.yaml'),
    [
      'paths:',
      `  evidence_dir: ${evidence}`,
      `  state_dir: ${join(dir, 'state')}`,
      `  slot_lock_dir: ${join(dir, 'locks')}`,
      'artifacts:',
      `  store: ${join(dir, 'artifacts')}`,
      'profiles:',
      '  i2s: {flash: builtin}',
      'slots:',
      '  hut-01: {serial: /dev/null, profile: i2s}',
      '  hut-02: {serial: /dev/null, profile: i2s}',
      '',
    ].join('\n'),
  );
  const { config, problems } = await loadConfig({ configPath: join(dir, 'hutctl.yaml') });
  assert.deepEqual(problems, []);
  /** Writes an evidence file whose contents and modification time are `days` old. */
  const put = (name: string, value: unknown, days: number) => {
    const path = join(evidence, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    const at = new Date(NOW - days * DAY);
    utimesSync(path, at, at);
    return path;
  };
  const hil = (slot: string, days: number, fields: Record<string, unknown> = {}) => ({
    schema_version: 'hutctl.hil-result.v1',
    commit_sha: '3f2c1ab9d8e7',
    lane: 'local-hil',
    slot,
    platform: 'i2s',
    test_id: 'HW-BOOT-001',
    status: 'pass',
    phase: 'boot',
    reason: 'boot marker seen',
    power_cycles: 1,
    recovery_events: 0,
    recoveries: [],
    reset_reason: null,
    app_version: 'v1.0.0',
    expected_version: 'v1.0.0',
    flash_ms: 1000,
    boot_ms: 900,
    evidence: [],
    started_utc: ago(days).replace(/\.\d+Z$/, 'Z'),
    ended_utc: ago(days).replace(/\.\d+Z$/, 'Z'),
    duration_sec: 3,
    ...fields,
  });
  const job = (id: string, days: number) => ({
    schema_version: 'ws2.report.v1',
    job_id: id,
    agent_role: 'runner',
    status: 'success',
    start_utc: ago(days).replace(/\.\d+Z$/, 'Z'),
    end_utc: ago(days).replace(/\.\d+Z$/, 'Z'),
    duration_sec: 1,
    exit_code: 0,
    lock_key: 'hut-01',
    slot: 'hut-01',
    human_summary: 'step 1/1 exited 0',
    recovery_events: 1,
    recoveries: ['power-cycled hut-01'],
  });
  const power = (slot: string, days: number, status = 'ok') => ({
    schema_version: 'hutctl.power-event.v1',
    slot,
    action: 'cycle',
    backend: 'command',
    status,
    attempts: 1,
    total_ms: 100,
    error: status === 'ok' ? null : 'relay did not answer',
    last_state: 'on',
    job_id: null,
    phases: [],
    started_utc: ago(days),
    ended_utc: ago(days),
  });
  const old = {
    job: put('runner_job-a_20260101_000000_utc.json', job('job-a', 60), 60),
    jobLog: put('runner_job-a_20260101_000000_utc.log', 'step output\n', 60),
    pass: put('runner_hil_hw-boot-001_hut-01_a_utc.json', hil('hut-01', 50), 50),
    power: put('runner_power_cycle_hut-01_a_utc.json', power('hut-01', 45), 45),
    // hut-02's state rests on this failure (it made hut-02 Unknown) and on its only pass.
    hut02Pass: put('runner_hil_hw-boot-001_hut-02_a_utc.json', hil('hut-02', 70), 70),
    hut02Fail: put('runner_power_cycle_hut-02_b_utc.json', power('hut-02', 40, 'error'), 40),
    hut02Ok: put('runner_power_cycle_hut-02_c_utc.json', power('hut-02', 39), 39),
  };
  const recent = {
    job: put('runner_job-b_20260301_000000_utc.json', job('job-b', 2), 2),
    pass: put('runner_hil_hw-boot-001_hut-01_b_utc.json', hil('hut-01', 1), 1),
  };
  return { dir, evidence, config, old, recent };
}

/** Everything the history commands answer, for comparing two ledgers. */
async function answers(db: Db) {
  const all = { limit: 1000 };
  return JSON.parse(
    JSON.stringify({
      jobs: await listJobs(db, all),
      hil: await hilHistory(db, all),
      power: await powerHistory(db, all),
      recoveries: await db.all('SELECT source, seq, slot FROM recoveries ORDER BY source, seq'),
    }),
  );
}

for (const [engine, open] of Object.entries(engines)) {
  describe(`store gc on ${engine}`, () => {
    test('old evidence goes with its ledger rows; the ledger left is the one the evidence left rebuilds', async () => {
      const f = await farm();
      const db = await open();
      const rebuilt = await open();
      try {
        await migrate(db);
        await importEvidence(db, f.evidence);
        const health = await slotHealth(db, 'hut-02', f.config);
        assert.equal(health.state, 'unknown');

        const summary = await storeGc({ config: f.config, db, keep: '30d' });
        assert.equal(summary.dry_run, false);
        assert.equal(summary.ledger, engine);
        const removed = summary.removed.map((r) => r.path).sort();
        assert.deepEqual(removed, [f.old.hut02Ok, f.old.job, f.old.pass, f.old.power].sort());
        assert.equal(summary.freed.evidence.items, 4);
        assert.equal(summary.freed.evidence.files, 5, 'the job report and its log');
        // The job, its recovery, the hil result, two power events.
        assert.equal(summary.ledger_rows, 5);
        for (const path of [f.old.job, f.old.jobLog, f.old.pass, f.old.power, f.old.hut02Ok])
          assert.equal(existsSync(path), false, path);
        for (const path of [...Object.values(f.recent), f.old.hut02Pass, f.old.hut02Fail])
          assert.equal(existsSync(path), true, path);
        assert.deepEqual(
          summary.kept.map((k) => [k.path, k.why]).sort(),
          [
            [f.old.hut02Fail, 'slot health rests on it: hut-02 is unknown since it'],
            [f.old.hut02Pass, "slot health rests on it: hut-02's last passing result"],
          ].sort(),
        );
        // Removing history never changes a slot's health (its counters count less, of course).
        const { state, since, reason } = await slotHealth(db, 'hut-02', f.config);
        assert.deepEqual(
          { state, since, reason },
          {
            state: health.state,
            since: health.since,
            reason: health.reason,
          },
        );

        await migrate(rebuilt);
        await importEvidence(rebuilt, f.evidence);
        assert.deepEqual(await answers(db), await answers(rebuilt));

        // Again: nothing more to do.
        const again = await storeGc({ config: f.config, db, keep: '30d' });
        assert.deepEqual(again.removed, []);
        assert.equal(again.ledger_rows, 0);
      } finally {
        await db.close();
        await rebuilt.close();
      }
    });

    test('a dry run lists what would go and changes nothing, in the ledger or on disk', async () => {
      const f = await farm();
      const db = await open();
      try {
        await migrate(db);
        await importEvidence(db, f.evidence);
        const before = { files: readdirSync(f.evidence).sort(), ledger: await answers(db) };
        const summary = await storeGc({ config: f.config, db, keep: '30d', dryRun: true });
        assert.equal(summary.dry_run, true);
        assert.equal(summary.removed.length, 4);
        assert.equal(summary.ledger_rows, 5);
        assert.deepEqual(
          { files: readdirSync(f.evidence).sort(), ledger: await answers(db) },
          before,
        );
      } finally {
        await db.close();
      }
    });
  });
}

test('a keep period that is not one is refused before anything is looked at', async () => {
  const f = await farm();
  for (const bad of ['30', '30x', '0d', '-1d', '1.5d', '30 d', 'forever', '', '999999d']) {
    await assert.rejects(
      storeGc({ config: f.config, db: null, keep: bad }),
      (error: Error & { code?: string }) =>
        error.code === 'USAGE' &&
        /^--keep .*: expected a period such as 30d, 12h or 2w \(hours, days or weeks\)$/.test(
          error.message,
        ),
      bad,
    );
  }
  assert.equal(existsSync(f.old.job), true);
});

test('without a ledger, evidence still goes by age (and no rows are counted)', async () => {
  const f = await farm();
  const summary = await storeGc({ config: f.config, db: null, keep: '6w' });
  assert.equal(summary.ledger, 'off');
  assert.equal(summary.ledger_rows, 0);
  // Only what is older than six weeks; no health is known, so nothing is kept for it.
  assert.deepEqual(
    summary.removed.map((r) => r.path).sort(),
    [f.old.job, f.old.pass, f.old.power, f.old.hut02Pass].sort(),
  );
});
