/**
 * The ledger as a farm uses it: jobs, hil runs and power cycles on the simulated farm are
 * recorded as they happen (through the ledger's inbox); `store import` of the same evidence into
 * an empty ledger gives the same answers; a ledger that cannot be written never costs the job.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { putIdfBuild, startTestFarm, type TestFarm } from '../support/farm.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url));
let t: TestFarm;
const SHA = '5e6f7a8b9c0d';
before(async () => {
  t = await startTestFarm(2);
  await putIdfBuild(t, SHA, { version: 'v4.0.0' }, ['i2s', 'muse']);
});
after(async () => {
  await t.stop();
});

/** The farm's config with a different `store:`, as another file. */
function configWith(store: string): string {
  const path = join(t.dir, `hutctl-${Math.random().toString(36).slice(2, 8)}.yaml`);
  writeFileSync(path, `${readFileSync(t.farm.configPath, 'utf8')}\nstore:\n${store}\n`);
  return path;
}

const json = async (args: string[], config?: string) => {
  const r = await t.hutctl([...args, '--json'], config ? { env: { HUTCTL_CONFIG: config } } : {});
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

test('jobs, hil results and power events are recorded as they happen, and store import rebuilds the same ledger', async () => {
  assert.equal((await t.hutctl(['slot', 'run', 'hut-01', '--', 'true'])).code, 0);
  assert.equal((await t.hutctl(['slot', 'run', 'hut-01', '--', 'sh', '-c', 'exit 3'])).code, 1);
  const hil = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-02', '--json']);
  assert.equal(hil.code, 0, hil.stderr);
  assert.equal((await t.hutctl(['power', 'cycle', 'hut-01', '--force'])).code, 0);

  const status = await json(['store', 'status']);
  assert.equal(status.engine, 'sqlite');
  assert.equal(status.jobs, 2);
  assert.equal(status.hil_results, 1);
  // hil's cold boot of hut-02 and the cycle of hut-01.
  assert.ok(status.power_events >= 2, JSON.stringify(status));

  const queries = [
    ['job', 'list'],
    ['job', 'list', '--slot', 'hut-01', '--status', 'failed'],
    ['hil', 'history', '--sha', SHA.slice(0, 7)],
    ['power', 'history', 'hut-01'],
    ['power', 'history', 'hut-02'],
    ['slot', 'history', 'hut-02'],
  ];
  const live = [];
  for (const q of queries) live.push(await json(q));
  assert.equal(live[1].length, 1);
  assert.equal(live[1][0].exit_code, 3);
  assert.equal(live[2][0].app_version, 'v4.0.0');
  assert.deepEqual(
    live[4].map((e: { action: string }) => e.action),
    ['boot'],
  );
  assert.ok(live[5].some((e: { kind: string }) => e.kind === 'hil'));

  // A new, empty ledger filled only from the evidence answers every query the same way.
  const rebuilt = configWith(`  path: ${join(t.dir, 'rebuilt.sqlite')}`);
  const imported = await json(['store', 'import', join(t.dir, 'evidence')], rebuilt);
  assert.deepEqual(imported.recorded, {
    health: 0,
    action: 0,
    job: status.jobs,
    delegation: 0,
    hil: status.hil_results,
    power: status.power_events,
    doc_edit: 0,
  });
  for (const [i, q] of queries.entries())
    assert.deepEqual(await json(q, rebuilt), live[i], q.join(' '));
  // Importing again changes nothing, however the directory is spelt.
  await json(['store', 'import', join(t.dir, 'evidence')], rebuilt);
  await json(['store', 'import', `${join(t.dir, 'evidence')}/`], rebuilt);
  await json(['store', 'import', join(t.dir, 'evidence', '..', 'evidence')], rebuilt);
  await json(['store', 'import', 'evidence'], rebuilt); // relative to the farm directory
  for (const [i, q] of queries.entries())
    assert.deepEqual(await json(q, rebuilt), live[i], q.join(' '));
});

test('the edits hutctl makes to the documents are evidence and ledger rows, which store import rebuilds', async () => {
  const repo = join(t.dir, 'squeezelite');
  cpSync(FIXTURE, repo, { recursive: true });
  const evidence = join(t.dir, 'evidence');
  const before = new Set(readdirSync(evidence));
  const add = await t.hutctl([
    'handoff',
    'add',
    '--agent',
    'runner:codex',
    '--goal',
    'GOAL-001/WS9',
    '--context',
    'runner-live',
    '--action',
    'execute',
    '--executor',
    'ssh_direct',
    '--operator-required',
    'no',
    '--summary',
    'power cycle hut-01: ok `abc1234`',
    '--next',
    'arch: review',
    '--docs',
    repo,
  ]);
  assert.equal(add.code, 0, add.stderr);
  const set = await t.hutctl([
    'board',
    'set',
    'GOAL-001/WS9',
    '--status',
    'blocked',
    '--blockers',
    'DEP:relay wiring',
    '--docs',
    repo,
  ]);
  assert.equal(set.code, 0, set.stderr);
  // A change that changes nothing is no edit.
  assert.equal(
    (await t.hutctl(['board', 'set', 'GOAL-001/WS9', '--status', 'blocked', '--docs', repo])).code,
    0,
  );
  const made = readdirSync(evidence).filter((name) => !before.has(name));
  assert.deepEqual(
    made.map((name) => name.replace(/_\d{8}_\d{6}_[0-9a-f]{6}_utc\.json$/, '')).sort(),
    ['hutctl_docedit_board-row', 'runner_docedit_handoff-entry'],
  );
  const edits = await json(['docs', 'history']);
  assert.deepEqual(
    edits.map((e: Record<string, unknown>) => [
      e.document,
      e.edit,
      e.command,
      e.role,
      e.lines_added,
      e.lines_removed,
    ]),
    [
      [
        'documentation/short-term/coordination/workstream_board.md',
        'board-row',
        'board set',
        null,
        2,
        2,
      ],
      [
        'documentation/short-term/coordination/handoff_log.md',
        'handoff-entry',
        'handoff add',
        'runner',
        1,
        0,
      ],
    ],
  );
  assert.equal(edits[1].by_agent, 'runner:codex');
  assert.match(edits[0].by_agent, /^[^@]+@.+$/);
  assert.equal(edits[0].summary, 'GOAL-001/WS9: status=blocked, blockers=DEP:relay wiring');
  const table = await t.hutctl(['docs', 'history', '--role', 'runner']);
  assert.match(table.stdout, /^AT \(UTC\) +DOCUMENT +EDIT +BY +LINES +SUMMARY$/m);
  assert.match(
    table.stdout,
    /handoff_log\.md +handoff-entry +runner:codex +\+1\/-0 +GOAL-001\/WS9 execute: power cycle hut-01/,
  );
  assert.doesNotMatch(table.stdout, /board-row/);

  const rebuilt = configWith(`  path: ${join(t.dir, 'rebuilt-edits.sqlite')}`);
  const imported = await json(['store', 'import', evidence], rebuilt);
  assert.equal(imported.recorded.doc_edit, 2);
  assert.deepEqual(await json(['docs', 'history'], rebuilt), edits);

  // Evidence that cannot be written costs one warning; the document has the edit.
  const broken = join(t.dir, 'hutctl-broken-evidence.yaml');
  writeFileSync(
    broken,
    readFileSync(t.farm.configPath, 'utf8').replace(
      /evidence_dir: .*/,
      `evidence_dir: ${join(t.dir, 'hutctl.yaml')}`,
    ),
  );
  const claim = await t.hutctl(['board', 'claim', 'GOAL-002/WS1', 'runner:codex', '--docs', repo], {
    env: { HUTCTL_CONFIG: broken },
  });
  assert.equal(claim.code, 0, claim.stderr);
  assert.match(claim.stdout, /^GOAL-002\/WS1: .*owner runner:codex/m);
  assert.match(
    claim.stderr,
    /^hutctl: warning: the ledger was not told of 1 document edit\(s\) \(.+\); the documents have them$/m,
  );
});

test('a ledger that cannot be written never touches the job; its inbox keeps the evidence until the ledger can take it', async () => {
  const blocked = join(t.dir, 'no-ledger-here');
  mkdirSync(blocked);
  const file = join(blocked, 'ledger.sqlite');
  writeFileSync(file, 'this is not a database');
  chmodSync(file, 0o444);
  const config = configWith(`  path: ${file}`);
  const r = await t.hutctl(['slot', 'run', 'hut-02', '--json', '--', 'sh', '-c', 'exit 4'], {
    env: { HUTCTL_CONFIG: config },
  });
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.status, 'failed');
  assert.equal(report.exit_code, 4);
  const evidence = report.log_path.replace(/\.log$/, '.json');
  assert.equal(JSON.parse(readFileSync(evidence, 'utf8')).job_id, report.job_id);
  assert.deepEqual(
    readdirSync(`${file}.inbox`).map((name) => readlinkSync(join(`${file}.inbox`, name))),
    [evidence],
  );

  // Reading the broken ledger says what is wrong with it, and leaves the inbox as it is.
  const list = await t.hutctl(['job', 'list'], { env: { HUTCTL_CONFIG: config } });
  assert.notEqual(list.code, 0);
  assert.match(list.stderr, /ledger/);
  assert.equal(readdirSync(`${file}.inbox`).length, 1);

  // Once the ledger can be written, the next reader records the job and empties the inbox.
  rmSync(file, { force: true });
  const jobs = await json(['job', 'list'], config);
  assert.deepEqual(
    jobs.map((j: { job_id: string; exit_code: number }) => [j.job_id, j.exit_code]),
    [[report.job_id, 4]],
  );
  assert.deepEqual(readdirSync(`${file}.inbox`), []);
});

