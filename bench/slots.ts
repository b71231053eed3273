/**
 * Benchmarks for slots and power, against the simulated farm (results in docs/benchmarks.md):
 *   npm run bench:slots            all
 *   npm run bench:slots -- scan    only the named ones (handoff, throughput, cycle, scan)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { requireConfig } from '../src/config/index.ts';
import { startSimFarm } from '../src/sim/index.ts';
import { acquireSlot, getSlot, runSlotJob } from '../src/slots/index.ts';
import { CLI, tempDir } from '../test/support/cli.ts';

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.on('close', () => resolve({ stdout }));
  });
}

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const ms = (v: number) => `${v.toFixed(1)} ms`;
const row = (name: string, measured: string, ratio: string, target: string) =>
  console.log(`| ${name} | ${measured} | ${ratio} | ${target} |`);

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
);
console.log('| benchmark | measured | ratio | target |\n|---|---|---|---|');

const dir = tempDir('hutctl-bench-farm-');
const farm = await startSimFarm({ dir, slots: 2 });
const config = await requireConfig({ configPath: farm.configPath });
const owner = { pid: process.pid, host: 'bench', since: new Date().toISOString() };

try {
  if (want('handoff')) {
    const slot = getSlot(config, 'hut-01');
    const times: number[] = [];
    let holder = await acquireSlot(config, [slot], { owner });
    for (let i = 0; i < 60; i++) {
      const waiter = acquireSlot(config, [slot], { owner });
      await new Promise((r) => setTimeout(r, 20));
      const began = process.hrtime.bigint();
      await holder.lock.release();
      holder = await waiter;
      times.push(Number(process.hrtime.bigint() - began) / 1e6);
    }
    await holder.lock.release();
    row(
      'same-slot hand-off (release → next holder)',
      `median ${ms(median(times))}, max ${ms(Math.max(...times))}`,
      '–',
      'median ≤ 5 ms',
    );
  }

  if (want('throughput')) {
    const began = performance.now();
    const jobs = ['hut-01', 'hut-02'].flatMap((slot) =>
      Array.from({ length: 50 }, (_, i) =>
        runSlotJob({ config, slot, jobId: `tp-${slot}-${i}`, argv: ['sleep', '0.1'] }),
      ),
    );
    const outcomes = await Promise.all(jobs);
    const wall = performance.now() - began;
    const ok = outcomes.every((o) => o.report.status === 'success');
    row(
      '2 slots × 50 jobs of 100 ms, all 100 submitted at once (library)',
      `${(wall / 1000).toFixed(2)} s wall${ok ? '' : ' (FAILURES)'}`,
      `${(wall / 5000).toFixed(2)}× ideal 5 s`,
      '≤ 1.1×',
    );
    // The same work as one runner loop per slot, each job after the previous one.
    const loopBegan = performance.now();
    await Promise.all(
      ['hut-01', 'hut-02'].map(async (slot) => {
        for (let i = 0; i < 50; i++)
          await runSlotJob({ config, slot, jobId: `loop-${slot}-${i}`, argv: ['sleep', '0.1'] });
      }),
    );
    const loopWall = performance.now() - loopBegan;
    // The floor: the same 100 processes started straight from this process, no lock, no log.
    const rawBegan = performance.now();
    await Promise.all(
      [0, 1].map(async () => {
        for (let i = 0; i < 50; i++) await run('sh', ['-c', 'sleep 0.1'], process.env);
      }),
    );
    const rawWall = performance.now() - rawBegan;
    row(
      '2 slots × 50 jobs of 100 ms, one loop per slot (library)',
      `${(loopWall / 1000).toFixed(2)} s wall (bare \`sh -c 'sleep 0.1'\` × 50 × 2: ${(rawWall / 1000).toFixed(2)} s)`,
      `${(loopWall / 5000).toFixed(2)}× ideal 5 s (${(loopWall / rawWall).toFixed(2)}× bare)`,
      '≤ 1.1×',
    );
  }

  if (want('cycle')) {
    const totals: number[] = [];
    // Asynchronously: the simulated Home Assistant answers from this process's event loop.
    for (let i = 0; i < 5; i++) {
      const { stdout } = await run(
        process.execPath,
        [CLI, 'power', 'cycle', 'hut-02', '--force', '--json'],
        {
          ...process.env,
          HUTCTL_CONFIG: farm.configPath,
        },
      );
      totals.push(JSON.parse(stdout).total_ms);
    }
    const over = median(totals) - 2000;
    row(
      'power cycle, off 1 s / on 1 s, simulated HA',
      `median ${ms(median(totals))} total`,
      `waits + ${ms(over)}`,
      '≤ waits + 100 ms',
    );
  }

  if (want('scan')) {
    const scanDir = join(dir, 'scan64');
    mkdirSync(join(scanDir, 'by-id'), { recursive: true });
    for (let i = 0; i < 64; i++)
      symlinkSync(
        '/dev/null',
        join(scanDir, 'by-id', `usb-Espressif_Board_${String(i).padStart(4, '0')}-if00-port0`),
      );
    writeFileSync(
      join(scanDir, 'hutctl.yaml'),
      `serial: {by_id_dir: ${join(scanDir, 'by-id')}}\npaths: {evidence_dir: ${join(scanDir, 'evidence')}}\n`,
    );
    const env = { ...process.env, HUTCTL_CONFIG: join(scanDir, 'hutctl.yaml') };
    const time = (args: string[]) => {
      const began = process.hrtime.bigint();
      spawnSync(process.execPath, [CLI, ...args], { env, stdio: 'ignore' });
      return Number(process.hrtime.bigint() - began) / 1e6;
    };
    const base: number[] = [];
    const scan: number[] = [];
    time(['slot', 'scan']);
    for (let i = 0; i < 20; i++) {
      base.push(time(['slot', 'list']));
      scan.push(time(['slot', 'scan', '--json']));
    }
    row(
      '`slot scan` of 64 by-id links',
      `${ms(median(scan))} vs \`slot list\` (CLI start + config) ${ms(median(base))}`,
      `+${ms(median(scan) - median(base))}`,
      '≤ 100 ms beyond CLI start',
    );
  }
} finally {
  await farm.stop();
}
