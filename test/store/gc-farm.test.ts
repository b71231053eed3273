/**
 * `hutctl store gc` on the simulated farm, with real files: old evidence, old artifacts and old
 * firmware copies go; an artifact a recent result names stays; what a running job or a held slot
 * uses stays; a symbolic link is never followed; a dry run and a bad keep period change nothing;
 * and a gc killed at any moment leaves a ledger that names no missing file, which the next gc
 * finishes.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCli } from '../support/cli.ts';
import { putIdfBuild, startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
const USED = 'aa11bb22cc33';
const UNUSED = 'dd44ee55ff66';
const OLD = new Date(Date.now() - 60 * 86400_000);
const children: ChildProcess[] = [];

before(async () => {
  t = await startTestFarm(2);
  await putIdfBuild(t, USED, { version: 'v1.1.0' }, ['i2s', 'muse']);
  await putIdfBuild(t, UNUSED, { version: 'v0.9.0' }, ['i2s']);
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await t.stop();
});

const path = (...parts: string[]) => join(t.dir, ...parts);
const evidence = (name: string) => path('evidence', name);

/** Makes a file or a whole tree look `OLD` (links themselves, never what they point to). */
function age(target: string): void {
  const stat = lstatSync(target);
  if (stat.isDirectory()) for (const name of readdirSync(target)) age(join(target, name));
  if (stat.isSymbolicLink()) lutimesSync(target, OLD, OLD);
  else utimesSync(target, OLD, OLD);
}

/** An artifact stored long ago: its manifest says so (its files are what they were). */
function ageArtifact(sha: string, profile: string): void {
  const manifest = path('artifacts', sha, profile, 'manifest.json');
  const data = JSON.parse(readFileSync(manifest, 'utf8'));
  data.created_utc = OLD.toISOString();
  writeFileSync(manifest, JSON.stringify(data));
  age(path('artifacts', sha, profile));
}

/**
 * Every path under the farm directory with its size and time, links not followed; the ledger as
 * what it answers (SQLite's own -wal and -shm files come and go as it is opened and closed).
 */
async function snapshot(): Promise<unknown> {
  const walk = (dir: string): string[] =>
    readdirSync(dir)
      .filter((name) => !name.startsWith('ledger.sqlite'))
      .flatMap((name) => {
        const p = join(dir, name);
        const s = lstatSync(p);
        const self = `${p} ${s.size} ${s.isDirectory() ? '' : s.mtimeMs}`;
        return s.isDirectory() ? [self, ...walk(p)] : [self];
      });
  const ledger = [];
  for (const q of [
    ['store', 'status'],
    ['job', 'list'],
    ['hil', 'history'],
    ['power', 'history', 'hut-01'],
  ])
    ledger.push(JSON.parse((await t.hutctl([...q, '--json'])).stdout));
  return { files: walk(t.dir).sort(), ledger };
}

const keepAlive = (argv: string[]) => {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  children.push(child);
  return child;
};

const gc = async (args: string[], env?: Record<string, string>) => {
  const r = await t.hutctl(['store', 'gc', ...args], env ? { env } : {});
  return { ...r, json: args.includes('--json') && r.code === 0 ? JSON.parse(r.stdout) : null };
};

