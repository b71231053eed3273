/**
 * Benchmarks for the foundation, each measured side by side with its baseline in the same run
 * and reported as a ratio. Results go to docs/benchmarks.md (by hand, with machine and date).
 *   npm run bench            all
 *   npm run bench -- lock    only the named ones (startup, job, live, exec, lock, stream)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { localTarget } from '../src/config/index.ts';
import { acquireLock } from '../src/locks/index.ts';
import { LocalTransport } from '../src/transport/index.ts';
import { CLI, invocation, tempDir, workspace } from '../test/support/cli.ts';
import { startSshd } from '../test/support/sshd.ts';

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);
const NODE = process.execPath;
const rows: string[] = [];

function timeOnce(argv: string[], cwd?: string): number {
  const began = process.hrtime.bigint();
  const result = spawnSync(argv[0]!, argv.slice(1), { cwd, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - began) / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs the commands interleaved so drift hits each the same; returns each one's median in ms. */
function compare(runs: number, commands: Record<string, () => number>): Record<string, number> {
  const samples: Record<string, number[]> = {};
  for (const name of Object.keys(commands)) samples[name] = [];
  for (const fn of Object.values(commands)) fn(); // warm the page cache
  for (let i = 0; i < runs; i++) {
    for (const [name, fn] of Object.entries(commands)) samples[name]!.push(fn());
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [name, median(values)]),
  );
}

function record(name: string, measured: string, ratio: string, target: string): void {
  const line = `| ${name} | ${measured} | ${ratio} | ${target} |`;
  rows.push(line);
  console.log(line);
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
);
console.log('| benchmark | measured (median) | ratio | target |\n|---|---|---|---|');

if (want('startup')) {
  const r = compare(30, {
    node: () => timeOnce([NODE, '-e', '0']),
    version: () => timeOnce([NODE, CLI, '--version']),
  });
  record(
    '`hutctl --version` cold start',
    `${ms(r.version!)} vs node -e 0 ${ms(r.node!)}`,
    `${(r.version! / r.node!).toFixed(2)}×`,
    '≤ 2×',
  );
}

if (want('job')) {
  const dir = workspace('  runner:\n    transport: local');
  let n = 0;
  const job = () => {
    const file = join(dir, `job-${n++}.json`);
    writeFileSync(file, invocation({ job_id: `bench-${n}`, command: ['true'] }));
    return timeOnce([NODE, CLI, 'job', 'run', '--quiet', file], dir);
  };
  const r = compare(20, { node: () => timeOnce([NODE, '-e', '0']), job });
  record(
    '`hutctl job run` one `true` step, local',
    `${ms(r.job!)} vs node -e 0 ${ms(r.node!)}`,
    `${(r.job! / r.node!).toFixed(2)}×`,
    '≤ 3×',
  );
}

if (want('live')) {
  // The step's output shown as it comes: stdout and stderr each through the keeper to hutctl's.
  const dir = workspace('  runner:\n    transport: local');
  let n = 0;
  const live = () => {
    const file = join(dir, `live-${n++}.json`);
    writeFileSync(file, invocation({ job_id: `live-${n}`, command: ['echo out; echo err >&2'] }));
    return timeOnce([NODE, CLI, 'job', 'run', file], dir);
  };
  const quiet = () => {
    const file = join(dir, `quiet-${n++}.json`);
    writeFileSync(file, invocation({ job_id: `quiet-${n}`, command: ['echo out; echo err >&2'] }));
    return timeOnce([NODE, CLI, 'job', 'run', '--quiet', file], dir);
  };
  const r = compare(20, { quiet, live });
  record(
    '`hutctl job run` one step, output shown vs `--quiet`',
    `${ms(r.live!)} vs ${ms(r.quiet!)}`,
    `${(r.live! / r.quiet!).toFixed(2)}×`,
    '≈ 1×',
  );
}

