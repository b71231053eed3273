#!/usr/bin/env node
// The Quick start's main job: a simulated two-slot farm (boards on real PTYs, a simulated Home
// Assistant), a job on each slot at once, a power cycle, and the evidence they leave.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrograms } from './system-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, '.hutctl', 'demo');
const cli = join(root, 'dist', 'hutctl.cjs');
const env = { ...process.env, HUTCTL_CONFIG: join(dir, 'hutctl.yaml') };

// The simulated boards sit on PTYs made by socat; locks and steps need util-linux and perl.
ensurePrograms(
  { socat: 'socat', flock: 'util-linux', setsid: 'util-linux', perl: 'perl-base' },
  'demo',
);
rmSync(dir, { recursive: true, force: true });
const farm = spawn(process.execPath, [cli, 'sim', 'up', '--dir', dir, '--slots', '2'], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
const stopFarm = () => farm.exitCode === null && farm.kill('SIGINT');
process.on('exit', stopFarm);

function hutctl(args, { show = true } = {}) {
  if (show)
    console.log(`\n$ hutctl ${args.map((a) => (/[\s'"{}|]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
    });
    child.on('close', (code) => resolve(code));
  });
}

for (let i = 0; i < 100 && !existsSync(join(dir, 'sim.json')); i++)
  await new Promise((r) => setTimeout(r, 50));
if (!existsSync(join(dir, 'sim.json'))) throw new Error('the simulated farm did not start');

const waitForBoot = ['--', 'sh', '-c', 'timeout 10 grep -m1 "squeezelite-esp32: ready" {port}'];
await hutctl(['slot', 'list']);
console.log('\n# one job on each slot at once (each holds its own slot lock)');
const codes = await Promise.all([
  hutctl(['slot', 'run', 'hut-01', '--quiet', ...waitForBoot]),
  hutctl(['slot', 'run', 'hut-02', '--quiet', ...waitForBoot]),
]);
await hutctl(['power', 'cycle', 'hut-01']);
await hutctl(['slot', 'run', 'hut-01', ...waitForBoot]);
await hutctl(['slot', 'status']);
console.log(`\n# evidence in ${join(dir, 'evidence')}:`);
for (const name of readdirSync(join(dir, 'evidence')).sort()) console.log(`  ${name}`);
stopFarm();
process.exitCode = codes.every((c) => c === 0) ? 0 : 1;
