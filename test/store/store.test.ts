/**
 * The ledger's contract, run against both engines: a node:sqlite file and a real PostgreSQL
 * cluster the harness starts. The same evidence recorded in each must answer every query the
 * same way, and hostile or broken evidence is skipped with a reason, never recorded.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Db, openPostgres, openSqlite } from '../../src/store/db.ts';
import { importEvidence } from '../../src/store/import.ts';
import {
  delegationHistory,
  docEditHistory,
  hilHistory,
  listJobs,
  powerHistory,
  sinceInstant,
  slotHistory,
} from '../../src/store/queries.ts';
import { recordFile } from '../../src/store/record.ts';
import { evidenceRowsDelete } from '../../src/store/retention.ts';
import { MIGRATIONS, migrate, migrationSql } from '../../src/store/schema.ts';
import { tempDir } from '../support/cli.ts';
import { startPostgres, type TestPostgres } from '../support/postgres.ts';

let pg: TestPostgres;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.stop();
});

/** A fresh database of each engine. */
const engines: Record<string, () => Promise<Db>> = {
  sqlite: () => openSqlite(join(tempDir('hutctl-ledger-'), 'ledger.sqlite')),
  postgres: async () => {
    // One schema per test keeps tests apart in one cluster.
    const admin = await openPostgres(pg.url);
    const schema = `t${Math.random().toString(36).slice(2, 10)}`;
    await admin.exec(`CREATE SCHEMA ${schema}`);
    await admin.close();
    const options = encodeURIComponent(`-c search_path=${schema}`);
    return openPostgres(`${pg.url}${pg.url.includes('?') ? '&' : '?'}options=${options}`);
  },
};

function report(fields: Record<string, unknown> = {}) {
  return {
    schema_version: 'ws2.report.v1',
    job_id: 'slot-hut-02-20261128-101500-ab12',
    agent_role: 'runner',
    status: 'success',
    start_utc: '2026-11-28T10:15:00Z',
    end_utc: '2026-11-28T10:15:04Z',
    duration_sec: 4.2,
    exit_code: 0,
    lock_key: 'hut-02',
    executor: { hostname: 'runner-vm', user: 'codexsvc', transport: 'local' },
    commit_sha: '3f2c1ab9d8e7',
    human_summary: 'step 1/1 `esptool.py flash_id` exited 0',
    slot: 'hut-02',
    port: '/dev/serial/by-id/usb-1a86_USB_Single_Serial_5434-if00',
    log_path: '/srv/evidence/runner_slot-hut-02_20261128_101500_utc.log',
    recovery_events: 1,
    recoveries: ['power-cycled hut-02 after a reset loop'],
    ...fields,
  };
}

function hilResult(fields: Record<string, unknown> = {}) {
  return {
    schema_version: 'hutctl.hil-result.v1',
    commit_sha: '3f2c1ab9d8e7',
    lane: 'local-hil',
    slot: 'hut-02',
    platform: 'muse',
    test_id: 'HW-BOOT-001',
    status: 'blocked',
    phase: 'flash',
    reason: 'the ROM did not answer SYNC',
    power_cycles: 2,
    recovery_events: 1,
    recoveries: [{ phase: 'power-cycle', outcome: 'hang', detail: 'no output for 10 s' }],
    reset_reason: null,
    app_version: null,
    expected_version: 'v2.1.0',
    flash_ms: null,
    boot_ms: null,
    evidence: [],
    started_utc: '2026-11-28T10:20:00Z',
    ended_utc: '2026-11-28T10:20:31Z',
    duration_sec: 31,
    ...fields,
  };
}

function powerEvent(fields: Record<string, unknown> = {}) {
  return {
    schema_version: 'hutctl.power-event.v1',
    slot: 'hut-02',
    action: 'cycle',
    backend: 'homeassistant switch.hut_02_power',
    status: 'ok',
    attempts: 1,
    total_ms: 3120,
    error: null,
    last_state: 'on',
    job_id: null,
    phases: [{ attempt: 1, phase: 'off', duration_ms: 40 }],
    started_utc: '2026-11-28T10:19:00.000Z',
    ended_utc: '2026-11-28T10:19:03.120Z',
    ...fields,
  };
}

