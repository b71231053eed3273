/**
 * hutctl.yaml, .lxd.env and invocations as an attacker or a broken machine writes them: every
 * one ends in problems with file and key (or a valid config), never an exception, a hang or a
 * stack trace; one timeout policy for `contract validate` and `job run`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/index.ts';
import { checkContract, ROLE_TIMEOUTS, validateInvocation } from '../../src/contract/index.ts';
import { isHutError } from '../../src/errors/index.ts';
import { invocation, runCli, tempDir } from '../support/cli.ts';
import { assertCleanError, hostileBytes, hostileValue, RUNS } from '../support/hostile.ts';

const KEYS = {
  paths: ['lock_dir', 'cancel_dir', 'evidence_dir', 'slot_lock_dir', 'state_dir', 'share_group'],
  jobs: ['kill_grace_sec'],
  ssh: ['control_dir', 'control_persist_sec', 'connect_timeout_sec', 'server_alive_interval_sec'],
  home_assistant: ['url', 'token_env', 'token_file', 'timeout_sec', 'confirm_timeout_sec'],
} as const;

/** A config shaped like a real one, with hostile values and numbers anywhere in it. */
const hostileConfig = fc.record(
  {
    paths: fc.dictionary(fc.constantFrom(...KEYS.paths), hostileValue),
    jobs: fc.dictionary(
      fc.constantFrom(...KEYS.jobs),
      fc.oneof(fc.double(), fc.integer(), fc.constant(1e10)),
    ),
    ssh: fc.dictionary(fc.constantFrom(...KEYS.ssh), fc.oneof(fc.integer(), fc.double())),
    home_assistant: fc.dictionary(fc.constantFrom(...KEYS.home_assistant), hostileValue),
    targets: fc.dictionary(
      fc.oneof(hostileValue, fc.constantFrom('runner', 'infra', '__proto__', 'constructor')),
      fc.record({
        transport: fc.constantFrom('ssh', 'local', 'telnet'),
        host: hostileValue,
        workdir: hostileValue,
        port: fc.oneof(fc.integer(), fc.double()),
      }),
    ),
    slots: fc.dictionary(
      fc.oneof(hostileValue, fc.constantFrom('hut-01', '__proto__')),
      fc.record({ serial: hostileValue, labels: fc.array(hostileValue, { maxLength: 3 }) }),
    ),
    profiles: fc.dictionary(fc.oneof(hostileValue, fc.constant('__proto__')), fc.anything()),
  },
  { requiredKeys: [] },
);

function loadFrom(text: string | Buffer, lxd?: Buffer) {
  const dir = tempDir();
  writeFileSync(join(dir, 'hutctl.yaml'), text);
  if (lxd) writeFileSync(join(dir, '.lxd.env'), lxd);
  return { dir, loaded: loadConfig({ cwd: dir, env: { HOME: '/home/u' } }) };
}

test('generated configs load into a config or into problems, never an exception', async () => {
  await fc.assert(
    fc.asyncProperty(hostileConfig, async (config) => {
      const { loaded } = loadFrom(stringify(config));
      const { problems } = await loaded;
      for (const p of problems) {
        assert.ok(p.file.endsWith('hutctl.yaml'));
        assert.equal(typeof p.message, 'string');
      }
    }),
    RUNS(400),
  );
});

test('random bytes as hutctl.yaml or .lxd.env: problems, never an exception', async () => {
  await fc.assert(
    fc.asyncProperty(hostileBytes, hostileBytes, async (yamlBytes, lxdBytes) => {
      const { loaded } = loadFrom(yamlBytes, lxdBytes);
      await loaded;
    }),
    RUNS(400),
  );
});

test('every duration has a ceiling: kill_grace_sec 1e10 is a problem, not a 1 ms timer', async () => {
  const { loaded } = loadFrom('jobs:\n  kill_grace_sec: 1e10\nssh: {connect_timeout_sec: 99999}\n');
  const { problems } = await loaded;
  assert.deepEqual(
    problems.map((p) => p.path),
    ['ssh.connect_timeout_sec', 'jobs.kill_grace_sec'],
  );
});

test('a YAML alias bomb, a huge file and a FIFO are refused fast with one line', async () => {
  const bomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
    ...'bcdefghij'
      .split('')
      .map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefghij'[i]}`).join(',')}]`),
    '',
  ].join('\n');
  for (const text of [bomb, `# ${'x'.repeat(2 * 1024 * 1024)}\n`]) {
    const { dir } = loadFrom(text);
    const started = Date.now();
    const result = await runCli(['config', 'check'], { cwd: dir });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^error: .*hutctl\.yaml: cannot read: /m);
    assert.doesNotMatch(result.stderr, /unexpected error|\n\s+at /);
    assert.ok(Date.now() - started < 10_000);
  }
  const dir = tempDir();
  const fifo = join(dir, 'fifo.yaml');
  execFileSync('mkfifo', [fifo]);
  const result = await runCli(['config', 'check', '--config', fifo], { cwd: dir });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /not a regular file/);
});

