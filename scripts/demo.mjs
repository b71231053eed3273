#!/usr/bin/env node
// The Quick start's main job, as a firmware team runs it: an ESP-IDF build stored under its commit
// SHA, HW-BOOT-001 on a simulated two-board farm — each board flashed through the ESP32 ROM
// protocol, cold-booted by the simulated Home Assistant relay, its boot log judged — the results
// table, the JUnit file, and the handoff entry written into a copy of the team's documents.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeIdfBuild } from '../test/support/idf-build.ts';
import { ensurePrograms } from './system-deps.mjs';

const root = new URL('..', import.meta.url).pathname;
const dir = process.env.HUTCTL_DEMO_DIR || join(root, '.hutctl', 'demo');
const cli = join(root, 'dist', 'hutctl.cjs');
const env = { ...process.env, HUTCTL_CONFIG: join(dir, 'hutctl.yaml') };
const SHA = '3f9c2a7d41b08e5c6d2f1a9b7e4c3d2a1f0e9d8c';

// The simulated boards sit on PTYs made by socat; locks, steps and DTR/RTS need util-linux and perl.
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

function hutctl(args) {
  console.log(`\n$ hutctl ${args.map((a) => (/[\s'"{}|]/.test(a) ? `'${a}'` : a)).join(' ')}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env,
    });
    child.on('close', (code) => resolve(code));
  });
}

for (let i = 0; i < 200 && !existsSync(join(dir, 'sim.json')); i++)
  await new Promise((r) => setTimeout(r, 50));
if (!existsSync(join(dir, 'sim.json'))) {
  console.error('demo: the simulated farm did not start (its error is above)');
  process.exit(1);
}

// 1. The firmware: an ESP-IDF build tree as `idf.py build` leaves it (bootloader, partition
//    table, otadata, the app with its esp_app_desc_t, flash_args, flasher_args.json).
const build = writeIdfBuild(join(dir, 'squeezelite-esp32'), {
  project: 'squeezelite',
  version: 'v2.0.0-demo',
  layout: 'two-ota',
});
console.log(
  `\n# an ESP-IDF build in ${build.buildDir}: ${build.project}.bin ${build.appDesc.version}, ESP-IDF ${build.appDesc.idfVer}`,
);

// 2. Stored under its commit SHA, for each platform profile of the farm's two boards.
let failed = false;
for (const profile of ['i2s', 'muse'])
  failed ||=
    (await hutctl([
      'artifact',
      'put',
      SHA,
      '--build-dir',
      build.buildDir,
      '--profile',
      profile,
    ])) !== 0;

// 3. HW-BOOT-001 on every board at once, recorded in a copy of the team's documents.
const docs = join(dir, 'squeezelite-docs');
cpSync(join(root, 'test', 'fixtures', 'squeezelite'), docs, { recursive: true });
const junit = join(dir, 'evidence', 'hil-junit.xml');
const code = await hutctl([
  'hil',
  'surface',
  '--sha',
  SHA,
  '--junit',
  junit,
  '--update-docs',
  '--docs',
  docs,
]);

const logs = readdirSync(join(dir, 'evidence')).filter((n) => /^runner_hil_.*_utc\.log$/.test(n));
const first = logs.sort()[0];
if (first) {
  console.log(`\n# what the flasher and the board said (${join(dir, 'evidence', first)}):`);
  const said = readFileSync(join(dir, 'evidence', first), 'utf8').split('\n');
  for (const line of said.filter((l) =>
    /^(Wrote|# flashed|.*app_init: App version|.*: ready$)/.test(l),
  ))
    console.log(`  ${line}`);
}
console.log(`\n# JUnit for CI: ${junit}`);
if (existsSync(junit))
  for (const line of readFileSync(junit, 'utf8')
    .split('\n')
    .filter((l) => l.includes('<testcase')))
    console.log(`  ${line.trim()}`);
const handoff = join(docs, 'documentation', 'short-term', 'coordination', 'handoff_log.md');
const entry = readFileSync(handoff, 'utf8')
  .split('\n')
  .find((l) => l.includes('HW-BOOT-001') && l.includes(SHA.slice(0, 12)));
console.log(`\n# the handoff entry at the top of ${handoff}:\n  ${entry ?? '(none written)'}`);
await hutctl(['slot', 'status']);
stopFarm();
process.exitCode = failed || code !== 0 ? 1 : 0;
