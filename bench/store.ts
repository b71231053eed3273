/**
 * The ledger's cost (results in docs/benchmarks.md):  npm run bench:store
 *  - `job run` of one step with the SQLite ledger vs with `store: {engine: off}`, interleaved
 *    rounds: the median difference is what recording adds; and `job run` vs `node -e 0`;
 *  - what the next reader (`job list`) pays to record that job from the ledger's inbox;
 *  - `job list --limit 50` and `slot health` over a ledger of 100,000 jobs, SQLite and PostgreSQL, vs the same
 *    command over an empty ledger (what is left is the query's own time).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { type Db, openPostgres, openSqlite } from '../src/store/db.ts';
import { migrate } from '../src/store/schema.ts';
import { CLI, tempDir } from '../test/support/cli.ts';
import { startPostgres } from '../test/support/postgres.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const JOBS = Number(process.env.BENCH_JOBS ?? 100_000);
const dir = tempDir('hutctl-bench-store-');

function timed(argv: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
  const began = performance.now();
  return new Promise<{ ms: number; code: number | null }>((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: options.env ?? process.env,
      cwd: dir,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.stdin.end(options.input ?? '');
    child.on('close', (code) => resolve({ ms: performance.now() - began, code }));
  });
}
// The eight slots the jobs of the full ledger ran on.
const SLOTS = Array.from(
  { length: 8 },
  (_, i) => `  hut-0${i}: {serial: usb-bench-${i}-if00}\n`,
).join('');
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const f = (ms: number) => `${ms.toFixed(1)} ms`;

function config(name: string, store: string): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    `targets:\n  runner:\n    transport: local\nslots:\n${SLOTS}paths:\n  lock_dir: ${dir}\n  cancel_dir: ${dir}\n  evidence_dir: ${dir}/evidence-${name}\n  state_dir: ${dir}/state-${name}\nstore:\n${store}\n`,
  );
  return path;
}

// 1. What recording adds to job run.
const on = config('on', `  engine: sqlite\n  path: ${dir}/ledger.sqlite`);
const off = config('off', '  engine: off');
const invocation = (id: string) =>
  JSON.stringify({
    schema_version: 'ws2.invocation.v1',
    job_id: id,
    target_role: 'runner',
    requested_by: 'bench',
    request_utc: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: ['true'],
    timeout_sec: 60,
    lock_key: 'bench',
  });
const withLedger: number[] = [];
const without: number[] = [];
const bare: number[] = [];
const paired: number[] = [];
const recording: number[] = [];
for (let i = 0; i <= ROUNDS; i += 1) {
  const a = await timed([process.execPath, CLI, 'job', 'run', '-', '--quiet'], {
    env: { ...process.env, HUTCTL_CONFIG: on },
    input: invocation(`on-${i}`),
  });
  const b = await timed([process.execPath, CLI, 'job', 'run', '-', '--quiet'], {
    env: { ...process.env, HUTCTL_CONFIG: off },
    input: invocation(`off-${i}`),
  });
  const c = await timed([process.execPath, '-e', '0']);
  // The reader that comes next records the job from the inbox; the one after finds it empty.
  const list = [process.execPath, CLI, 'job', 'list', '--limit', '50', '--json'];
  const d = await timed(list, { env: { ...process.env, HUTCTL_CONFIG: on } });
  const e = await timed(list, { env: { ...process.env, HUTCTL_CONFIG: on } });
  if (a.code !== 0 || b.code !== 0 || d.code !== 0 || e.code !== 0)
    throw new Error('a job run or job list failed');
  if (i === 0) continue; // warms the page cache, the compile cache and the ledger's schema
  withLedger.push(a.ms);
  without.push(b.ms);
  paired.push(a.ms - b.ms);
  bare.push(c.ms);
  recording.push(d.ms - e.ms);
}

// 2. job list over 100,000 jobs.
async function fill(db: Db): Promise<void> {
  await migrate(db);
  const start = Date.parse('2026-01-01T00:00:00Z');
  const batch = 1000;
  for (let from = 0; from < JOBS; from += batch) {
    await db.transaction(async () => {
      for (let i = from; i < Math.min(JOBS, from + batch); i += 1) {
        const at = new Date(start + i * 60_000).toISOString();
        await db.run(
          `INSERT INTO jobs (job_id, role, status, exit_code, lock_key, slot, port, sha, executor, thread_ref, host, start_utc, end_utc, duration_sec, recovery_events, summary, log_path, report_path, report)
           VALUES (?, 'runner', ?, ?, ?, ?, NULL, ?, 'ci@runner', NULL, 'runner', ?, ?, 12.5, 0, 'All 1 step(s) succeeded', NULL, ?, '{}')`,
          [
            `job-${i}`,
            i % 10 === 0 ? 'failed' : 'success',
            i % 10 === 0 ? 1 : 0,
            `hut-0${i % 8}`,
            `hut-0${i % 8}`,
            (i * 2654435761).toString(16).padStart(12, '0').slice(0, 12),
            at,
            at,
            `/srv/evidence/runner_job-${i}_utc.json`,
          ],
        );
      }
    });
  }
}

async function listTimes(
  cfg: string,
  env: NodeJS.ProcessEnv = {},
  args = ['job', 'list', '--limit', '50'],
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i <= ROUNDS; i += 1) {
    const r = await timed([process.execPath, CLI, ...args, '--json'], {
      env: { ...process.env, HUTCTL_CONFIG: cfg, ...env },
    });
    if (r.code !== 0) throw new Error(`${args.join(' ')} failed`);
    if (i > 0) times.push(r.ms);
  }
  return times;
}
const HEALTH = ['slot', 'health'];

const fullSqlite = config('full', `  engine: sqlite\n  path: ${dir}/full.sqlite`);
const emptySqlite = config('empty', `  engine: sqlite\n  path: ${dir}/empty.sqlite`);
const filled = await openSqlite(join(dir, 'full.sqlite'));
await fill(filled);
await filled.close();
const sqliteFull = await listTimes(fullSqlite);
const sqliteEmpty = await listTimes(emptySqlite);
const sqliteHealthFull = await listTimes(fullSqlite, {}, HEALTH);
const sqliteHealthEmpty = await listTimes(emptySqlite, {}, HEALTH);

const pg = await startPostgres();
let pgFull: number[] = [];
let pgEmpty: number[] = [];
let pgHealthFull: number[] = [];
let pgHealthEmpty: number[] = [];
try {
  const admin = await openPostgres(pg.url);
  await admin.exec('CREATE SCHEMA full_ledger; CREATE SCHEMA empty_ledger;');
  await admin.close();
  const url = (schema: string) =>
    `${pg.url}&options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const db = await openPostgres(url('full_ledger'));
  await fill(db);
  await db.exec('ANALYZE');
  await db.close();
  const pgConfig = config('pg', '  engine: postgres\n  url_env: BENCH_STORE_URL');
  pgFull = await listTimes(pgConfig, { BENCH_STORE_URL: url('full_ledger') });
  pgEmpty = await listTimes(pgConfig, { BENCH_STORE_URL: url('empty_ledger') });
  pgHealthFull = await listTimes(pgConfig, { BENCH_STORE_URL: url('full_ledger') }, HEALTH);
  pgHealthEmpty = await listTimes(pgConfig, { BENCH_STORE_URL: url('empty_ledger') }, HEALTH);
} finally {
  await pg.stop();
}

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log(
  `job run (1 step): with the ledger ${f(median(withLedger))}, without ${f(median(without))}: +${f(median(withLedger) - median(without))}, paired +${f(median(paired))} (target ≤ 2 ms); ${(median(withLedger) / median(bare)).toFixed(2)}× node -e 0 (${f(median(bare))}, target ≤ 3×)`,
);
console.log(
  `the next reader (job list) recording that job from the inbox: +${f(median(recording))} over the same command with an empty inbox`,
);
console.log(
  `job list --limit 50 over ${JOBS} jobs, SQLite: ${f(median(sqliteFull))} vs ${f(median(sqliteEmpty))} empty: +${f(median(sqliteFull) - median(sqliteEmpty))} (target ≤ 100 ms)`,
);
console.log(
  `job list --limit 50 over ${JOBS} jobs, PostgreSQL: ${f(median(pgFull))} vs ${f(median(pgEmpty))} empty: +${f(median(pgFull) - median(pgEmpty))} (target ≤ 100 ms)`,
);
console.log(
  `slot health (8 slots) over ${JOBS} jobs, SQLite: ${f(median(sqliteHealthFull))} vs ${f(median(sqliteHealthEmpty))} empty: +${f(median(sqliteHealthFull) - median(sqliteHealthEmpty))} (target ≤ 100 ms)`,
);
console.log(
  `slot health (8 slots) over ${JOBS} jobs, PostgreSQL: ${f(median(pgHealthFull))} vs ${f(median(pgHealthEmpty))} empty: +${f(median(pgHealthFull) - median(pgHealthEmpty))} (target ≤ 100 ms)`,
);