/** A delegation's report, as `delegate` writes it (executor remote_codex, tokens, thread). */
function delegation(fields: Record<string, unknown> = {}) {
  return report({
    job_id: 'delegate-runner-20261128-120000-9f3a',
    lock_key: 'delegate-runner',
    start_utc: '2026-11-28T12:00:00Z',
    end_utc: '2026-11-28T12:01:30Z',
    duration_sec: 90,
    executor: {
      hostname: 'runner-vm',
      user: 'codexsvc',
      transport: 'remote_codex',
      target: 'runner',
      via: 'codexsvc@runner-vm:22',
    },
    slot: undefined,
    port: undefined,
    commit_sha: undefined,
    recoveries: undefined,
    recovery_events: undefined,
    human_summary: 'ran it: hello',
    thread_ref: '01a20eb6-0cb8-7df1-9a4b-5fc5c9f67e3e',
    goal: 'GOAL-001/WS9',
    mechanism: 'app-server',
    turns: 1,
    turn_tokens: 2040,
    input_tokens: 2000,
    output_tokens: 40,
    total_tokens_after_turn: 5100,
    ...fields,
  });
}

function docEdit(fields: Record<string, unknown> = {}) {
  return {
    schema_version: 'hutctl.doc-edit.v1',
    repository: '/srv/squeezelite-esp32',
    document: 'documentation/short-term/coordination/handoff_log.md',
    edit: 'handoff-entry',
    summary: 'GOAL-002/WS3 execute: HW-BOOT-001 on hut-02 pass',
    by: 'runner:hutctl',
    role: 'runner',
    command: 'hil surface --update-docs',
    lines_added: 1,
    lines_removed: 0,
    commit_sha: '3f2c1ab9d8e7',
    evidence: '/srv/evidence/runner_hil_hw-boot-001_hut-02_3f2c1ab9d8e7_20261128_102000_utc.json',
    host: 'runner-vm',
    at_utc: '2026-11-28T10:21:00.000Z',
    ...fields,
  };
}