test('a ledger another process holds locked costs a job one wait and one warning, and what waits is recorded once it is free', async () => {
  const file = join(t.dir, `locked-${Math.random().toString(36).slice(2, 8)}.sqlite`);
  const config = configWith(`  path: ${file}`);
  const env = { env: { HUTCTL_CONFIG: config } };
  const first = await t.hutctl(['slot', 'run', 'hut-01', '--json', '--', 'true'], env);
  assert.equal(first.code, 0, first.stderr);
  // Another process (a person's sqlite3 shell, a stuck reader) holds the write lock.
  const holder = spawn(
    process.execPath,
    [
      '-e',
      "const d = new (require('node:sqlite').DatabaseSync)(process.argv[1]); d.exec('BEGIN IMMEDIATE'); console.log('held'); setInterval(() => {}, 1000);",
      file,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await once(holder.stdout!, 'data');
    const second = await t.hutctl(['slot', 'run', 'hut-01', '--json', '--', 'true'], env);
    assert.equal(second.code, 0, second.stderr);
    const warnings = second.stderr.match(/^hutctl: warning: .*$/gm) ?? [];
    assert.equal(warnings.length, 1, second.stderr);
    assert.match(warnings[0]!, /is locked by another process/);
    // A person's decision is kept, and taken by the ledger once it is free.
    const set = await t.hutctl(
      ['slot', 'health', 'set', 'hut-01', 'maintenance', '--reason', 'hub swap'],
      env,
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^hut-01: maintenance \(decided; not yet in the ledger\)$/m);
    assert.match(set.stderr, /the ledger cannot take the decision now .*locked.*; it is kept in /);
  } finally {
    holder.kill('SIGKILL');
    await once(holder, 'close');
  }
  const jobs = await json(['job', 'list'], config);
  assert.equal(jobs.length, 2);
  const health = await json(['slot', 'health', 'show', 'hut-01'], config);
  assert.equal(health.state, 'maintenance', JSON.stringify(health));
  assert.equal(health.reason, 'hub swap');
  await json(['slot', 'health', 'set', 'hut-01', 'good', '--reason', 'back'], config);
});

test('a damaged ledger is said as damaged, with how to rebuild it from the evidence; store import does', async () => {
  const file = join(t.dir, `damaged-${Math.random().toString(36).slice(2, 8)}.sqlite`);
  const config = configWith(`  path: ${file}`);
  const env = { env: { HUTCTL_CONFIG: config } };
  const evidence = join(t.dir, 'evidence');
  assert.equal((await t.hutctl(['store', 'import', evidence], env)).code, 0);
  const before = await json(['job', 'list', '--limit', '1000'], config);
  assert.ok(before.length > 0);
  // Pages past the header overwritten: the file still opens, its tables do not read.
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(4096 * 8, 0xff), 0, 4096 * 8, 4096);
  closeSync(fd);
  const list = await t.hutctl(['job', 'list'], env);
  assert.equal(list.code, 1, list.stderr);
  assert.match(list.stderr, new RegExp(`^hutctl: the ledger ${file} is damaged: `, 'm'));
  assert.match(
    list.stderr,
    /rebuild it from the evidence \(it is kept aside, with its -wal and -shm where they are left\): hutctl store import \/\S+ --rebuild$/m,
  );
  assert.doesNotMatch(list.stderr, /unexpected error|--debug/);
  const rebuilt = await t.hutctl(['store', 'import', evidence, '--rebuild'], env);
  assert.equal(rebuilt.code, 0, rebuilt.stderr);
  const aside = /the ledger was moved aside to (\S+);/.exec(rebuilt.stderr)?.[1];
  assert.ok(aside?.startsWith(`${file}.damaged-`), rebuilt.stderr);
  assert.ok(existsSync(aside!), 'the damaged ledger is kept');
  assert.deepEqual(await json(['job', 'list', '--limit', '1000'], config), before);
  // Again at once: the first set kept aside is not overwritten.
  const again = await t.hutctl(['store', 'import', evidence, '--rebuild'], env);
  assert.equal(again.code, 0, again.stderr);
  const second = /the ledger was moved aside to (\S+);/.exec(again.stderr)?.[1];
  assert.notEqual(second, aside);
  assert.ok(existsSync(aside!) && existsSync(second!));
  // Not for a ledger that is not there.
  const none = await t.hutctl(['store', 'import', evidence, '--rebuild'], {
    env: { HUTCTL_CONFIG: configWith(`  path: ${join(t.dir, 'none.sqlite')}`) },
  });
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /^hutctl: there is no ledger at .+none\.sqlite to move aside$/m);
});

