/**
 * `hutctl serve` on a simulated farm of 32 slots with 100,000 jobs in its SQLite ledger (results
 * in docs/benchmarks.md):  npm run bench:serve
 *  - the dashboard's first load: the server's time for the page, its script and its data
 *    (`/api/overview`), and in headless Chromium from navigation to the page being filled;
 *  - an event to the page: a slot taken (its flock and owner record, as a job takes it) until
 *    the page shows it busy, timed in the browser against the same clock;
 *  - 2 slots × 50 jobs of 100 ms through `slot run`, with and without serve (and a page open);
 *  - an MCP `run_on_slot` of `true` on a leased slot vs the CLI's `slot run hut-01 -- true`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { requireConfig } from '../src/config/index.ts';
import { startSimFarm } from '../src/sim/index.ts';
import { acquireSlot, getSlot } from '../src/slots/index.ts';
import { openSqlite } from '../src/store/db.ts';
import { migrate } from '../src/store/schema.ts';
import { launchBrowser } from '../test/support/browser.ts';
import { CLI, startCli, tempDir } from '../test/support/cli.ts';

const SLOTS = 32;
const JOBS = Number(process.env.BENCH_JOBS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const ms = (v: number) => `${v.toFixed(1)} ms`;

const dir = tempDir('hutctl-bench-serve-');
const farm = await startSimFarm({ dir, slots: SLOTS });
const config = await requireConfig({ configPath: farm.configPath });
const env = { ...process.env, HUTCTL_CONFIG: farm.configPath };
if (config.store.engine !== 'sqlite') throw new Error('the simulated farm keeps an SQLite ledger');

// The ledger: 100,000 jobs and 5,000 hil results over the 32 slots.
const db = await openSqlite(config.store.path);
await migrate(db);
const start = Date.parse('2026-01-01T00:00:00Z');
for (let from = 0; from < JOBS; from += 1000) {
  await db.transaction(async () => {
    for (let i = from; i < Math.min(JOBS, from + 1000); i += 1) {
      const at = new Date(start + i * 60_000).toISOString();
      const slot = `hut-${String((i % SLOTS) + 1).padStart(2, '0')}`;
      await db.run(
        `INSERT INTO jobs (job_id, role, status, exit_code, lock_key, slot, port, sha, executor, thread_ref, host, start_utc, end_utc, duration_sec, recovery_events, summary, log_path, report_path, report)
         VALUES (?, 'runner', ?, ?, ?, ?, NULL, ?, 'ci@runner', NULL, 'runner', ?, ?, 12.5, 0, 'All 1 step(s) succeeded', NULL, ?, '{}')`,
        [
          `job-${i}`,
          i % 10 === 0 ? 'failed' : 'success',
          i % 10 === 0 ? 1 : 0,
          slot,
          slot,
          (i * 2654435761).toString(16).padStart(12, '0').slice(0, 12),
          at,
          at,
          `/srv/evidence/runner_job-${i}_utc.json`,
        ],
      );
      if (i % 20 === 0)
        await db.run(
          `INSERT INTO hil_results (evidence_path, sha, slot, test_id, platform, status, phase, reason, power_cycles, recovery_events, app_version, expected_version, flash_ms, boot_ms, host, started_utc, ended_utc, duration_sec, result)
           VALUES (?, ?, ?, 'HW-BOOT-001', 'i2s', ?, 'boot', '', 1, 0, 'v1', 'v1', 400, 900, 'runner', ?, ?, 3.2, '{}')`,
          [
            `/srv/evidence/hil-${i}.json`,
            (Math.floor(i / 640) * 2654435761).toString(16).padStart(12, '0').slice(0, 12),
            slot,
            i % 50 === 0 ? 'fail' : 'pass',
            at,
            at,
          ],
        );
    }
  });
}
await db.close();

function startServe(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = startCli(['serve', '--port', '0', '--json', '--new-token'], {
    cwd: dir,
    env: { HUTCTL_CONFIG: farm.configPath },
  });
  child.stdin!.end();
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      try {
        const { url } = JSON.parse(out);
        resolve({
          url,
          stop: () =>
            new Promise((done) => {
              child.on('close', () => done());
              child.kill('SIGTERM');
            }),
        });
      } catch {}
    });
    child.on('close', (code) => reject(new Error(`serve exited ${code}`)));
  });
}

async function timedFetch(url: string): Promise<number> {
  const began = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  return performance.now() - began;
}

const serve = await startServe();

// 1. First load: the page's three requests, each timed from request to last byte.
const server: number[] = [];
const overview: number[] = [];
for (let i = 0; i <= ROUNDS; i += 1) {
  const times = await Promise.all([
    timedFetch(`${serve.url}/`),
    timedFetch(`${serve.url}/assets/app.js`),
    timedFetch(`${serve.url}/api/overview`),
  ]);
  if (i === 0) continue;
  overview.push(times[2]!);
  server.push(Math.max(...times));
}
const browser = await launchBrowser();
const loads: number[] = [];
for (let i = 0; i <= 5; i += 1) {
  const page = await browser.newPage();
  const began = Date.now();
  await page.goto(`${serve.url}/`);
  await page.waitForSelector('body[data-loaded]');
  const loaded = Number(await page.evaluate(() => document.body.dataset.loaded));
  if (i > 0) loads.push(loaded - began);
  await page.close();
}

// 2. An event to the page: hut-07 taken as a job takes it, until the page shows it busy.
const page = await browser.newPage();
await page.goto(`${serve.url}/`);
await page.waitForSelector('body[data-loaded]');
const slot = getSlot(config, 'hut-07');
const toPage: number[] = [];
for (let i = 0; i < ROUNDS; i += 1) {
  const seen = page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const row = () =>
          Array.from(document.querySelectorAll('#slots tbody tr')).find((r) =>
            r.textContent?.startsWith('hut-07'),
          );
        const observer = new MutationObserver(() => {
          if (/busy/.test(row()?.textContent ?? '')) {
            observer.disconnect();
            resolve(Date.now());
          }
        });
        observer.observe(document.querySelector('#slots')!, {
          childList: true,
          subtree: true,
          characterData: true,
        });
      }),
  );
  await new Promise((r) => setTimeout(r, 100));
  const began = Date.now();
  const held = await acquireSlot(config, [slot], {
    owner: {
      job_id: `bench-${i}`,
      pid: process.pid,
      host: 'bench',
      since: new Date().toISOString(),
    },
  });
  toPage.push((await seen) - began);
  await held.lock.release();
  await page.waitForFunction(() =>
    /free/.test(
      Array.from(document.querySelectorAll('#slots tbody tr')).find((r) =>
        r.textContent?.startsWith('hut-07'),
      )?.textContent ?? '',
    ),
  );
}

// 3. 2 slots × 50 jobs of 100 ms, with serve (and this page) and without.
function jobs(): Promise<number> {
  const began = performance.now();
  const lane = async (slot: string) => {
    for (let i = 0; i < 50; i += 1)
      await new Promise<void>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [CLI, 'slot', 'run', slot, '--quiet', '--', 'sleep', '0.1'],
          { env, stdio: 'ignore' },
        );
        child.on('close', (code) =>
          code === 0 ? resolve() : reject(new Error(`slot run exited ${code}`)),
        );
      });
  };
  return Promise.all([lane('hut-01'), lane('hut-02')]).then(() => performance.now() - began);
}
await page.close();
await browser.close();
await serve.stop();
// Interleaved, so a machine that gets busier or quieter favours neither.
const withServe: number[] = [];
const withoutServe: number[] = [];
for (let round = 0; round < 2; round += 1) {
  withoutServe.push(await jobs());
  const again = await startServe();
  // BENCH_PAGE=0: serve alone, no page open (what serve itself costs the jobs).
  const watcher = process.env.BENCH_PAGE === '0' ? null : await launchBrowser();
  if (watcher) await (await watcher.newPage()).goto(`${again.url}/`);
  withServe.push(await jobs());
  await watcher?.close();
  await again.stop();
}

// 4. MCP run_on_slot of `true` on a leased slot vs `slot run hut-01 -- true`.
const mcpServe = await startServe();
const mcpToken = readFileSync(join(config.paths.stateDir, 'serve.token'), 'utf8').trim();
const client = new Client({ name: 'bench', version: '1' });
await client.connect(
  new StreamableHTTPClientTransport(new URL(`${mcpServe.url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } },
  }),
);
await client.callTool({ name: 'lease_slot', arguments: { slot: 'hut-03' } });
const mcp: number[] = [];
const cli: number[] = [];
for (let i = 0; i <= ROUNDS; i += 1) {
  let began = performance.now();
  const r = await client.callTool({
    name: 'run_on_slot',
    arguments: { slot: 'hut-03', argv: ['true'] },
  });
  if (r.isError) throw new Error(JSON.stringify(r.content));
  const a = performance.now() - began;
  began = performance.now();
  await new Promise<void>((resolve) =>
    spawn(process.execPath, [CLI, 'slot', 'run', 'hut-04', '--quiet', '--', 'true'], {
      env,
      stdio: 'ignore',
    }).on('close', () => resolve()),
  );
  const b = performance.now() - began;
  if (i === 0) continue;
  mcp.push(a);
  cli.push(b);
}
await client.close();
await mcpServe.stop();
await farm.stop();

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
);
console.log('| benchmark | measured | ratio | target |\n|---|---|---|---|');
console.log(
  `| first load, server time (${SLOTS} slots, ${JOBS} jobs): page + script + /api/overview, slowest of the three | ${ms(median(server))} (overview ${ms(median(overview))}) | — | ≤ 300 ms |`,
);
console.log(
  `| first load in Chromium: navigation to the page filled | ${ms(median(loads))} | — | — |`,
);
console.log(
  `| event → visible on the page (slot taken → shown busy) | ${ms(median(toPage))} | — | ≤ 200 ms |`,
);
console.log(
  `| 2 slots × 50 jobs of 100 ms (slot run): with serve and a page open / without, two rounds each | ${withServe.map(ms).join(', ')} / ${withoutServe.map(ms).join(', ')} | ${(median(withServe) / median(withoutServe)).toFixed(3)}× | ≤ 1.05× |`,
);
console.log(
  `| MCP run_on_slot of true (leased) / CLI slot run -- true | ${ms(median(mcp))} / ${ms(median(cli))} | ${(median(mcp) / median(cli)).toFixed(2)}× | ≤ 1.5× |`,
);
