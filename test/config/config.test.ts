/** hutctl.yaml and .lxd.env: resolution, defaults, and errors that say file, line, key and what is expected. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, parseEnvText } from '../../src/config/index.ts';
import { runCli, tempDir } from '../support/cli.ts';

function dirWith(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('targets resolve with defaults, paths relative to the config file', async () => {
  const dir = dirWith({
    'hutctl.yaml':
      'targets:\n  runner:\n    transport: ssh\n    host: 10.0.0.7\n    user: codexsvc\n    identity_file: ~/.ssh/runner\n    workdir: /srv/ci\n  arch:\n    transport: local\n    workdir: repo\npaths:\n  evidence_dir: ev\n',
  });
  mkdirSync(join(dir, 'sub'));
  const { config, problems } = await loadConfig({
    cwd: join(dir, 'sub'),
    env: { HOME: '/home/u' },
  });
  assert.deepEqual(problems, []);
  assert.equal(config.file, join(dir, 'hutctl.yaml'));
  assert.equal(config.targets.runner!.identityFile, '/home/u/.ssh/runner');
  assert.equal(
    config.targets.runner!.workdir,
    '/srv/ci',
    'a remote workdir is not resolved locally',
  );
  assert.equal(config.targets.arch!.workdir, join(dir, 'repo'));
  assert.equal(config.targets.runner!.source, `${join(dir, 'hutctl.yaml')}:2`);
  assert.equal(config.paths.evidenceDir, join(dir, 'ev'));
  assert.equal(config.paths.lockDir, '/tmp');
  assert.equal(config.paths.cancelDir, '/tmp');
});

test('every error names file, line, key path and expectation', async () => {
  const dir = dirWith({
    'hutctl.yaml':
      'targets:\n  runner:\n    transport: ssh\n    port: "22"\n  infra:\n    transport: telnet\npaths:\n  lockdir: /x\n',
  });
  const { problems } = await loadConfig({ cwd: dir, env: {} });
  const lines = problems.map((p) => `${p.line}:${p.path}: ${p.message}`);
  assert.ok(
    lines.some((l) => /^3:targets\.runner\.host: .*expected string/.test(l)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => /^4:targets\.runner\.port: .*expected number/.test(l)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => /^6:targets\.infra\.transport: expected transport: 'local' or 'ssh'/.test(l)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => /^8:paths\.lockdir: unknown key/.test(l)),
    lines.join('\n'),
  );
});

test('broken YAML is reported with its line', async () => {
  const dir = dirWith({ 'hutctl.yaml': 'targets:\n  runner: [\n' });
  const { problems } = await loadConfig({ cwd: dir, env: {} });
  assert.equal(problems.length > 0, true);
  assert.equal(typeof problems[0]!.line, 'number');
});

test('.lxd.env becomes the infra target, read as data with ~ expanded', async () => {
  const dir = dirWith({
    '.lxd.env': [
      '# connection for the LXD host',
      'export LXD_HOST=192.0.2.10',
      "LXD_SSH_USER='codexsvc'",
      'LXD_SSH_PORT=2222 # non-standard',
      'LXD_SSH_AUTH=key',
      'LXD_SSH_PRIVATE_KEY_PATH="~/.ssh/lxd key"',
      'LXD_WORKDIR=/home/codexsvc',
      'UNRELATED=$(rm -rf /)',
      '',
    ].join('\n'),
  });
  const { config, problems } = await loadConfig({ cwd: dir, env: { HOME: '/home/me' } });
  assert.deepEqual(problems, []);
  const infra = config.targets.infra!;
  assert.equal(infra.transport, 'ssh');
  assert.equal(infra.host, '192.0.2.10');
  assert.equal(infra.user, 'codexsvc');
  assert.equal(infra.port, 2222);
  assert.equal(infra.identityFile, '/home/me/.ssh/lxd key');
  assert.equal(infra.workdir, '/home/codexsvc');
});

test('hutctl.yaml wins over .lxd.env for infra; a broken .lxd.env is an error', async () => {
  const both = dirWith({
    'hutctl.yaml': 'targets:\n  infra:\n    transport: local\n',
    '.lxd.env': 'LXD_HOST=h\nLXD_SSH_USER=u\nLXD_SSH_AUTH=agent\n',
  });
  assert.equal((await loadConfig({ cwd: both, env: {} })).config.targets.infra!.transport, 'local');
  const broken = dirWith({
    '.lxd.env': 'LXD_SSH_USER=u\nLXD_SSH_PORT=abc\nLXD_SSH_PRIVATE_KEY_PATH=$HOME/.ssh/k\n',
  });
  const messages = (await loadConfig({ cwd: broken, env: {} })).problems.map(
    (p) => `${p.path}: ${p.message}`,
  );
  assert.ok(messages.includes('LXD_HOST: missing LXD_HOST (required)'));
  assert.ok(messages.some((m) => m.startsWith('LXD_SSH_PORT: expected a port number')));
  assert.ok(messages.some((m) => m.includes('$VARIABLES are not expanded')));
});

test('env parsing keeps quotes literal and never expands', async () => {
  const { values } = parseEnvText('A="x \\"y\\" $Z"\nB=\'$(id)\'\n', '.env');
  assert.equal(values.get('A')!.value, 'x "y" $Z');
  assert.equal(values.get('B')!.value, '$(id)');
});

test('config check prints the resolved config and every error, exit 1', async () => {
  const good = dirWith({
    'hutctl.yaml': 'targets:\n  runner:\n    transport: ssh\n    host: r1\n',
  });
  const ok = await runCli(['config', 'check'], { cwd: good });
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /target runner: ssh r1:22 +\(from .*hutctl.yaml:2\)/);
  assert.match(ok.stdout, /\nok\n$/);
  const bad = dirWith({ 'hutctl.yaml': 'targets:\n  runner:\n    transport: ssh\n    port: 0\n' });
  const result = await runCli(['config', 'check', '--json'], { cwd: bad });
  assert.equal(result.code, 1);
  const parsed = JSON.parse(result.stdout);
  assert.equal(parsed.valid, false);
  assert.deepEqual(parsed.problems.map((p: { path: string }) => p.path).sort(), [
    'targets.runner.host',
    'targets.runner.port',
  ]);
  const text = await runCli(['config', 'check'], { cwd: bad });
  assert.match(text.stderr, /error: .*hutctl\.yaml:4:\d+: targets\.runner\.port: /);
  const other = await runCli(['exec', 'runner', '--', 'true'], { cwd: bad });
  assert.equal(other.code, 1);
  assert.match(
    other.stderr,
    /hutctl\.yaml:\d+:\d+: targets\.runner\.\w+: .* \(and 1 more\)\n {2}run 'hutctl config check'/,
  );
  assert.equal(readFileSync(join(bad, 'hutctl.yaml'), 'utf8').includes('port: 0'), true);
});

test('a boot marker must be a regular expression hutctl matches in linear time, that nothing before the app matches', async () => {
  const marker = (value: string) =>
    dirWith({
      'hutctl.yaml': `profiles:\n  p:\n    flash: builtin\n    boot_marker: '${value.replaceAll("'", "''")}'\n`,
    });
  for (const [value, said] of [
    [
      '(',
      /not a regular expression hutctl can match in linear time \(missing closing \).*RE2 syntax/,
    ],
    [
      '(?<=x)ready',
      /not a regular expression hutctl can match in linear time \(invalid named capture/,
    ],
    ['(ready)\\1', /not a regular expression .*invalid escape sequence/],
    ['/ready/i', /write the pattern without slashes or flags \(ready, not \/ready\/i\)/],
    // A marker the ROM's or the bootloader's own lines match: a board whose app never started would pass.
    ['Jun', /matches 'ets Jun {2}8 2016 00:22:57', which an ESP32 prints before its app runs/],
    ['.', /matches an empty line or a line end, which every boot log has before its app runs/],
    ['SPI_FAST_FLASH', /matches 'rst:0x1 \(POWERON_RESET\),boot:0x13 \(SPI_FAST_FLASH_BOOT\)'/],
    ['waiting for download', /matches 'waiting for download'/],
    ['Loaded app', /matches 'I \(152\) boot: Loaded app from partition at offset 0x10000'/],
    ['esp_image', /matches 'I \(88\) esp_image: segment 0/],
  ] as const) {
    const r = await runCli(['config', 'check'], { cwd: marker(value), killAfterMs: 20_000 });
    assert.equal(r.code, 1, value);
    assert.match(
      r.stderr,
      new RegExp(`hutctl\\.yaml:4(:\\d+)?: profiles\\.p\\.boot_marker: ${said.source}`),
      value,
    );
  }
  // What backtracks for ever in JavaScript is matched by RE2 in linear time: no hang, accepted.
  for (const value of [
    'squeezelite-esp32: ready',
    'app_main|Returned from app_main|ready',
    '^([\\w:,]|[\\w:,])*!$',
  ])
    assert.equal(
      (await runCli(['config', 'check'], { cwd: marker(value), killAfterMs: 20_000 })).code,
      0,
      value,
    );
});

test('a slot naming a platform profile that hutctl.yaml lacks is a warning of config check, naming the profiles there are', async () => {
  const dir = dirWith({
    'hutctl.yaml':
      'profiles:\n  i2s:\n    flash: builtin\nslots:\n  hut-01:\n    serial: /dev/null\n    profile: nope\n  hut-02:\n    serial: /dev/null\n    profile: i2s\n',
  });
  const r = await runCli(['config', 'check'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /^warning: slots\.hut-01\.profile \(.*hutctl\.yaml:5\): no platform profile 'nope' under profiles: \(i2s\); hil runs on hut-01 are blocked until there is one$/m,
  );
  assert.doesNotMatch(r.stderr, /hut-02/);
});

test('a changed config is read afresh, even at the same size within the same second', async () => {
  const base = tempDir();
  for (const name of ['aaaa', 'bbbb']) mkdirSync(join(base, name));
  const yaml = (dir: string) =>
    `targets:\n  runner:\n    transport: local\n    workdir: ${join(base, dir)}\n`;
  const dir = dirWith({ 'hutctl.yaml': yaml('aaaa') });
  const first = await runCli(['exec', 'runner', '--', 'pwd'], { cwd: dir });
  assert.equal(first.stdout.trim(), join(base, 'aaaa'));
  writeFileSync(join(dir, 'hutctl.yaml'), yaml('bbbb'));
  const second = await runCli(['exec', 'runner', '--', 'pwd'], { cwd: dir });
  assert.equal(second.stdout.trim(), join(base, 'bbbb'));
  writeFileSync(join(dir, 'hutctl.yaml'), 'targets:\n  runner:\n    transport: rsh\n');
  const broken = await runCli(['exec', 'runner', '--', 'pwd'], { cwd: dir });
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /transport/);
});
