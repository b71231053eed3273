/** The test PostgreSQL harness: real clusters side by side, and nothing left once they stop. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from 'pg';
import { finished } from '../support/cli.ts';
import { isRunning, startPostgres, type TestPostgres } from '../support/postgres.ts';

const HARNESS = fileURLToPath(new URL('../support/postgres.ts', import.meta.url));

test('two clusters started at once are separate servers that stop without a trace', async (t) => {
  let started = performance.now();
  const clusters = await Promise.all([startPostgres(), startPostgres()]);
  t.diagnostic(`two clusters started in ${Math.round(performance.now() - started)} ms`);
  const [a, b] = clusters as [TestPostgres, TestPostgres];
  try {
    assert.notEqual(a.dataDir, b.dataDir);
    assert.notEqual(a.socketDir, b.socketDir);
    const ids: string[] = [];
    for (const [cluster, name] of [
      [a, 'alpha'],
      [b, 'beta'],
    ] as const) {
      const client = new Client({ connectionString: cluster.url });
      await client.connect();
      try {
        await client.query('CREATE TABLE slot (name text PRIMARY KEY, held boolean NOT NULL)');
        await client.query('INSERT INTO slot VALUES ($1, true)', [name]);
        const rows = await client.query('SELECT name, held FROM slot');
        assert.deepEqual(rows.rows, [{ name, held: true }]);
        const where = await client.query('SELECT current_database() AS db, current_user AS who');
        assert.deepEqual(where.rows, [{ db: 'hutctl', who: 'hutctl' }]);
        const setting = await client.query('SHOW data_directory');
        assert.equal(setting.rows[0].data_directory, cluster.dataDir);
        const id = await client.query(
          'SELECT system_identifier::text AS id FROM pg_control_system()',
        );
        ids.push(id.rows[0].id);
      } finally {
        await client.end();
      }
    }
    assert.notEqual(ids[0], ids[1], 'each cluster is its own initdb');

    const pids = [...serverProcesses(a.dataDir), ...serverProcesses(b.dataDir)];
    assert.ok(pids.length >= 2 * 2, `postmasters and their workers: ${pids.join(' ')}`);
    started = performance.now();
    await Promise.all([a.stop(), b.stop()]);
    t.diagnostic(`two clusters stopped in ${Math.round(performance.now() - started)} ms`);
    for (const cluster of clusters) {
      assert.equal(existsSync(cluster.dataDir), false, `${cluster.dataDir} removed`);
      assert.equal(existsSync(cluster.socketDir), false, `${cluster.socketDir} removed`);
    }
    assert.deepEqual(pids.filter(isRunning), [], 'no server process left');
    await a.stop(); // a second stop is harmless
  } finally {
    await Promise.all(clusters.map((cluster) => cluster.stop()));
  }
});

test('a test process that exits or is killed without stop() takes its server along', async () => {
  const exits = startHolder('process.stdin.once("data", () => process.exit(1));');
  const killed = startHolder('setInterval(() => {}, 1000)');
  const [exited, held] = await Promise.all([exits.cluster, killed.cluster]);
  exits.child.stdin!.end('exit now\n');
  killed.child.kill('SIGTERM');
  const [exitResult, killResult] = await Promise.all([exits.done, killed.done]);
  assert.equal(exitResult.code, 1, exitResult.stderr);
  assert.equal(killResult.signal, 'SIGTERM', killResult.stderr);
  for (const { pids, dataDir } of [exited, held]) {
    assert.ok(pids.length > 0);
    assert.deepEqual(pids.filter(isRunning), [], `no server process left for ${dataDir}`);
    // A failed test process keeps its temporary directories for a look; these are ours to remove.
    rmSync(dirname(dataDir), { recursive: true, force: true });
  }
});

/** A node process that starts a cluster, names its data directory on stdout, then runs `then`. */
function startHolder(then: string) {
  const script = [
    `import { startPostgres } from ${JSON.stringify(HARNESS)};`,
    'const pg = await startPostgres();',
    'console.log(pg.dataDir);',
    then,
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const done = finished(child);
  const cluster = new Promise<{ dataDir: string; pids: number[] }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: string | Buffer) => {
      out += String(chunk);
      if (!out.includes('\n')) return;
      const dataDir = out.trim();
      resolve({ dataDir, pids: serverProcesses(dataDir) });
    });
    void done.then((result) => reject(new Error(`no cluster: ${result.stderr}`)));
  });
  return { child, done, cluster };
}

/** The postmaster (from its pid file) and the processes it started. */
function serverProcesses(dataDir: string): number[] {
  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return [pid, ...childrenOf(pid)];
}

function childrenOf(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) children.push(Number(entry));
    } catch {
      // gone already
    }
  }
  return children;
}
