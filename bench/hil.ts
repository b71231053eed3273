/**
 * `hil surface` on 8 simulated slots vs one slot's `hil run`, and hutctl's own overhead per slot
 * run beyond flash + boot (results in docs/benchmarks.md):  npm run bench:hil
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { startSimFarm } from '../src/sim/index.ts';
import { CLI, tempDir } from '../test/support/cli.ts';

const SHA = 'beefcafe1234';
const dir = tempDir('hutctl-bench-hil-');
const farm = await startSimFarm({ dir, slots: 8 });
const env = { ...process.env, HUTCTL_CONFIG: farm.configPath };

function hutctl(args: string[]): Promise<{ ms: number; stdout: string }> {
  const began = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.on('close', () => resolve({ ms: performance.now() - began, stdout }));
  });
}

try {
  writeFileSync(join(dir, 'app.bin'), Buffer.alloc(1 << 20, 1));
  for (const profile of ['i2s', 'muse', 'squeezeamp'])
    await hutctl(['artifact', 'put', SHA, join(dir, 'app.bin'), '--profile', profile]);
  const singles: number[] = [];
  const overheads: number[] = [];
  const surfaces: number[] = [];
  for (let round = 0; round < 3; round++) {
    const one = await hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json']);
    singles.push(one.ms);
    // Flash and boot as the result records them, plus off_sec (1 s) between power off and on.
    const result = JSON.parse(one.stdout);
    overheads.push(one.ms - 1000 - result.flash_ms - result.boot_ms);
    surfaces.push((await hutctl(['hil', 'surface', '--sha', SHA, '--json'])).ms);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[1]!;
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, node ${process.version}`);
  console.log('| benchmark | measured (median of 3) | ratio | target |\n|---|---|---|---|');
  console.log(
    `| \`hil surface\` on 8 simulated slots vs \`hil run\` on one | ${(median(surfaces) / 1000).toFixed(2)} s vs ${(median(singles) / 1000).toFixed(2)} s | ${(median(surfaces) / median(singles)).toFixed(2)}× | ≤ 1.2× |`,
  );
  console.log(
    `| hutctl's own time per slot run beyond flash + off-time + boot | ${median(overheads).toFixed(0)} ms (CLI start, slot lock, artifact verify and copy of 1 MiB, power switching through HA) | – | ≤ 200 ms |`,
  );
} finally {
  await farm.stop();
}