test('an inbox that cannot be written costs the job one warning, and store import records the job later', async () => {
  const dir = join(t.dir, 'inbox-blocked');
  mkdirSync(dir);
  const file = join(dir, 'ledger.sqlite');
  writeFileSync(`${file}.inbox`, 'a file where the inbox goes');
  const config = configWith(`  path: ${file}`);
  const r = await t.hutctl(['slot', 'run', 'hut-01', '--json', '--', 'true'], {
    env: { HUTCTL_CONFIG: config },
  });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.match(
    r.stderr,
    /^hutctl: warning: "\/.+_utc\.json" could not be handed to the ledger \(.+ is not a directory\); 'hutctl store import' records it later$/m,
  );
  assert.deepEqual(await json(['job', 'list'], config), []);
  await json(['store', 'import', join(t.dir, 'evidence')], config);
  assert.ok(
    (await json(['job', 'list'], config)).some(
      (j: { job_id: string }) => j.job_id === report.job_id,
    ),
  );
});

test('history commands refuse bad filters in one line and change nothing', async () => {
  for (const [args, message] of [
    [['job', 'list', '--since', 'last week'], /--since last week: expected a duration such as 7d/],
    [['hil', 'history', '--since', '2026-02-30'], /--since 2026-02-30: there is no day 30 in/],
    [['slot', 'history', 'hut-01', '--since', '2026-11-01T24:00Z'], /24:00 is not a time of day/],
    [['job', 'list', '--limit', '0'], /--limit/],
    [['hil', 'history', '--sha', "3f2c1ab' OR 1=1"], /--sha .*: expected 7 to 64 hex digits/],
    [['power', 'history', '../etc'], /slot/],
    [['job', 'list', '--status', 'a b'], /--status a b: expected one of success, failed/],
    [['job', 'list', '--status', 'faild'], /--status faild: expected one of/],
    [
      ['hil', 'history', '--status', 'success'],
      /--status success: expected one of pass, fail, blocked/,
    ],
    [['store', 'import', join(t.dir, 'missing')], /missing: no such directory/],
  ] as const) {
    const r = await t.hutctl([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length <= 2, true, r.stderr);
  }
  const off = configWith('  engine: off');
  const r = await t.hutctl(['job', 'list'], { env: { HUTCTL_CONFIG: off } });
  assert.match(r.stderr, /the ledger is off/);
});

test('hil history cuts a long reason in its table at 200 characters; --json keeps it whole', async () => {
  const evidence = join(t.dir, 'evidence');
  let [result] = readdirSync(evidence).filter((f) => /^runner_hil_.*_utc\.json$/.test(f));
  if (!result) {
    const run = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01']);
    assert.equal(run.code, 0, run.stderr);
    [result] = readdirSync(evidence).filter((f) => /^runner_hil_.*_utc\.json$/.test(f));
  }
  const document = JSON.parse(readFileSync(join(evidence, result!), 'utf8'));
  const reason = `panic: ${'Guru Meditation Error '.repeat(300)}`;
  const dir = join(t.dir, 'long-reason');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `runner_hil_hw-boot-001_hut-02_${SHA}_20261129_120000_utc.json`),
    JSON.stringify({ ...document, slot: 'hut-02', status: 'fail', phase: 'boot', reason }),
  );
  await json(['store', 'import', dir]);
  const table = await t.hutctl(['hil', 'history', '--slot', 'hut-02', '--status', 'fail']);
  assert.equal(table.code, 0, table.stderr);
  const row = table.stdout.split('\n').find((line) => line.includes('Guru Meditation'))!;
  const shown = row.slice(row.indexOf('panic: '));
  assert.equal([...shown].length, 200);
  assert.ok(shown.endsWith('…'));
  const rows = await json(['hil', 'history', '--slot', 'hut-02', '--status', 'fail']);
  assert.equal(rows[0].reason, reason);
});