test('a file that says it is empty but streams on (/proc) is read only up to the limit', async () => {
  // /proc/self/pagemap is a regular file of size 0 that reads on for terabytes: the limit is
  // counted as it is read, not taken from stat.
  const dir = tempDir();
  const started = Date.now();
  const endless = await runCli(['config', 'check', '--config', '/proc/self/pagemap'], { cwd: dir });
  assert.equal(endless.code, 1, endless.stdout);
  assert.match(
    endless.stderr,
    /^error: \/proc\/self\/pagemap: cannot read: it holds more than the 1\.0 MiB such a file may have$/m,
  );
  assert.ok(Date.now() - started < 10_000);
  // A small one is read whole (it was read as empty, and passed as a config with nothing in it).
  const small = await runCli(['config', 'check', '--config', '/proc/self/status'], { cwd: dir });
  assert.equal(small.code, 1, small.stdout);
  assert.match(small.stderr, /^error: \/proc\/self\/status:1:1: Name: unknown key$/m);
  // A character device is refused without being opened, like a FIFO.
  const device = await runCli(['config', 'check', '--config', '/dev/zero'], { cwd: dir });
  assert.equal(device.code, 1);
  assert.match(device.stderr, /\/dev\/zero: cannot read: not a regular file$/m);
});

test('hostile configs through the CLI: config check answers in JSON or one line, no stack trace', async () => {
  const samples = fc.sample(hostileConfig, { numRuns: 15, seed: 9 });
  for (const config of samples) {
    const { dir } = loadFrom(stringify(config));
    const result = await runCli(['config', 'check', '--json'], { cwd: dir });
    assert.ok(result.code === 0 || result.code === 1, result.stderr);
    const json = JSON.parse(result.stdout);
    assert.equal(json.valid, result.code === 0);
    const job = await runCli(['job', 'status', '--', 'x'], { cwd: dir });
    if (job.code !== 1 || !/no evidence/.test(job.stderr)) assertCleanError(job, [1, 2]);
  }
});

test('one timeout policy: contract validate and job run agree on every generated invocation', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('infra', 'runner'),
      fc.integer({ min: -5, max: 20_000 }),
      (role, timeout) => {
        const value = JSON.parse(invocation({ target_role: role, timeout_sec: timeout }));
        const checked = checkContract(value).valid;
        let ran = true;
        try {
          validateInvocation(value, 'test');
        } catch (error) {
          assert.ok(isHutError(error));
          ran = false;
        }
        assert.equal(checked, ran);
        const max = ROLE_TIMEOUTS[role as 'infra' | 'runner'].maxSec;
        assert.equal(checked, timeout >= 1 && timeout <= max);
      },
    ),
    RUNS(2000),
  );
});