if (want('exec')) {
  const sshd = await startSshd();
  try {
    const dir = workspace(sshd.targetYaml('runner'));
    const hutExec = () => timeOnce([NODE, CLI, 'exec', 'runner', '--', 'true'], dir);
    hutExec(); // starts the shared master connection
    const controlDir = join(dir, 'cm');
    const socket = spawnSync('sh', ['-c', `ls ${controlDir} | grep -v lock | head -1`])
      .stdout.toString()
      .trim();
    const base = [
      '-o',
      'BatchMode=yes',
      '-p',
      String(sshd.port),
      '-i',
      sshd.identityFile,
      '-o',
      `UserKnownHostsFile=${sshd.knownHosts}`,
      '-o',
      'StrictHostKeyChecking=accept-new',
    ];
    const rawMux = () =>
      timeOnce([
        'ssh',
        ...base,
        '-o',
        `ControlPath=${join(controlDir, socket)}`,
        '-o',
        'ControlMaster=no',
        '127.0.0.1',
        'true',
      ]);
    const fresh = () =>
      timeOnce([
        'ssh',
        ...base,
        '-o',
        'ControlMaster=no',
        '-o',
        'ControlPath=none',
        '127.0.0.1',
        'true',
      ]);
    const r = compare(20, { node: () => timeOnce([NODE, '-e', '0']), rawMux, fresh, hutExec });
    const baseline = r.node! + r.rawMux!;
    record(
      '`hutctl exec` over SSH, warm',
      `${ms(r.hutExec!)} vs node -e 0 + mux ssh ${ms(baseline)} (${ms(r.node!)} + ${ms(r.rawMux!)})`,
      `${(r.hutExec! / baseline).toFixed(2)}×`,
      '≤ 1.3×',
    );
    record(
      '`hutctl exec` warm vs fresh `ssh host true`',
      `${ms(r.hutExec!)} vs ${ms(r.fresh!)}`,
      `${(r.hutExec! / r.fresh!).toFixed(2)}×`,
      'well under 1×',
    );
  } finally {
    await sshd.stop();
  }
}

if (want('lock')) {
  const transport = new LocalTransport(localTarget());
  const path = join(tempDir(), 'handoff.lock');
  const owner = { pid: process.pid, host: 'bench', since: new Date().toISOString() };
  const handoffs: number[] = [];
  let holder = await acquireLock(transport, path, { owner });
  for (let i = 0; i < 60; i++) {
    const waiter = acquireLock(transport, path, { owner });
    await new Promise((r) => setTimeout(r, 20)); // the waiter is blocked in flock(2)
    const began = process.hrtime.bigint();
    await holder.release();
    holder = await waiter;
    handoffs.push(Number(process.hrtime.bigint() - began) / 1e6);
  }
  await holder.release();
  record(
    'lock hand-off (holder releases → waiter holds)',
    `median ${ms(median(handoffs))}, max ${ms(Math.max(...handoffs))}`,
    '–',
    'median ≤ 5 ms',
  );
}

if (want('stream')) {
  // On tmpfs when there is one, so disk write-back noise hits neither side.
  const shm = '/dev/shm';
  const dir = workspace('  runner:\n    transport: local', '', existsSync(shm) ? shm : undefined);
  const sizeArg = process.env.HUTCTL_BENCH_STREAM ?? '1G';
  const raw = () =>
    timeOnce(['sh', '-c', `head -c ${sizeArg} /dev/zero > ${join(dir, 'raw.out')}`]);
  let n = 0;
  let peakKb = 0;
  const hut = () => {
    const file = join(dir, `s-${n++}.json`);
    writeFileSync(
      file,
      invocation({ job_id: `stream-${n}`, command: [`head -c ${sizeArg} /dev/zero`] }),
    );
    const result = spawnSync(
      '/usr/bin/time',
      ['-f', '%M', NODE, CLI, 'job', 'run', '--quiet', file],
      { cwd: dir, encoding: 'utf8' },
    );
    const lines = result.stderr.trim().split('\n');
    peakKb = Math.max(peakKb, Number(lines.at(-1)));
    return 0;
  };
  const samples = { raw: [] as number[], hut: [] as number[] };
  for (let i = 0; i < 5; i++) {
    samples.raw.push(raw());
    spawnSync('rm', ['-f', join(dir, 'raw.out')]);
    const began = process.hrtime.bigint();
    hut();
    samples.hut.push(Number(process.hrtime.bigint() - began) / 1e6);
    spawnSync('sh', ['-c', `rm -f ${dir}/evidence/*.log ${dir}/raw.out`]);
  }
  const r = { raw: median(samples.raw), hut: median(samples.hut) };
  record(
    `step writing ${sizeArg} to stdout: throughput`,
    `${ms(r.hut)} vs head -c > file ${ms(r.raw)}`,
    `${((r.raw / r.hut) * 100).toFixed(0)} %`,
    '≥ 60 %',
  );
  record(
    `step writing ${sizeArg} to stdout: hutctl peak RSS`,
    `${(peakKb / 1024).toFixed(0)} MB`,
    '–',
    '≤ 100 MB',
  );
}