test('store gc removes what is old and unused, keeps what is used or running, and follows no link', async () => {
  // Real work: a result that names USED (and leaves a firmware copy), and a job.
  for (const slot of ['hut-01', 'hut-02'])
    assert.equal((await t.hutctl(['hil', 'run', '--sha', USED, '--slot', slot])).code, 0);
  const job = JSON.parse(
    (await t.hutctl(['slot', 'run', 'hut-01', '--json', '--', 'true'])).stdout,
  );
  ageArtifact(USED, 'i2s');
  ageArtifact(UNUSED, 'i2s');
  age(path('state', 'hil', `${USED}-hut-01`));
  age(path('state', 'hil', `${USED}-hut-02`));
  age(job.log_path);
  age(job.log_path.replace(/\.log$/, '.json'));

  // A job still running (its executor lives), one interrupted long ago, a log a process still
  // writes, and hut-02's lock held by someone: all old, all to be left alone but the interrupted.
  const worker = keepAlive(['sleep', '120']);
  const record = (pid: number, id: string) =>
    JSON.stringify({
      job_id: id,
      pid,
      host: hostname(),
      start_utc: OLD.toISOString(),
      log_path: '',
    });
  writeFileSync(evidence('runner_busy_20250101_000000_utc.running'), record(worker.pid!, 'busy'));
  writeFileSync(evidence('runner_busy_20250101_000000_utc.log'), 'working\n');
  const dead = spawn('true');
  await new Promise((resolve) => dead.on('exit', resolve));
  writeFileSync(evidence('runner_gone_20250101_000000_utc.running'), record(dead.pid!, 'gone'));
  writeFileSync(evidence('runner_gone_20250101_000000_utc.log'), 'killed\n');
  const writing = evidence('infra_delegate-x_20250101_000000_utc.log');
  writeFileSync(writing, 'thinking\n');
  keepAlive(['sh', '-c', 'exec 3>>"$0"; exec sleep 120', writing]);
  keepAlive(['flock', path('locks', 'hut-02.lock'), 'sleep', '120']);
  // Links to what is not ours: an evidence name, an artifact profile, a whole SHA directory.
  mkdirSync(path('outside', 'artifact'), { recursive: true });
  writeFileSync(path('outside', 'secret.json'), '{"not": "yours"}');
  writeFileSync(path('outside', 'artifact', 'manifest.json'), '{}');
  symlinkSync(path('outside', 'secret.json'), evidence('runner_link_20250101_000000_utc.json'));
  mkdirSync(path('artifacts', 'abcdef1'));
  symlinkSync(path('outside', 'artifact'), path('artifacts', 'abcdef1', 'i2s'));
  symlinkSync(path('outside'), path('artifacts', 'abcdef2'));
  for (const p of [
    'evidence/runner_busy_20250101_000000_utc.running',
    'evidence/runner_busy_20250101_000000_utc.log',
    'evidence/runner_gone_20250101_000000_utc.running',
    'evidence/runner_gone_20250101_000000_utc.log',
    'evidence/infra_delegate-x_20250101_000000_utc.log',
    'evidence/runner_link_20250101_000000_utc.json',
    'artifacts/abcdef1/i2s',
    'artifacts/abcdef2',
    'outside',
  ])
    age(path(...p.split('/')));
  await sleep(300); // the lock and the open log are taken

  // A bad keep period, or none at all, changes nothing; neither does a dry run.
  const before = await snapshot();
  for (const bad of ['30', '30x', '0d', '-1d', '2 w'])
    for (const args of [
      ['--keep', bad],
      ['--keep', bad, '--dry-run'],
    ]) {
      const r = await gc(args);
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /^hutctl: --keep .*: expected a period such as 30d, 12h or 2w/);
      assert.equal(r.stderr.trim().split('\n').length <= 2, true, r.stderr);
    }
  assert.match((await gc([])).stderr, /say how long to keep: --keep 30d, or store\.keep/);
  const dry = await gc(['--keep', '30d', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.deepEqual(await snapshot(), before, 'nothing changed');
  const quoted = path('artifacts', UNUSED, 'i2s').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(dry.stdout, new RegExp(`^would remove ${quoted} \\(`, 'm'));
  assert.match(
    dry.stdout,
    /^would free [\d.]+ \w+ older than 30d \(before .+ UTC\): 2 evidence runs/m,
  );

  const r = await gc(['--keep', '30d', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const removed = r.json.removed.map((x: { kind: string; path: string }) => `${x.kind} ${x.path}`);
  assert.deepEqual(
    removed.sort(),
    [
      `artifact ${path('artifacts', UNUSED, 'i2s')}`,
      `evidence ${job.log_path.replace(/\.log$/, '.json')}`,
      `evidence ${evidence('runner_gone_20250101_000000_utc.log')}`,
      `firmware ${path('state', 'hil', `${USED}-hut-01`)}`,
    ].sort(),
  );
  assert.equal(r.json.freed.evidence.files, 4, 'the job report and log, the interrupted run');
  assert.ok(r.json.freed.artifact.bytes > 0 && r.json.freed.firmware.files > 0);
  assert.equal(r.json.ledger_rows, 1, "the job's row");
  const kept = Object.fromEntries(
    r.json.kept.map((k: { path: string; why: string }) => [k.path, k.why]),
  );
  assert.equal(kept[path('artifacts', USED, 'i2s')], 'a newer result or job names it');
  assert.match(
    kept[evidence('runner_busy_20250101_000000_utc.log')],
    new RegExp(`^unfinished: job busy is running \\(pid ${worker.pid} on `),
  );
  assert.match(kept[writing], /^unfinished: process \d+ has it open$/);
  assert.match(kept[path('state', 'hil', `${USED}-hut-02`)], /^unfinished: slot hut-02 is in use/);
  for (const link of [
    evidence('runner_link_20250101_000000_utc.json'),
    path('artifacts', 'abcdef1', 'i2s'),
    path('artifacts', 'abcdef2'),
  ])
    assert.match(kept[link], /^a symbolic link \(to .+\): never followed or removed$/);

  // What it kept is whole; nothing outside was touched.
  assert.equal(existsSync(path('artifacts', UNUSED)), false, 'its SHA directory went too');
  assert.equal((await t.hutctl(['artifact', 'verify', USED, '--profile', 'i2s'])).code, 0);
  assert.equal(readFileSync(path('outside', 'secret.json'), 'utf8'), '{"not": "yours"}');
  assert.deepEqual(readdirSync(path('outside', 'artifact')), ['manifest.json']);
  assert.equal(lstatSync(path('artifacts', 'abcdef2')).isSymbolicLink(), true);

  // The ledger says what the evidence says: the job is gone from both.
  const jobs = JSON.parse((await t.hutctl(['job', 'list', '--json'])).stdout);
  assert.equal(
    jobs.some((j: { job_id: string }) => j.job_id === job.job_id),
    false,
  );
  const rebuilt = path('rebuilt.yaml');
  writeFileSync(
    rebuilt,
    `${readFileSync(t.farm.configPath, 'utf8')}\nstore:\n  path: ${path('rebuilt.sqlite')}\n`,
  );
  const env = { HUTCTL_CONFIG: rebuilt };
  assert.equal((await t.hutctl(['store', 'import', path('evidence')], { env })).code, 0);
  for (const q of [
    ['job', 'list'],
    ['hil', 'history'],
    ['power', 'history', 'hut-01'],
  ])
    assert.deepEqual(
      JSON.parse((await t.hutctl([...q, '--json'], { env })).stdout),
      JSON.parse((await t.hutctl([...q, '--json'])).stdout),
      q.join(' '),
    );

  // store.keep in hutctl.yaml is the default; --keep overrides it; a bad one is a config error.
  const keep = (value: string) => {
    const file = path(`keep-${value.replace(/\W/g, '')}.yaml`);
    writeFileSync(file, `${readFileSync(t.farm.configPath, 'utf8')}\nstore:\n  keep: ${value}\n`);
    return { HUTCTL_CONFIG: file };
  };
  assert.equal((await gc(['--dry-run', '--json'], keep('2w'))).json.keep, '2w');
  assert.equal((await gc(['--keep', '12h', '--dry-run', '--json'], keep('2w'))).json.keep, '12h');
  const badConfig = await gc(['--dry-run'], keep('"30"'));
  assert.equal(badConfig.code, 1, badConfig.stderr);
  assert.match(badConfig.stderr, /store\.keep.*expected a period such as 30d/);

  // People read a line per kind.
  const human = await gc(['--keep', '30d']);
  assert.match(
    human.stdout,
    /^freed 0 B older than 30d \(before \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\): 0 evidence runs \(0 files, 0 B\), 0 artifacts \(0 files, 0 B\), 0 firmware copies \(0 files, 0 B\); 0 ledger rows deleted$/m,
  );
});

test('a gc killed at any moment leaves no ledger row naming a missing file, and the next one finishes', async () => {
  const dir = path('evidence');
  const names: string[] = [];
  for (let n = 0; n < 1200; n++) {
    const name = `runner_power_cycle_hut-01_20250101_000000_${String(n).padStart(6, '0')}_utc.json`;
    writeFileSync(
      join(dir, name),
      JSON.stringify({
        schema_version: 'hutctl.power-event.v1',
        slot: 'hut-01',
        action: 'cycle',
        backend: 'command',
        status: 'ok',
        attempts: 1,
        total_ms: 10,
        error: null,
        last_state: 'on',
        job_id: null,
        phases: [],
        started_utc: OLD.toISOString(),
        ended_utc: OLD.toISOString(),
      }),
    );
    age(join(dir, name));
    names.push(name);
  }
  assert.equal((await t.hutctl(['store', 'import', dir])).code, 0);
  // What a killed gc leaves when it had renamed a directory: the next one removes it.
  mkdirSync(path('artifacts', USED, '.gc-leftover-1-abc'), { recursive: true });
  writeFileSync(path('artifacts', USED, '.gc-leftover-1-abc', 'app.bin'), 'x');

  const ledger = path('state', 'ledger.sqlite');
  const missing = () => {
    const db = new DatabaseSync(ledger, { readOnly: true });
    try {
      const rows = db.prepare('SELECT evidence_path FROM power_events').all() as Array<{
        evidence_path: string;
      }>;
      return rows.filter((row) => !existsSync(row.evidence_path)).map((row) => row.evidence_path);
    } finally {
      db.close();
    }
  };
  let kills = 0;
  for (let delay = 150; ; delay += 50) {
    const child = startCli(['store', 'gc', '--keep', '30d'], {
      cwd: t.dir,
      env: { HUTCTL_CONFIG: t.farm.configPath },
    });
    child.stdin!.end();
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    const early = await Promise.race([exited, sleep(delay).then(() => 'running' as const)]);
    if (early !== 'running') {
      assert.equal(
        early,
        0,
        `the last gc: ${JSON.stringify(await gc(['--keep', '30d', '--json']))}`,
      );
      break;
    }
    child.kill('SIGKILL');
    await exited;
    kills++;
    assert.deepEqual(missing(), [], `after a kill at ${delay} ms`);
  }
  assert.ok(kills >= 1, 'it was killed at least once');
  assert.deepEqual(missing(), []);
  assert.equal(
    names.filter((name) => existsSync(join(dir, name))).length,
    0,
    'the last gc finished',
  );
  assert.equal(existsSync(path('artifacts', USED, '.gc-leftover-1-abc')), false);
  const status = JSON.parse((await t.hutctl(['store', 'status', '--json'])).stdout);
  const events = [];
  for (const slot of ['hut-01', 'hut-02'])
    events.push(...JSON.parse((await t.hutctl(['power', 'history', slot, '--json'])).stdout));
  assert.equal(events.length, status.power_events, 'only the boots of the hil runs are left');
});
