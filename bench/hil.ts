/**
 * `hil surface` on 8 simulated slots vs one slot's `hil run`, and hutctl's own overhead per slot
 * run beyond flash + boot (results in docs/benchmarks.md):  npm run bench:hil
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startSimFarm } from '../src/sim/index.ts';
import { CLI, tempDir } from '../test/support/cli.ts';
import { writeIdfBuild } from '../test/support/idf-build.ts';

const SHA = 'beefcafe1234';
const dir = tempDir('hutctl-bench-hil-');
const farm = await startSimFarm({ dir, slots: 8 });
const env = { ...process.env, HUTCTL_CONFIG: farm.configPath };

function hutctl(args: string[], config = farm.configPath): Promise<{ ms: number; stdout: string }> {
  const began = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...env, HUTCTL_CONFIG: config },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.on('close', () => resolve({ ms: performance.now() - began, stdout }));
  });
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

/** Three rounds of one slot's `hil run` and an 8-slot `hil surface` with the farm's `config`. */
async function measure(config: string) {
  const singles: number[] = [];
  const overheads: number[] = [];
  const surfaces: number[] = [];
  const busy: number[] = [];
  const farmCpu: number[] = [];
  for (let round = 0; round < 3; round++) {
    const one = await hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json'], config);
    singles.push(one.ms);
    // Flash and boot as the result records them, plus off_sec (1 s) between power off and on.
    const result = JSON.parse(one.stdout);
    if (result.status !== 'pass') throw new Error(`hil run: ${one.stdout}`);
    overheads.push(one.ms - 1000 - result.flash_ms - result.boot_ms);
    const [cpu0, farm0] = [machineCpu(), process.cpuUsage()];
    surfaces.push((await hutctl(['hil', 'surface', '--sha', SHA, '--json'], config)).ms);
    const [cpu1, farm1] = [machineCpu(), process.cpuUsage(farm0)];
    busy.push((cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total));
    farmCpu.push((farm1.user + farm1.system) / 1000);
  }
  return {
    single: median(singles),
    surface: median(surfaces),
    overhead: median(overheads),
    busy: median(busy),
    farmCpu: median(farmCpu),
  };
}

try {
  // An ESP-IDF build whose app (1020 KiB) nearly fills its 1 MiB partition.
  const build = writeIdfBuild(join(dir, 'src'), { project: 'squeezelite', appSize: 0xff000 });
  for (const profile of ['i2s', 'muse', 'squeezeamp'])
    await hutctl(['artifact', 'put', SHA, '--build-dir', build.buildDir, '--profile', profile]);
  // The machine's speed today, for comparing days: a bare `node -e 0`.
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const began = performance.now();
    await new Promise((resolve) => spawn(process.execPath, ['-e', '0']).on('close', resolve));
    starts.push(performance.now() - began);
  }
  // 1. The built-in flasher through each simulated board's ROM (the farm's default).
  const builtin = await measure(farm.configPath);
  // 2. The same with a flash step that takes a board's time without sharing the simulator:
  //    hutctl's own parallelism, apart from the simulated boards' shared throughput.
  const timed = join(dir, 'timed-flash.yaml');
  writeFileSync(
    timed,
    readFileSync(farm.configPath, 'utf8').replaceAll('flash: builtin', "flash: ['sleep', '0.5']"),
  );
  const orchestration = await measure(timed);

  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}; \`node -e 0\` ${median(starts).toFixed(0)} ms`,
  );
  console.log('| benchmark | measured (median of 3) | ratio | target |\n|---|---|---|---|');
  const row = (what: string, m: Awaited<ReturnType<typeof measure>>) =>
    console.log(
      `| \`hil surface\` on 8 simulated slots vs \`hil run\` on one, ${what} | ${(m.surface / 1000).toFixed(2)} s vs ${(m.single / 1000).toFixed(2)} s (cores ${(m.busy * 100).toFixed(0)} % busy; simulator ${(m.farmCpu / 1000).toFixed(2)} s CPU) | ${(m.surface / m.single).toFixed(2)}× | ≤ 1.2× |`,
    );
  row('built-in flasher through the simulated ROMs', builtin);
  row("flash step of a fixed 0.5 s (hutctl's orchestration alone)", orchestration);
  console.log(
    `| hutctl's own time per slot run beyond flash + off-time + boot | ${builtin.overhead.toFixed(0)} ms (CLI start, slot lock, artifact verify and copy of a build with a 1020 KiB app, power switching through HA) | – | ≤ 200 ms |`,
  );
} finally {
  await farm.stop();
}

/** Jiffies the machine spent busy and in all, from /proc/stat. */
function machineCpu(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}