/** An evidence directory as hutctl leaves it, plus what a broken or hostile machine adds. */
function evidence(): string {
  const dir = tempDir('hutctl-evidence-');
  const put = (name: string, value: unknown) =>
    writeFileSync(join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
  put('runner_a_20261128_101500_utc.json', report());
  put(
    'runner_b_20261127_090000_utc.json',
    report({
      job_id: 'b',
      status: 'failed',
      exit_code: 2,
      slot: undefined,
      port: undefined,
      commit_sha: 'none',
      start_utc: '2026-11-27T09:00:00Z',
      end_utc: '2026-11-27T09:00:01Z',
      agent_role: 'infra',
      recoveries: undefined,
      recovery_events: undefined,
    }),
  );
  put('runner_hil_a_utc.json', hilResult());
  put(
    'runner_hil_b_utc.json',
    hilResult({
      status: 'pass',
      phase: 'boot',
      reason: 'booted v2.1.0',
      app_version: 'v2.1.0',
      commit_sha: '9c1e2f3a4b5d',
      started_utc: '2026-11-28T11:00:00Z',
      ended_utc: '2026-11-28T11:00:12Z',
      recoveries: [],
      recovery_events: 0,
    }),
  );
  put('runner_power_cycle_hut-02_utc.json', powerEvent());
  put(
    'runner_power_boot_hut-02_utc.json',
    powerEvent({
      action: 'boot',
      status: 'ha_error',
      error: 'Home Assistant answered 500',
      started_utc: '2026-11-28T10:20:01.000Z',
      ended_utc: '2026-11-28T10:20:02.000Z',
    }),
  );
  put('runner_delegate-runner-20261128-120000-9f3a_20261128_120000_utc.json', delegation());
  put(
    'runner_delegate-b_utc.json',
    delegation({
      job_id: 'delegate-b',
      agent_role: 'infra',
      status: 'timeout',
      exit_code: 124,
      start_utc: '2026-11-27T08:00:00Z',
      end_utc: '2026-11-27T08:10:00Z',
      executor: { hostname: 'infra-host', user: 'codex', transport: 'codex_exec' },
      mechanism: 'exec',
      // Written before input and output tokens and turns were in the report.
      turns: undefined,
      input_tokens: undefined,
      output_tokens: undefined,
    }),
  );
  put('runner_docedit_handoff-entry_utc.json', docEdit());
  put(
    'hutctl_docedit_board-row_utc.json',
    docEdit({
      document: 'documentation/short-term/coordination/workstream_board.md',
      edit: 'board-row',
      summary: 'GOAL-002/WS3: status=done',
      by: 'alice@arch-host',
      role: null,
      command: 'board set',
      lines_added: 2,
      lines_removed: 2,
      commit_sha: null,
      evidence: null,
      at_utc: '2026-11-28T10:25:00.000Z',
    }),
  );
  // What is not ours, or not valid, is skipped with a reason.
  put('bad-edit_utc.json', docEdit({ edit: "x'; DROP TABLE doc_edits; --" }));
  put('notes.json', { hello: 'world' });
  put('truncated_utc.json', '{"schema_version": "ws2.report.v1", "job_');
  put('bad-status_utc.json', report({ job_id: 'bad', status: 'exploded' }));
  put('hostile-id_utc.json', report({ job_id: "x'; DROP TABLE jobs; --" }));
  put('hostile-slot_utc.json', report({ job_id: 'slot-escape', slot: '../../etc' }));
  put('bad-power_utc.json', powerEvent({ status: 'exploded' }));
  put('power-job-escape_utc.json', powerEvent({ job_id: '../../x\u001b[31m' }));
  put('not-a-result_utc.json', hilResult({ status: 'ok' }));
  put('skipped_utc.json', hilResult({ status: 'skipped', phase: 'ledger' }));
  writeFileSync(join(dir, 'big_utc.json'), Buffer.alloc(5 * 1024 * 1024, 0x20));
  mkdirSync(join(dir, 'dir.json'));
  symlinkSync('/dev/zero', join(dir, 'zero.json'));
  spawnSync('mkfifo', [join(dir, 'fifo.json')]);
  put('runner_a_20261128_101500_utc.log', 'not json, not looked at');
  return dir;
}

const all = { limit: 1000 };

for (const [engine, open] of Object.entries(engines)) {
  describe(`the ledger on ${engine}`, () => {
    test('migrations: applied once, in order, and again is a no-op, even two at once', async () => {
      const [a, b] = await Promise.all([open(), open()]);
      try {
        assert.deepEqual(await Promise.all([migrate(a), migrate(b)]), [
          MIGRATIONS.length,
          MIGRATIONS.length,
        ]);
        assert.equal(await migrate(a), MIGRATIONS.length);
        const rows = await a.all('SELECT version FROM hutctl_schema ORDER BY version');
        assert.deepEqual(
          rows.map((r) => Number(r.version)),
          MIGRATIONS.map((_, i) => i + 1),
        );
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('import records reports (of jobs and delegations), hil results, power events and document edits, skips the rest with a reason, and again changes nothing', async () => {
      const db = await open();
      try {
        await migrate(db);
        const dir = evidence();
        const first = await importEvidence(db, dir);
        assert.deepEqual(first.recorded, {
          job: 2,
          delegation: 2,
          hil: 2,
          power: 2,
          health: 0,
          doc_edit: 2,
          action: 0,
        });
        const why = Object.fromEntries(first.skipped.map((s) => [s.file, s.why]));
        assert.equal(why['notes.json'], 'not a hutctl evidence file');
        assert.equal(why['truncated_utc.json'], 'not JSON');
        assert.match(why['bad-status_utc.json']!, /^not a valid ws2\.report\.v1: status: /);
        // The id's rule, its name said once.
        assert.match(why['hostile-id_utc.json']!, /^not a valid ws2\.report\.v1: job_id: letters/);
        assert.match(
          why['hostile-slot_utc.json']!,
          /^not a valid ws2\.report\.v1: slot: lower-case/,
        );
        assert.match(why['bad-power_utc.json']!, /^not a valid hutctl\.power-event\.v1: status: /);
        assert.match(
          why['power-job-escape_utc.json']!,
          /^not a valid hutctl\.power-event\.v1: job_id: letters/,
        );
        assert.match(why['not-a-result_utc.json']!, /^not a valid hutctl\.hil-result\.v1: status/);
        assert.equal(why['skipped_utc.json'], 'a skipped test is not a result');
        assert.match(why['bad-edit_utc.json']!, /^not a valid hutctl\.doc-edit\.v1: edit: /);
        assert.match(
          why['big_utc.json']!,
          /^[\d.]+ MiB is more than the 4\.0 MiB such a file may have$/,
        );
        assert.equal(why['dir.json'], 'it is a directory');
        assert.equal(why['zero.json'], 'not a regular file');
        assert.equal(why['fifo.json'], 'not a regular file');
        const before = await listJobs(db, all);
        const again = await importEvidence(db, dir);
        assert.deepEqual(again.recorded, first.recorded);
        assert.deepEqual(await listJobs(db, all), before);
        assert.equal(Number((await db.all('SELECT COUNT(*) AS n FROM recoveries'))[0]!.n), 2);
      } finally {
        await db.close();
      }
    });

    test('a ledger made by an earlier hutctl (schema 2) gains the new tables and keeps its rows', async () => {
      const db = await open();
      try {
        await db.exec(
          'CREATE TABLE hutctl_schema (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL)',
        );
        for (const version of [1, 2]) {
          await db.exec(migrationSql(version, db.engine));
          await db.run('INSERT INTO hutctl_schema (version, applied_utc) VALUES (?, ?)', [
            version,
            '2026-11-01T00:00:00.000Z',
          ]);
        }
        const dir = tempDir('hutctl-evidence-');
        writeFileSync(join(dir, 'runner_a_utc.json'), JSON.stringify(report()));
        await importEvidence(db, dir); // a job: a schema-2 ledger has its table
        assert.equal(await migrate(db), MIGRATIONS.length);
        assert.deepEqual(
          (await listJobs(db, all)).map((r) => r.job_id),
          ['slot-hut-02-20261128-101500-ab12'],
        );
        assert.deepEqual(await delegationHistory(db, all), []);
        assert.deepEqual(await docEditHistory(db, all), []);
      } finally {
        await db.close();
      }
    });

    test("a slot's job totals follow every write: a ledger migrated with jobs in it, new jobs, a report written again on another slot, rows removed", async () => {
      const db = await open();
      try {
        await db.exec(
          'CREATE TABLE hutctl_schema (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL)',
        );
        for (const version of [1, 2, 3, 4, 5, 6]) {
          await db.exec(migrationSql(version, db.engine));
          await db.run('INSERT INTO hutctl_schema (version, applied_utc) VALUES (?, ?)', [
            version,
            '2026-11-01T00:00:00.000Z',
          ]);
        }
        const dir = tempDir('hutctl-evidence-');
        const job = (name: string, fields: Record<string, unknown>) =>
          writeFileSync(join(dir, `runner_${name}_utc.json`), JSON.stringify(report(fields)));
        job('a', { job_id: 'job-a' });
        job('b', { job_id: 'job-b', recovery_events: 3 });
        job('c', { job_id: 'job-c', slot: 'hut-03', lock_key: 'hut-03', recovery_events: 0 });
        job('d', { job_id: 'job-d', slot: undefined, lock_key: 'ci', recovery_events: 0 });
        await importEvidence(db, dir); // recorded before the totals existed
        assert.equal(await migrate(db), MIGRATIONS.length);
        const totals = async () =>
          (
            await db.all(
              'SELECT slot, jobs, recoveries FROM slot_job_totals WHERE jobs > 0 ORDER BY slot',
            )
          ).map((r) => [r.slot, Number(r.jobs), Number(r.recoveries)]);
        const counted = async () =>
          (
            await db.all(
              'SELECT slot, COUNT(*) AS jobs, SUM(recovery_events) AS recoveries FROM jobs WHERE slot IS NOT NULL GROUP BY slot ORDER BY slot',
            )
          ).map((r) => [r.slot, Number(r.jobs), Number(r.recoveries)]);
        assert.deepEqual(await totals(), [
          ['hut-02', 2, 4],
          ['hut-03', 1, 0],
        ]);
        job('e', { job_id: 'job-e', slot: 'hut-04', lock_key: 'hut-04' });
        job('b', { job_id: 'job-b', slot: 'hut-03', lock_key: 'hut-03', recovery_events: 2 });
        job('a', { job_id: 'job-a' }); // the same again: no change
        await importEvidence(db, dir);
        assert.deepEqual(await totals(), [
          ['hut-02', 1, 1],
          ['hut-03', 2, 2],
          ['hut-04', 1, 1],
        ]);
        assert.deepEqual(await totals(), await counted());
        await evidenceRowsDelete(db, [
          join(dir, 'runner_b_utc.json'),
          join(dir, 'runner_e_utc.json'),
        ]);
        assert.deepEqual(await totals(), [
          ['hut-02', 1, 1],
          ['hut-03', 1, 0],
        ]);
        assert.deepEqual(await totals(), await counted());
      } finally {
        await db.close();
      }
    });

    test('a report written again (--replace) replaces its row and its recoveries', async () => {
      const db = await open();
      try {
        await migrate(db);
        const dir = tempDir('hutctl-evidence-');
        const path = join(dir, 'runner_a_utc.json');
        writeFileSync(path, JSON.stringify(report()));
        assert.deepEqual(await recordFile(db, path), { kind: 'job' });
        writeFileSync(
          path,
          JSON.stringify(
            report({ status: 'failed', exit_code: 1, recoveries: [], recovery_events: 0 }),
          ),
        );
        await recordFile(db, path);
        const [row] = await listJobs(db, all);
        assert.equal(row!.status, 'failed');
        assert.equal(row!.exit_code, 1);
        assert.equal(Number((await db.all('SELECT COUNT(*) AS n FROM recoveries'))[0]!.n), 0);
      } finally {
        await db.close();
      }
    });

    test('filters: since, slot, sha prefix, status, role, limit; newest first', async () => {
      const db = await open();
      try {
        await migrate(db);
        await importEvidence(db, evidence());
        const ids = async (f: object) =>
          (await listJobs(db, { ...all, ...f })).map((r) => r.job_id);
        // A delegation is a job of the contract too.
        assert.deepEqual(await ids({}), [
          'delegate-runner-20261128-120000-9f3a',
          'slot-hut-02-20261128-101500-ab12',
          'b',
          'delegate-b',
        ]);
        assert.deepEqual(await ids({ since: '2026-11-28T00:00:00.000Z' }), [
          'delegate-runner-20261128-120000-9f3a',
          'slot-hut-02-20261128-101500-ab12',
        ]);
        assert.deepEqual(await ids({ slot: 'hut-02' }), ['slot-hut-02-20261128-101500-ab12']);
        assert.deepEqual(await ids({ sha: '3f2c1ab' }), ['slot-hut-02-20261128-101500-ab12']);
        assert.deepEqual(await ids({ sha: '3f2c1ac' }), []);
        assert.deepEqual(await ids({ status: 'failed' }), ['b']);
        assert.deepEqual(await ids({ role: 'infra' }), ['b', 'delegate-b']);
        assert.deepEqual(await ids({ limit: 1 }), ['delegate-runner-20261128-120000-9f3a']);
        // Values are parameters, never SQL.
        assert.deepEqual(await ids({ slot: "hut-02' OR '1'='1" }), []);
        const [job] = await listJobs(db, { ...all, slot: 'hut-02' });
        assert.equal(job!.host, 'runner-vm');
        assert.equal(job!.duration_sec, 4.2);
        assert.equal(job!.sha, '3f2c1ab9d8e7');
        const hil = await hilHistory(db, { ...all, status: 'pass' });
        assert.deepEqual(
          hil.map((r) => [r.slot, r.sha, r.app_version]),
          [['hut-02', '9c1e2f3a4b5d', 'v2.1.0']],
        );
        const power = await powerHistory(db, { ...all, slot: 'hut-02' });
        assert.deepEqual(
          power.map((r) => [r.action, r.status]),
          [
            ['boot', 'ha_error'],
            ['cycle', 'ok'],
          ],
        );
      } finally {
        await db.close();
      }
    });

    test('delegations and document edits: rows with their filters, and again changes nothing', async () => {
      const db = await open();
      try {
        await migrate(db);
        const dir = evidence();
        await importEvidence(db, dir);
        const delegations = await delegationHistory(db, all);
        assert.deepEqual(
          delegations.map((d) => [
            d.job_id,
            d.role,
            d.status,
            d.mechanism,
            d.turns,
            d.tokens_in,
            d.tokens_out,
            d.tokens_total,
            d.host,
          ]),
          [
            [
              'delegate-runner-20261128-120000-9f3a',
              'runner',
              'success',
              'app-server',
              1,
              2000,
              40,
              2040,
              'runner-vm',
            ],
            ['delegate-b', 'infra', 'timeout', 'exec', 1, null, null, 2040, 'infra-host'],
          ],
        );
        assert.equal(delegations[0]!.thread_ref, '01a20eb6-0cb8-7df1-9a4b-5fc5c9f67e3e');
        assert.equal(delegations[0]!.goal, 'GOAL-001/WS9');
        assert.equal(delegations[0]!.started_utc, '2026-11-28T12:00:00.000Z');
        assert.match(delegations[0]!.evidence_path, /runner_delegate-runner-.*_utc\.json$/);
        const who = async (f: object) =>
          (await delegationHistory(db, { ...all, ...f })).map((d) => d.job_id);
        assert.deepEqual(await who({ role: 'infra' }), ['delegate-b']);
        assert.deepEqual(await who({ status: 'success' }), [
          'delegate-runner-20261128-120000-9f3a',
        ]);
        assert.deepEqual(await who({ since: '2026-11-28T00:00:00.000Z' }), [
          'delegate-runner-20261128-120000-9f3a',
        ]);

        const edits = await docEditHistory(db, all);
        assert.deepEqual(
          edits.map((e) => [
            e.edit,
            e.by_agent,
            e.role,
            e.lines_added,
            e.lines_removed,
            e.commit_sha,
          ]),
          [
            ['board-row', 'alice@arch-host', null, 2, 2, null],
            ['handoff-entry', 'runner:hutctl', 'runner', 1, 0, '3f2c1ab9d8e7'],
          ],
        );
        assert.equal(edits[1]!.document, 'documentation/short-term/coordination/handoff_log.md');
        assert.equal(edits[1]!.command, 'hil surface --update-docs');
        assert.match(String(edits[1]!.evidence), /runner_hil_hw-boot-001_hut-02/);
        assert.deepEqual(
          (await docEditHistory(db, { ...all, role: 'runner' })).map((e) => e.edit),
          ['handoff-entry'],
        );
        assert.deepEqual(
          (await docEditHistory(db, { ...all, sha: '3f2c1ab' })).map((e) => e.edit),
          ['handoff-entry'],
        );
        // Keyed by the evidence file: importing again changes nothing.
        await importEvidence(db, dir);
        assert.deepEqual(await delegationHistory(db, all), delegations);
        assert.deepEqual(await docEditHistory(db, all), edits);
      } finally {
        await db.close();
      }
    });

    test('slot history merges jobs, tests, power events and recoveries by time', async () => {
      const db = await open();
      try {
        await migrate(db);
        await importEvidence(db, evidence());
        const events = await slotHistory(db, { ...all, slot: 'hut-02' });
        assert.deepEqual(
          events.map((e) => [e.at_utc.slice(0, 19), e.kind, e.status]),
          [
            ['2026-11-28T11:00:00', 'hil', 'pass'],
            ['2026-11-28T10:20:31', 'recovery', 'hang'],
            ['2026-11-28T10:20:01', 'power', 'ha_error'],
            ['2026-11-28T10:20:00', 'hil', 'blocked'],
            ['2026-11-28T10:19:00', 'power', 'ok'],
            ['2026-11-28T10:15:04', 'recovery', 'done'],
            ['2026-11-28T10:15:00', 'job', 'success'],
          ],
        );
        assert.equal(
          events.find((e) => e.kind === 'power' && e.status === 'ok')!.what,
          'cycle, 1 attempt(s), 3120 ms',
        );
      } finally {
        await db.close();
      }
    });
  });
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

test('SQLite: a transaction started while another connection of this process holds the lock waits its turn, instead of stopping the event loop until the lock timeout fails it', async () => {
  const file = join(tempDir('hutctl-ledger-turns-'), 'ledger.sqlite');
  const [a, b] = [await openSqlite(file), await openSqlite(file)];
  try {
    await a.exec('CREATE TABLE t (n INTEGER)');
    await Promise.all([
      a.transaction(async () => {
        await a.run('INSERT INTO t VALUES (1)');
        await tick(); // a timer: only a free event loop lets this transaction finish
        await a.run('INSERT INTO t VALUES (2)');
      }),
      b.transaction(async () => {
        await b.run('INSERT INTO t VALUES (3)');
      }),
    ]);
    assert.deepEqual(
      (await a.all('SELECT n FROM t ORDER BY n')).map((r) => Number(r.n)),
      [1, 2, 3],
    );
  } finally {
    await a.close();
    await b.close();
  }
});

for (const [engine, open] of Object.entries(engines)) {
  test(`${engine}: two transactions on one connection at once run one after the other, never one inside the other`, async () => {
    const db = await open();
    try {
      await db.exec('CREATE TABLE t (n INTEGER)');
      const results = await Promise.allSettled([
        db.transaction(async () => {
          await db.run('INSERT INTO t VALUES (1)');
          await tick();
          throw new Error('rolled back');
        }),
        db.transaction(async () => {
          await db.run('INSERT INTO t VALUES (2)');
        }),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['rejected', 'fulfilled'],
      );
      assert.deepEqual(
        (await db.all('SELECT n FROM t')).map((r) => Number(r.n)),
        [2],
      );
    } finally {
      await db.close();
    }
  });
}

test('both engines answer every query the same way', async () => {
  const dir = evidence();
  const answers = [];
  for (const open of Object.values(engines)) {
    const db = await open();
    try {
      await migrate(db);
      await importEvidence(db, dir);
      answers.push({
        jobs: await listJobs(db, all),
        hil: await hilHistory(db, all),
        power: await powerHistory(db, all),
        slot: await slotHistory(db, { ...all, slot: 'hut-02' }),
        delegations: await delegationHistory(db, all),
        edits: await docEditHistory(db, all),
      });
    } finally {
      await db.close();
    }
  }
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
  assert.deepEqual(plain(answers[0]), plain(answers[1]));
});

test('--since takes durations and UTC dates, and refuses anything else in one line', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  assert.equal(sinceInstant('7d', now), '2026-11-21T12:00:00.000Z');
  assert.equal(sinceInstant('90m', now), '2026-11-28T10:30:00.000Z');
  assert.equal(sinceInstant('2026-11-01', now), '2026-11-01T00:00:00.000Z');
  assert.equal(sinceInstant('2026-11-01T08:00:00Z', now), '2026-11-01T08:00:00.000Z');
  assert.equal(sinceInstant('2028-02-29', now), '2028-02-29T00:00:00.000Z');
  assert.equal(sinceInstant('2026-12-31T23:59:59.999Z', now), '2026-12-31T23:59:59.999Z');
  for (const bad of ['yesterday', '7 d', '-1d', "1d' OR 1=1", '9999999d']) {
    assert.throws(() => sinceInstant(bad, now), /--since .*: expected a duration such as 7d/);
  }
});

test('--since refuses a date or time that does not exist, instead of rolling it over', () => {
  for (const [bad, message] of [
    ['2026-02-30', /^--since 2026-02-30: there is no day 30 in February 2026 \(it has 28\)$/],
    ['2026-02-29', /there is no day 29 in February 2026 \(it has 28\)/],
    ['2026-04-31T08:00Z', /there is no day 31 in April 2026 \(it has 30\)/],
    ['2026-11-00', /there is no day 00 in November 2026/],
    ['2026-13-01', /^--since 2026-13-01: there is no month 13$/],
    ['2026-00-10', /there is no month 00/],
    ['2026-11-01T24:00Z', /^--since 2026-11-01T24:00Z: 24:00 is not a time of day/],
    ['2026-11-01T23:60:00Z', /23:60:00 is not a time of day/],
    ['2026-11-01T12:00:60.5Z', /12:00:60\.5 is not a time of day/],
  ] as const) {
    assert.throws(
      () => sinceInstant(bad),
      (error: Error) => message.test(error.message) && !error.message.includes('\n'),
      bad,
    );
  }
});

test('one process keeps its SQLite ledger open from one use to the next, and a ledger moved aside and rebuilt is the new one', async () => {
  const { openStore } = await import('../../src/store/ledger.ts');
  const { loadConfig } = await import('../../src/config/load.ts');
  const { renameSync } = await import('node:fs');
  const dir = tempDir('hutctl-ledger-kept-');
  const file = join(dir, 'ledger.sqlite');
  writeFileSync(join(dir, 'hutctl.yaml'), `store:\n  path: ${file}\n`);
  const { config } = loadConfig({ cwd: dir, env: { HOME: dir } });
  const evidence = join(dir, 'runner_a_utc.json');
  writeFileSync(evidence, JSON.stringify(report()));
  const first = (await openStore(config))!;
  await recordFile(first, evidence);
  await first.close();
  const second = (await openStore(config))!;
  // Closing is the process's to do: a closed handle's connection still answers the next user.
  assert.equal((await listJobs(first, all)).length, 1);
  assert.equal((await listJobs(second, all)).length, 1);
  await second.close();
  renameSync(file, `${file}.damaged`);
  const third = (await openStore(config))!;
  assert.deepEqual(await listJobs(third, all), []);
  await third.close();
});
