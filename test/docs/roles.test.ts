/** Packets, role repositories and the credential contract. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseHandoffLog, parsePacket } from '../../src/docs/index.ts';
import { runCli, tempDir } from '../support/cli.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url));

test('the real packets parse: target from the H1, thread_ref, blocker from the file name', async () => {
  const dir = join(FIXTURE, 'documentation/short-term/coordination/delegations');
  const handshake = parsePacket(
    'GOAL-001_WS8_runner_handshake_push_packet.md',
    readFileSync(join(dir, 'GOAL-001_WS8_runner_handshake_push_packet.md'), 'utf8'),
  )!;
  assert.deepEqual(
    [handshake.goal, handshake.ws, handshake.target, handshake.thread_ref, handshake.blocker],
    ['GOAL-001', 'WS8', 'runner:codex', 'WS8-PUSH-20260213A', false],
  );
  const list = JSON.parse((await runCli(['packet', 'list', '--docs', FIXTURE, '--json'])).stdout);
  assert.ok(list.some((p: { blocker: boolean }) => p.blocker));
  assert.ok(list.some((p: { target: string }) => p.target === 'infra:codex'));
});

test('packet list skips a packet that is a FIFO, a device or huge, naming it, and lists the rest', async () => {
  const root = join(tempDir(), 'repo');
  cpSync(FIXTURE, root, { recursive: true });
  const dir = join(root, 'documentation/short-term/coordination/delegations');
  const expected = JSON.parse(
    (await runCli(['packet', 'list', '--docs', root, '--json'])).stdout,
  ) as unknown[];
  const fifo = join(dir, 'GOAL-001_WS9_runner_fifo_packet.md');
  const zero = join(dir, 'GOAL-001_WS9_runner_zero_packet.md');
  const big = join(dir, 'GOAL-001_WS9_runner_big_packet.md');
  execFileSync('mkfifo', [fifo]);
  symlinkSync('/dev/zero', zero);
  writeFileSync(big, Buffer.alloc(9 * 1024 * 1024, 'x'));
  for (const json of [true, false]) {
    const list = await runCli(['packet', 'list', '--docs', root, ...(json ? ['--json'] : [])], {
      killAfterMs: 20_000,
    });
    assert.equal(list.signal, null, 'waited on the FIFO');
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(list.stderr.split('\n'), [
      `hutctl: warning: ${big}: 9.0 MiB is more than the 8.0 MiB such a file may have; skipped`,
      `hutctl: warning: ${fifo}: not a regular file; skipped`,
      `hutctl: warning: ${zero}: not a regular file; skipped`,
      '',
    ]);
    if (json) assert.deepEqual(JSON.parse(list.stdout), expected);
    else assert.equal(list.stdout.trim().split('\n').length, expected.length);
  }
});

test('packet new writes a packet that parses back, and never overwrites one', async () => {
  const root = join(tempDir(), 'repo');
  cpSync(FIXTURE, root, { recursive: true });
  const args = [
    'packet',
    'new',
    'GOAL-001/WS9',
    '--docs',
    root,
    '--role',
    'runner',
    '--title',
    'Power Cycle Packet',
    '--slug',
    'power_cycle',
    '--goal-text',
    'implement POWER-CTL-001',
    '--task',
    'run `hutctl power cycle hut-01`',
    '--task',
    'commit the evidence',
    '--thread-ref',
    'WS9-POWER-20261124A',
  ];
  const made = await runCli([...args, '--json']);
  assert.equal(made.code, 0, made.stderr);
  const path = join(
    root,
    'documentation/short-term/coordination/delegations/GOAL-001_WS9_runner_power_cycle_packet.md',
  );
  const written = JSON.parse(made.stdout);
  assert.equal(written.path, path);
  assert.equal(written.thread_ref, 'WS9-POWER-20261124A');
  const text = readFileSync(path, 'utf8');
  assert.deepEqual(parsePacket('x', text), {
    file: 'x',
    goal: 'GOAL-001',
    ws: 'WS9',
    title: 'Power Cycle Packet',
    target: 'runner:codex',
    thread_ref: 'WS9-POWER-20261124A',
    blocker: false,
  });
  assert.match(text, /## Tasks\n\n1\. run `hutctl power cycle hut-01`\n2\. commit the evidence\n/);
  assert.match(text, /## Report Back \(to arch\)/);
  const again = await runCli(args);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists/);
});

test('role init scaffolds a role repository whose documents hutctl can read', async () => {
  const dir = join(tempDir(), 'runner-agent');
  const made = await runCli(['role', 'init', 'runner', dir, '--json']);
  assert.equal(made.code, 0, made.stderr);
  assert.ok(JSON.parse(made.stdout).files.includes('AGENTS.md'), made.stdout);
  assert.match(
    readFileSync(join(dir, 'AGENTS.md'), 'utf8'),
    /## Startup read order[\s\S]*## Role boundaries[\s\S]*## Discovery-first checks/,
  );
  assert.deepEqual(
    parseHandoffLog(
      readFileSync(join(dir, 'documentation/coordination/handoff_log.md'), 'utf8'),
      'log',
    ),
    [],
  );
  assert.equal(
    (await runCli(['role', 'init', 'runner', dir])).code,
    2,
    'an existing repository is not overwritten',
  );
  // The document commands read the role repository's layout without flags, from inside it.
  const added = await runCli(
    [
      'handoff',
      'add',
      '--agent',
      'runner:codex',
      '--goal',
      'GOAL-001/WS5',
      '--context',
      'runner-live',
      '--action',
      'execute',
      '--operator-required',
      'no',
      '--summary',
      'ssh reachability checked',
      '--executor',
      'ssh_direct',
      '--next',
      'report to arch',
      '--json',
    ],
    { cwd: join(dir, 'documentation') },
  );
  assert.equal(added.code, 0, added.stderr);
  const entries = parseHandoffLog(
    readFileSync(join(dir, 'documentation/coordination/handoff_log.md'), 'utf8'),
    'log',
  );
  assert.equal(entries.length, 1);
  assert.match(entries[0]!.summary, /ssh reachability checked/);
  const listed = await runCli(['handoff', 'list', '--json'], { cwd: dir });
  assert.equal(JSON.parse(listed.stdout).length, 1, listed.stderr);
  const board = await runCli(['board', 'show', '--json'], { cwd: dir });
  assert.equal(board.code, 0, board.stderr);
  const fresh = join(tempDir(), 'fresh');
  assert.equal((await runCli(['role', 'init', 'infra', fresh])).code, 0);
  const clean = await runCli(['lint', 'docs'], { cwd: fresh });
  assert.equal(clean.stdout, '0 finding(s) (baseline 0)\n', 'a new role repository lints clean');
  const lint = await runCli(['lint', 'docs', '--json'], { cwd: dir });
  assert.notEqual(lint.code, 2, lint.stderr);
  assert.ok(
    JSON.parse(lint.stdout).findings.every((f: { file: string }) =>
      f.file.startsWith('documentation/coordination/'),
    ),
    lint.stdout,
  );
  assert.equal((await runCli(['role', 'init', 'arch', join(tempDir(), 'x')])).code, 2);
});

test('creds check: modes and required variables by name, never a value', async () => {
  const home = tempDir();
  const dir = join(home, '.config/codex/credentials/gitlab/git.example.invalid');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const secret = 'glpat-SECRET-never-printed';
  writeFileSync(
    join(dir, 'runner.env'),
    `GITLAB_HOST=git.example.invalid\nGITLAB_USER=oauth2\nGITLAB_PAT=${secret}\nGITLAB_PASSWORD=hunter2\n`,
    { mode: 0o644 },
  );
  writeFileSync(join(dir, 'infra.env'), 'GITLAB_HOST=git.example.invalid\nGITLAB_USER=\n', {
    mode: 0o600,
  });
  const env = { HOME: home, XDG_CONFIG_HOME: '' };
  const bad = await runCli(['creds', 'check', '--json'], { env });
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout.includes(secret) || bad.stdout.includes('hunter2'), false);
  const checks = JSON.parse(bad.stdout).checks as Array<{
    subject: string;
    ok: boolean;
    state: string;
  }>;
  const state = (s: string) => checks.find((c) => c.subject.endsWith(s))!;
  assert.equal(state('git.example.invalid').state, 'mode 755 (expected 700)');
  assert.equal(state('runner.env').state, 'mode 644 (expected 600)');
  assert.equal(state('infra.env GITLAB_USER').state, 'empty');
  assert.equal(state('infra.env GITLAB_PAT').state, 'missing');
  assert.match(state('runner.env GITLAB_PASSWORD').state, /bootstrap only/);
  chmodSync(dir, 0o700);
  chmodSync(join(dir, 'runner.env'), 0o600);
  for (const role of ['codex', 'arch'])
    assert.match(state(`${role}.env`).state, /^missing \(each role host needs only its own/);
  assert.equal(state('codex.env').ok, false);
  const good = await runCli(['creds', 'check', '--role', 'runner'], { env });
  assert.equal(good.code, 0, good.stdout);
  const missing = await runCli(['creds', 'check', '--role', 'arch', '--json'], { env });
  assert.equal(missing.code, 1);
  assert.equal(
    JSON.parse(missing.stdout).checks.find((c: { subject: string }) =>
      c.subject.endsWith('arch.env'),
    ).state,
    'missing',
  );
});

test('creds check reports a role file that is a FIFO, a device or huge as unreadable, without waiting on it', async () => {
  const home = tempDir();
  const dir = join(home, '.config/codex/credentials/gitlab/git.example.invalid');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const cases: Array<[string, (file: string) => void, string]> = [
    ['runner', (file) => execFileSync('mkfifo', ['-m', '600', file]), 'not a regular file'],
    ['infra', (file) => symlinkSync('/dev/zero', file), 'not a regular file'],
    [
      'arch',
      (file) => writeFileSync(file, Buffer.alloc(128 * 1024, 'x'), { mode: 0o600 }),
      '128.0 KiB is more than the 64.0 KiB such a file may have',
    ],
  ];
  for (const [role, make] of cases) make(join(dir, `${role}.env`));
  const env = { HOME: home, XDG_CONFIG_HOME: '' };
  for (const [role, , reason] of cases) {
    const result = await runCli(['creds', 'check', '--role', role, '--json'], {
      env,
      killAfterMs: 20_000,
    });
    assert.equal(result.signal, null, `${role}.env: waited on it`);
    assert.equal(result.code, 1, result.stderr);
    const checks = JSON.parse(result.stdout).checks as Array<{ subject: string; state: string }>;
    assert.deepEqual(
      checks
        .filter((c) => c.subject.includes(`${role}.env`))
        .map((c) => c.state)
        .slice(1),
      [`cannot read: ${reason}`],
      `${role}.env`,
    );
  }
});

test('creds check reports a role file or host directory that is a loop of links as unreadable, not a crash', async () => {
  const home = tempDir();
  const root = join(home, 'config/codex/credentials/gitlab');
  const dir = join(root, 'git.example.invalid');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = join(dir, 'runner.env');
  symlinkSync(file, file);
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, 'config') };
  const loop = 'cannot read: too many levels of symbolic links (a loop)';
  const result = await runCli(['creds', 'check', '--role', 'runner', '--json'], { env });
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.stderr, '');
  assert.deepEqual(JSON.parse(result.stdout).checks, [
    { subject: dir, ok: true, state: 'mode 700' },
    { subject: file, ok: false, state: loop },
  ]);
  const text = await runCli(['creds', 'check', '--role', 'runner'], { env });
  assert.equal(text.code, 1, text.stderr);
  assert.match(text.stdout, new RegExp(`FAIL.*${file}.*\\(a loop\\)`));
  // A host directory that is one: named too, and the real host still checked.
  const host = join(root, 'git2.example.invalid');
  symlinkSync(host, host);
  const both = await runCli(['creds', 'check', '--role', 'runner', '--json'], { env });
  assert.equal(both.code, 1, both.stderr);
  const checks = JSON.parse(both.stdout).checks as Array<{ subject: string; state: string }>;
  assert.deepEqual(
    checks.filter((c) => c.state === loop).map((c) => c.subject),
    [host, file],
  );
});

test('a coordination directory this user may not enter is permission denied, naming it, not "no documents here"', async () => {
  const dir = join(tempDir(), 'runner-agent');
  assert.equal((await runCli(['role', 'init', 'runner', dir])).code, 0);
  // nobody reaches the repository and documentation/, but not documentation/coordination/.
  for (let d = join(dir, 'documentation'); d !== '/'; d = dirname(d)) chmodSync(d, 0o755);
  const coordination = join(dir, 'documentation/coordination');
  chmodSync(coordination, 0o700);
  const expected = `hutctl: ${coordination}: permission denied\n  run as a user who may read it (its owner, or one in its group)\n`;
  for (const args of [
    ['handoff', 'list'],
    ['board', 'show'],
    ['lint', 'docs'],
    ['ticket', 'list'],
  ]) {
    for (const where of [{ cwd: dir }, { flag: ['--docs', dir] }]) {
      const result = await runCli([...args, ...(where.flag ?? [])], {
        cwd: where.cwd ?? '/',
        asUser: 'nobody',
        env: { HOME: '/nonexistent', XDG_CACHE_HOME: '/nonexistent' },
      });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr, expected, args.join(' '));
    }
  }
});

test('role init into an empty path and creds check --role outside the contract are bad input', async () => {
  const empty = await runCli(['role', 'init', 'runner', '']);
  assert.equal(empty.code, 2);
  assert.equal(empty.stderr, 'hutctl: role init: the directory may not be empty\n');
  const outside = await runCli(['creds', 'check', '--role', '../../../../etc/passwd']);
  assert.equal(outside.code, 2);
  assert.match(
    outside.stderr,
    /^hutctl: --role \.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd: expected codex, arch, infra or runner\n/,
  );
});