test('deep nesting, option-like hosts and users, and a key set twice in .lxd.env are config problems', async () => {
  const deep = `targets: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
  const started = Date.now();
  const nested = await loadFrom(deep).loaded;
  assert.match(nested.problems[0]?.message ?? '', /nested more than 64 levels deep/);
  assert.ok(Date.now() - started < 5000);
  const options = await loadFrom(
    'targets:\n  runner: {transport: ssh, host: "-oProxyCommand=touch /tmp/x", user: "-oX"}\n',
  ).loaded;
  assert.deepEqual(
    options.problems.map((p) => p.path),
    ['targets.runner.host', 'targets.runner.user'],
  );
  const twice = await loadFrom(
    'paths: {}\n',
    Buffer.from('LXD_HOST=a\nLXD_SSH_USER=u\nLXD_SSH_AUTH=agent\nLXD_HOST=b\n'),
  ).loaded;
  assert.match(twice.problems[0]?.message ?? '', /LXD_HOST is set twice \(first on line 1\)/);
});

test('config check shows control characters in keys, values and paths escaped, never raw', async () => {
  // A directory named with an escape sequence, and keys and values that hold them: each reaches
  // a human line (the file, a problem's key path), and a terminal would obey it if sent raw.
  const dir = join(tempDir(), 'farm\x1b[2J');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'hutctl.yaml'),
    [
      'targets:',
      '  "r\\e[31mX":',
      '    transport: local',
      '  runner:',
      '    transport: ssh',
      '    host: "lab\\e]0;pwned\\a"',
      'paths:',
      '  "lock\\e]0;pwned\\a": /x',
      '  state_dir: "/tmp/\\u009b31m"',
      '',
    ].join('\n'),
  );
  const result = await runCli(['config', 'check'], { cwd: dir });
  assert.equal(result.code, 1, result.stderr);
  const shown = result.stdout + result.stderr;
  assert.doesNotMatch(shown, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  assert.match(shown, /config: .*farm\\u001b\[2J\/hutctl\.yaml/);
  assert.match(result.stderr, /targets\.r\\u001b\[31mX: /);
  assert.match(result.stderr, /paths\.lock\\u001b\]0;pwned\\u0007: unknown key/);
  assert.match(result.stderr, /targets\.runner\.host: may not hold control characters/);
  assert.match(result.stderr, /paths\.state_dir: may not hold control characters/);
  // --json was already safe: JSON escapes them.
  const json = await runCli(['config', 'check', '--json'], { cwd: dir });
  assert.doesNotMatch(json.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
});

test('a target, slot, profile or VM named __proto__ is refused by its name rule, not dropped', async () => {
  const { dir, loaded } = loadFrom(
    [
      'targets:',
      '  __proto__:',
      '    transport: local',
      '  runner:',
      '    transport: ssh',
      '    host: lab',
      '    ssh_options: {__proto__: x}',
      'slots:',
      '  __proto__: {serial: usb-x}',
      'profiles:',
      '  __proto__: {}',
      'vms:',
      '  runner-vm:',
      '    usb: {__proto__: {vendor: "10c4", product: "ea60"}}',
      '',
    ].join('\n'),
  );
  const { problems } = await loaded;
  assert.deepEqual(
    problems.map((p) => `${p.line}:${p.path}: ${p.message}`).sort(),
    [
      '2:targets.__proto__: a target name is a role such as runner',
      '7:targets.runner.ssh_options.__proto__: an ssh_config option name',
      "9:slots.__proto__: slot: lower-case letters, digits and '-', starting with a letter, at most 32 characters (such as hut-01)",
      "11:profiles.__proto__: profile: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters",
      "14:vms.runner-vm.usb.__proto__: slot: lower-case letters, digits and '-', starting with a letter, at most 32 characters (such as hut-01)",
    ].sort(),
  );
  const result = await runCli(['config', 'check'], { cwd: dir });
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /^error: .*hutctl\.yaml:2:3: targets\.__proto__: a target name is a role such as runner$/m,
  );
  // Any other name the rule refuses says why, too (it said "Invalid key in record").
  const other = await loadFrom('targets:\n  Runner_1:\n    transport: local\n').loaded;
  assert.deepEqual(
    other.problems.map((p) => `${p.line}:${p.column}:${p.path}: ${p.message}`),
    ['2:3:targets.Runner_1: a target name is a role such as runner'],
  );
});

test('a config cache entry that is a FIFO, a device, a directory, huge or a link loop is a miss, never waited on', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'hutctl.yaml'), `paths:\n  state_dir: ${join(dir, 'state')}\n`);
  const cache = join(dir, 'cache');
  const list = () =>
    runCli(['slot', 'list'], { cwd: dir, env: { XDG_CACHE_HOME: cache }, killAfterMs: 20_000 });
  assert.equal((await list()).code, 0);
  const entries = join(cache, 'hutctl', 'config');
  const [name] = readdirSync(entries);
  const entry = join(entries, name!);
  const good = readFileSync(entry, 'utf8');
  const makers: Array<[string, () => void]> = [
    ['a FIFO', () => execFileSync('mkfifo', [entry])],
    ['a device', () => symlinkSync('/dev/zero', entry)],
    ['a directory', () => mkdirSync(entry)],
    ['huge', () => writeFileSync(entry, Buffer.alloc(9 * 1024 * 1024, ' '))],
    ['a link loop', () => symlinkSync(entry, entry)],
    [
      'changed by hand',
      () => {
        const e = JSON.parse(good);
        const config = JSON.parse(e.text);
        config.slots = { 'hut-99': {} }; // valid JSON, not a config hutctl validated
        writeFileSync(entry, JSON.stringify({ ...e, text: JSON.stringify(config) }));
      },
    ],
  ];
  for (const [what, make] of makers) {
    rmSync(entry, { recursive: true, force: true });
    make();
    const result = await list();
    assert.equal(result.signal, null, `waited on ${what}`);
    assert.equal(result.code, 0, `${what}: ${result.stderr}`);
    assert.equal(result.stderr, '');
    assert.doesNotMatch(result.stdout, /hut-99/);
    // Replaced by the config as loaded afresh.
    assert.equal(readFileSync(entry, 'utf8'), good, what);
  }
});
