/**
 * home_assistant.token_file as a hostile or broken machine leaves it: a FIFO, a device, a
 * directory, a huge file, a symbolic link loop. Each is one line naming the file and why, exit 1
 * (CONFIG), before Home Assistant is asked anything — never a hang, never a file read to its end.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from '../support/cli.ts';

function configWith(dir: string, tokenFile: string): string {
  const config = join(dir, 'hutctl.yaml');
  writeFileSync(
    config,
    [
      'paths:',
      `  lock_dir: ${join(dir, 'locks')}`,
      `  slot_lock_dir: ${join(dir, 'locks')}`,
      `  state_dir: ${join(dir, 'state')}`,
      `  evidence_dir: ${join(dir, 'evidence')}`,
      'home_assistant:',
      // Nothing listens there: a token that is read goes no further than a refused connection.
      '  url: http://127.0.0.1:9',
      `  token_file: ${tokenFile}`,
      '  timeout_sec: 1',
      'slots:',
      '  hut-01:',
      `    serial: ${join(dir, 'no-such-link')}`,
      '    power: {backend: homeassistant, entity: switch.hut_01_power}',
      '',
    ].join('\n'),
  );
  return config;
}

test('a token_file that is a FIFO, a device, a directory, huge or a link loop: one line, exit 1, no hang', async () => {
  const dir = tempDir('hutctl-token-');
  const fifo = join(dir, 'fifo-token');
  execFileSync('mkfifo', ['-m', '600', fifo]);
  const directory = join(dir, 'dir-token');
  mkdirSync(directory, { mode: 0o700 });
  const huge = join(dir, 'huge-token');
  writeFileSync(huge, Buffer.alloc(5 * 1024, 'x'), { mode: 0o600 });
  const loop = join(dir, 'loop-token');
  symlinkSync(loop, loop);
  const cases: Array<[string, string]> = [
    [fifo, 'not a regular file'],
    ['/dev/zero', 'not a regular file'],
    [directory, 'it is a directory'],
    [huge, '5.0 KiB is more than the 4.0 KiB such a file may have'],
    [loop, 'too many levels of symbolic links (a loop)'],
  ];
  for (const [file, reason] of cases) {
    const config = configWith(dir, file);
    const result = await runCli(['power', 'status', 'hut-01'], {
      cwd: dir,
      env: { HUTCTL_CONFIG: config },
      killAfterMs: 20_000,
    });
    assert.equal(result.signal, null, `waited on ${file}`);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(
      result.stderr,
      `hutctl: home_assistant.token_file: ${file}: ${reason}\n  point token_file at a plain file (mode 0600) that holds only the token\n`,
    );
  }
});

test('a token_file that is missing or readable by others is still said so', async () => {
  const dir = tempDir('hutctl-token-');
  const missing = await runCli(['power', 'status', 'hut-01'], {
    cwd: dir,
    env: { HUTCTL_CONFIG: configWith(dir, join(dir, 'none')) },
  });
  assert.equal(missing.code, 1, missing.stderr);
  assert.equal(
    missing.stderr,
    `hutctl: home_assistant.token_file: ${join(dir, 'none')} does not exist\n`,
  );
  const open = join(dir, 'open-token');
  writeFileSync(open, 'eyJhbGciOiJIUzI1NiJ9.long-lived\n');
  chmodSync(open, 0o644);
  const shared = await runCli(['power', 'status', 'hut-01'], {
    cwd: dir,
    env: { HUTCTL_CONFIG: configWith(dir, open) },
  });
  assert.equal(shared.code, 1, shared.stderr);
  assert.match(
    shared.stderr,
    /^hutctl: home_assistant\.token_file: .* is readable by others \(mode 644\)\n/,
  );
});

test('a token_file that holds no token (empty, two lines, a NUL, environment variables) is said so before Home Assistant is asked', async () => {
  const dir = tempDir('hutctl-token-');
  const cases: Array<[string, string]> = [
    ['', 'it is empty'],
    ['abc\ndef\n', 'a long-lived access token is one line'],
    ['abc\u0000def', 'a long-lived access token is one line'],
    ['HOME=/root\u0000PATH=/bin\u0000', 'a long-lived access token is one line'],
  ];
  for (const [i, [content, why]] of cases.entries()) {
    const file = join(dir, `token-${i}`);
    writeFileSync(file, content, { mode: 0o600 });
    const r = await runCli(['power', 'status', 'hut-01'], {
      cwd: dir,
      env: { HUTCTL_CONFIG: configWith(dir, file) },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(
      r.stderr.startsWith(
        `hutctl: home_assistant.token_file: ${file} does not hold a token: ${why}`,
      ),
      r.stderr,
    );
    assert.doesNotMatch(r.stderr, /cannot reach/);
  }
});
