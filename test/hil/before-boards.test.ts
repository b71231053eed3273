/**
 * What is found before a board is touched: bad output options and handoff values are bad input
 * (exit 2, nothing flashed), a relay that reads neither on nor off is blocked before flashing, a
 * board left powered off is switched on to be flashed, and paths that can never be created end
 * with one line instead of spinning.
 */
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { flashChanges, putIdfBuild, startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
const SHA = 'b0a4d5eed001';
before(async () => {
  t = await startTestFarm(3);
  await putIdfBuild(t, SHA, {}, ['i2s', 'muse', 'squeezeamp']);
});
after(() => t.stop());

test('bad output options and handoff values: exit 2 before any board is flashed', async () => {
  writeFileSync(join(t.dir, 'afile'), 'x');
  const repo = join(t.dir, 'repo');
  cpSync(fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url)), repo, {
    recursive: true,
  });
  const log = join(repo, 'documentation/short-term/coordination/handoff_log.md');
  const before = [flashChanges(t), readFileSync(log, 'utf8')];
  const cases: [string[], RegExp][] = [
    [
      ['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--junit', join(t.dir, 'afile', 'j.xml')],
      /^hutctl: --junit .*afile\/j\.xml: .*afile is not a directory; nothing was run\n/,
    ],
    [
      ['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--summary', t.dir],
      /^hutctl: --summary .*: is a directory; nothing was run\n/,
    ],
    [
      ['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--profile', 'nosuch'],
      /^hutctl: --profile nosuch: no such platform profile \(profiles: i2s, muse, squeezeamp\)\n/,
    ],
    [
      ['hil', 'surface', '--sha', SHA, '--update-docs', '--docs', join(t.dir, 'nowhere')],
      /^hutctl: --update-docs: no documentation\/short-term\/coordination\/ .*; nothing was run\n/,
    ],
    [
      ['hil', 'surface', '--sha', SHA, '--update-docs', '--docs', repo, '--executor', 'nope'],
      /executor must be remote_codex or ssh_direct; nothing was run\n/,
    ],
    [
      ['hil', 'surface', '--sha', SHA, '--update-docs', '--docs', repo, '--agent', 'x'],
      /agent "x" must be <role>:<id>/,
    ],
    [
      ['hil', 'surface', '--sha', SHA, '--update-docs', '--docs', repo, '--goal', 'GOAL-002/WS3|x'],
      /goal\/workstream "GOAL-002\/WS3\|x" must be one word/,
    ],
    [
      ['hil', 'surface', '--sha', SHA, '--update-docs', '--docs', repo, '--goal', 'bad goal'],
      /goal\/workstream "bad goal" must be one word/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await t.hutctl(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.deepEqual(
    [flashChanges(t), readFileSync(log, 'utf8')],
    before,
    'no board flashed, no entry written',
  );
});

test('a relay that reads unavailable is blocked before flashing; a relay left off is switched on and the run passes', async () => {
  const entity = t.farm.ha.entities.get('switch.hut_02_power')!;
  entity.failure = 'unavailable';
  entity.state = 'unavailable';
  try {
    const flashed = flashChanges(t, 'hut-02');
    const r = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-02', '--json']);
    assert.equal(r.code, 3, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual([json.status, json.phase], ['blocked', 'power']);
    assert.match(
      json.reason,
      /^the relay of hut-02 reads 'unavailable' \(.*\); nothing was flashed$/,
    );
    assert.equal(flashChanges(t, 'hut-02'), flashed);
  } finally {
    entity.failure = 'none';
    entity.state = 'on';
  }
  const off = await t.hutctl(['power', 'off', 'hut-02']);
  assert.equal(off.code, 0, off.stderr);
  const r = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-02', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    readFileSync(JSON.parse(r.stdout).evidence[0], 'utf8'),
    /# the relay of hut-02 is off: switching it on to flash/,
  );
});

test('an evidence directory or JUnit path that can never be created is one line, not a spin', async () => {
  const evidence = await t.hutctl([
    'hil',
    'run',
    '--sha',
    SHA,
    '--slot',
    'hut-03',
    '--evidence-dir',
    '/proc/hutctl-nope',
  ]);
  assert.notEqual(evidence.code, 0);
  assert.match(evidence.stderr, /^hutctl: .*\/proc\/hutctl-nope.*\n/);
  const junit = await t.hutctl([
    'hil',
    'run',
    '--sha',
    SHA,
    '--slot',
    'hut-03',
    '--junit',
    '/proc/hutctl-nope/j.xml',
  ]);
  assert.equal(junit.code, 2);
  assert.match(
    junit.stderr,
    /^hutctl: --junit \/proc\/hutctl-nope\/j\.xml: \/proc\/hutctl-nope cannot be written \(ENOENT\); nothing was run\n/,
  );
});

test('a run refused before it starts (no --sha) still writes its JUnit file with the reason', async () => {
  const junit = join(t.dir, 'no-sha.xml');
  const r = await t.hutctl(['hil', 'run', '--slot', 'hut-01', '--junit', junit]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "hutctl: required option '--sha <sha>' not specified\n");
  assert.match(
    readFileSync(junit, 'utf8'),
    /<error message="required option '--sha &lt;sha&gt;' not specified" type="not-run"\/>/,
  );
});

test('--junit never replaces what is not its own file: a link is followed, a FIFO written to, a slot lock refused', async () => {
  const { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync } =
    await import('node:fs');
  const { spawn, execFileSync } = await import('node:child_process');
  const runTo = (junit: string) =>
    t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--junit', junit]);
  // A slot's lock file (the farm's lock directory): refused, and the lock is the same file after.
  const lock = join(t.farm.dir, 'locks', 'hut-02.lock');
  const held = await t.hutctl(['slot', 'run', 'hut-02', '--', 'true']);
  assert.equal(held.code, 0, held.stderr);
  const inode = existsSync(lock) ? statSync(lock).ino : null;
  const refused = await runTo(lock);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /is one of hutctl's own files .*nothing was run/);
  assert.equal(existsSync(lock) ? statSync(lock).ino : null, inode);
  // A symbolic link: the XML goes to its target, and the link stays a link.
  const reports = join(t.dir, 'reports');
  mkdirSync(reports, { recursive: true });
  const link = join(reports, 'latest.xml');
  symlinkSync(join(reports, 'run-1.xml'), link);
  writeFileSync(join(reports, 'run-1.xml'), 'old');
  // A FIFO (as a process substitution gives): written to, still a FIFO after.
  const fifo = join(reports, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  let heard = '';
  reader.stdout.setEncoding('utf8').on('data', (c: string) => {
    heard += c;
  });
  const read = new Promise((resolve) => reader.on('close', resolve));
  for (const junit of [link, fifo]) {
    const r = await runTo(junit);
    assert.equal(r.code, 0, r.stderr);
  }
  await read;
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.equal(readlinkSync(link), join(reports, 'run-1.xml'));
  assert.match(readFileSync(join(reports, 'run-1.xml'), 'utf8'), /<testsuite /);
  assert.ok(lstatSync(fifo).isFIFO());
  assert.match(heard, /<testsuite /);
  // A link to nowhere: written where it points, the link kept; a loop: refused before the run.
  const dangling = join(reports, 'next.xml');
  symlinkSync(join(reports, 'made', 'run-2.xml'), dangling);
  const loop = join(reports, 'loop-a');
  symlinkSync(join(reports, 'loop-b'), loop);
  symlinkSync(loop, join(reports, 'loop-b'));
  const made = await runTo(dangling);
  assert.equal(made.code, 0, made.stderr);
  assert.ok(lstatSync(dangling).isSymbolicLink());
  assert.match(readFileSync(join(reports, 'made', 'run-2.xml'), 'utf8'), /<testsuite /);
  // hutctl's own files: the config, an artifact's manifest, and the loop, all refused (exit 2).
  const manifest = readdirSync(join(t.dir, 'artifacts', SHA), { recursive: true })
    .map(String)
    .find((f) => f.endsWith('manifest.json'))!;
  for (const [path, said] of [
    [loop, /loop-a is a loop of symbolic links/],
    [t.farm.configPath, /is one of hutctl's own files/],
    [join(t.dir, 'artifacts', SHA, manifest), /is one of hutctl's own files/],
  ] as const) {
    const before = lstatSync(path, { throwIfNoEntry: false })?.mtimeMs;
    const r = await runTo(path);
    assert.equal(r.code, 2, `${path}: ${r.stderr}`);
    assert.match(r.stderr, said);
    assert.equal(lstatSync(path, { throwIfNoEntry: false })?.mtimeMs, before, path);
  }
  // A FIFO nobody reads: said once the run is over, never waited on for ever; the board passed
  // but its JUnit was not kept: the farm's problem (3), not a pass and not the firmware's.
  const lonely = join(reports, 'lonely');
  execFileSync('mkfifo', [lonely]);
  const r = await runTo(lonely);
  assert.match(r.stderr, /--junit .*lonely was not written: .*lonely is a FIFO that nobody reads/);
  assert.equal(r.code, 3, r.stderr);
});

test("CI's own output files are checked as --junit is: $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT never reach hutctl's files, and a path through a missing directory is refused before the run", async () => {
  const { lstatSync, mkdirSync } = await import('node:fs');
  const lock = join(t.farm.dir, 'locks', 'hut-01.lock');
  const history = async () =>
    JSON.parse((await t.hutctl(['hil', 'history', '--slot', 'hut-01', '--json'])).stdout).length;
  const runs = await history();
  const dir = join(t.dir, 'outputs');
  mkdirSync(dir, { recursive: true });
  for (const [env, said] of [
    // A file hutctl.yaml names for hutctl to read: the Home Assistant token.
    [{ GITHUB_STEP_SUMMARY: join(t.farm.dir, 'ha-token') }, /is one of hutctl's own files/],
    [
      { GITHUB_STEP_SUMMARY: t.farm.configPath },
      /\$GITHUB_STEP_SUMMARY .* is one of hutctl's own files/,
    ],
    [{ GITHUB_OUTPUT: t.farm.configPath }, /\$GITHUB_OUTPUT .* is one of hutctl's own files/],
    [{ GITHUB_OUTPUT: lock }, /\$GITHUB_OUTPUT .* is one of hutctl's own files/],
    // The kernel goes through `missing` to find `..`: it must exist, as it would for a shell's `>`.
    [{ GITHUB_STEP_SUMMARY: `${dir}/missing/../s.md` }, /cannot be written/],
  ] as const) {
    const before = lstatSync(t.farm.configPath).mtimeMs;
    const r = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01'], { env });
    assert.equal(r.code, 2, `${JSON.stringify(env)}: ${r.stderr}`);
    assert.match(r.stderr, said);
    assert.match(r.stderr, /nothing was run/);
    assert.equal(lstatSync(t.farm.configPath).mtimeMs, before);
  }
  // Another name of the config (a hard link): no path check would see it.
  const { linkSync, unlinkSync } = await import('node:fs');
  const alias = join(dir, 'summary.md');
  linkSync(t.farm.configPath, alias);
  try {
    const before = lstatSync(t.farm.configPath).mtimeMs;
    const r = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01'], {
      env: { GITHUB_STEP_SUMMARY: alias },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /summary\.md: has 1 other name\(s\) \(hard links\).*nothing was run/);
    assert.equal(lstatSync(t.farm.configPath).mtimeMs, before);
  } finally {
    unlinkSync(alias);
  }
  const missing = `${dir}/missing/../run.xml`;
  const r = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--junit', missing]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /--junit .*missing\/\.\.\/run\.xml: .*cannot be written .*nothing was run/,
  );
  assert.equal(await history(), runs, 'no board was flashed');
  // The configuration is still whole: the next command reads it.
  assert.equal((await t.hutctl(['config', 'check'])).code, 0);
});

test('surface stopped while a slot waits for its lock: that slot is blocked at lock, in the JUnit too, exit 130', async () => {
  const { startCli, finished, waitFor } = await import('../support/cli.ts');
  const holder = startCli(['slot', 'run', 'hut-02', '--', 'sleep', '30'], {
    cwd: t.dir,
    env: { HUTCTL_CONFIG: t.farm.configPath },
  });
  const held = finished(holder);
  const junit = join(t.dir, 'stopped-surface.xml');
  try {
    await waitFor(
      async () => (await t.hutctl(['slot', 'status', '--json'])).stdout.includes('"locked": true'),
      'hut-02 to be held',
      30_000,
    );
    const child = startCli(['hil', 'surface', '--sha', SHA, '--junit', junit], {
      cwd: t.dir,
      env: { HUTCTL_CONFIG: t.farm.configPath },
    });
    let heard = '';
    child.stderr!.on('data', (c: Buffer) => {
      heard += String(c);
    });
    const done = finished(child);
    await waitFor(
      async () => heard.includes('waiting for hut-02'),
      'hut-02 to be waited for',
      30_000,
    );
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(
      r.stdout,
      /hut-02 .* blocked +lock +interrupted \(SIGINT\) while waiting for hut-02/,
    );
    assert.match(
      readFileSync(junit, 'utf8'),
      /<error message="interrupted \(SIGINT\) while waiting for hut-02" type="blocked:lock"\/>/,
    );
  } finally {
    holder.kill('SIGINT');
    await held;
  }
});

test('a named slot whose platform profile is not configured is said before anything touches the board, not after its health check', async () => {
  const config = join(t.dir, 'no-profile.yaml');
  writeFileSync(
    config,
    readFileSync(t.farm.configPath, 'utf8').replace(
      /(hut-01:\n(?: {4}.*\n)*? {4}profile: )\S+/,
      '$1nope',
    ),
  );
  assert.match(readFileSync(config, 'utf8'), /profile: nope/);
  const junit = join(t.dir, 'no-profile.xml');
  const history = async () =>
    JSON.parse((await t.hutctl(['hil', 'history', '--slot', 'hut-01', '--json'])).stdout).length;
  const runs = await history();
  const r = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--junit', junit], {
    env: { HUTCTL_CONFIG: config },
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /slot hut-01's platform profile 'nope' is not under profiles: \(.*\); nothing was run/,
  );
  assert.match(readFileSync(junit, 'utf8'), /type="not-run"/);
  assert.equal(await history(), runs, 'no run, no health check');
});

test('an output link changed during the run to lead to the config is not followed: checked again before the write, exit 3', async () => {
  const { lstatSync, readFileSync: read, symlinkSync, unlinkSync } = await import('node:fs');
  const { finished, startCli, waitFor } = await import('../support/cli.ts');
  const link = join(t.dir, 'swapped.xml');
  symlinkSync(join(t.dir, 'swapped-target.xml'), link);
  const config = read(t.farm.configPath, 'utf8');
  const before = lstatSync(t.farm.configPath).mtimeMs;
  const child = startCli(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--junit', link], {
    cwd: t.dir,
    env: { HUTCTL_CONFIG: t.farm.configPath },
  });
  const done = finished(child);
  let heard = '';
  child.stderr!.on('data', (c: Buffer) => {
    heard += String(c);
  });
  await waitFor(async () => heard.includes('hut-01: flashing'), 'the flash to start', 30_000);
  unlinkSync(link);
  symlinkSync(t.farm.configPath, link);
  const r = await done;
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /--junit .*swapped\.xml was not written: is one of hutctl's own files/);
  assert.equal(read(t.farm.configPath, 'utf8'), config);
  assert.equal(lstatSync(t.farm.configPath).mtimeMs, before);
});
