/**
 * `hutctl codex status|login` and delegate's login check, with the real pinned codex in a
 * loopback-only namespace: its App Server names its version and its login (account/read).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI, runCli, tempDir, workspace } from '../support/cli.ts';
import { CODEX, runnerWith, targets } from '../support/codex/runner.ts';

/** hutctl with `input` on its stdin. */
function withStdin(args: string[], input: string, cwd: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('the role’s Codex', {
  skip: existsSync(CODEX) ? false : 'the pinned codex binary is not installed (npm ci installs it)',
}, () => {
  test('status: the pinned version, and ready when its provider needs no login', async () => {
    const dir = workspace(runnerWith('local'));
    const r = await runCli(['codex', 'status', 'runner', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual(
      [s.installed, s.version, s.pinned, s.requires_openai_auth, s.account, s.ready],
      [true, '0.169.0', '0.169.0', false, null, true],
    );
    const human = await runCli(['codex', 'status', 'runner'], { cwd: dir });
    assert.equal(
      human.stdout,
      'runner: codex 0.169.0 on local, no login needed by its provider, ready\n',
    );
  });

  test('not logged in: status says what to do; delegate fails at once with that reason; an API key on stdin logs it in, never printed', async () => {
    const dir = workspace(runnerWith('local', 'openai'));
    const before = await runCli(['codex', 'status', 'runner'], { cwd: dir });
    assert.equal(before.code, 1);
    assert.match(
      before.stdout,
      /^runner: codex 0\.169\.0 on local, not logged in\n {2}codex on local is not logged in \(its provider needs an OpenAI login\)\n {2}do: hutctl codex login runner /,
    );
    const delegated = await runCli(
      ['delegate', 'runner', '--prompt', 'hi', '--timeout', '600', '--json'],
      { cwd: dir },
    );
    assert.equal(delegated.code, 1);
    const report = JSON.parse(delegated.stdout);
    assert.equal(report.status, 'failed');
    assert.match(
      report.human_summary,
      /^Delegation to runner failed: codex on local is not logged in .*hutctl codex login runner$/,
    );
    const key = 'sk-proj-hutctlTEST0123456789abcdefSECRET';
    const login = await withStdin(['codex', 'login', 'runner', '--with-api-key'], `${key}\n`, dir);
    assert.equal(login.code, 0, login.stderr);
    assert.ok(!(login.stdout + login.stderr).includes(key), 'the key is never printed');
    const after = JSON.parse(
      (await runCli(['codex', 'status', 'runner', '--json'], { cwd: dir })).stdout,
    );
    assert.deepEqual([after.account, after.ready], ['apiKey', true]);
    const empty = await withStdin(['codex', 'login', 'runner', '--with-api-key'], '\n', dir);
    assert.equal(empty.code, 2);
    assert.equal(empty.stderr, 'hutctl: --with-api-key: stdin held no key\n');
  });

  test('no codex on the host: status says so and how to install the pinned one', async () => {
    const dir = workspace(
      `${targets.local()}\n    codex:\n      command: [/nonexistent/codex, app-server]`,
    );
    const r = await runCli(['codex', 'status', 'runner', '--json'], { cwd: dir });
    assert.equal(r.code, 1);
    const s = JSON.parse(r.stdout);
    assert.equal(s.installed, false);
    assert.match(
      s.problem,
      /^codex is not installed on local: '\/nonexistent\/codex' was not found/,
    );
    assert.match(s.action, /npm install -g @openai\/codex@0\.169\.0/);
  });

  test('device login with the team documents: the operator gate is on record before the wait; a login that cannot finish is one line', async () => {
    const { cpSync } = await import('node:fs');
    const repo = join(tempDir(), 'repo');
    cpSync(fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url)), repo, {
      recursive: true,
    });
    const dir = workspace(runnerWith('local', 'openai'));
    // No network in the namespace: codex cannot reach the login service and says so.
    const r = await runCli(['codex', 'login', 'runner', '--docs', repo], { cwd: dir });
    const log = readFileSync(
      join(repo, 'documentation/short-term/coordination/handoff_log.md'),
      'utf8',
    );
    const entry = log.split('\n').find((l) => l.includes('codex device login'))!;
    assert.match(
      entry,
      /\| arch:codex \| GOAL-001\/WS6 \| runner-live \| execute \| yes \| executor=ssh_direct codex device login on local for runner: waiting for the operator/,
    );
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      /^hutctl: operator gate recorded in .*handoff_log\.md\nhutctl: codex login on local exited \d+: .+\n/,
    );
  });
});

test("a packet whose thread_ref= is not a thread's name is refused before anything runs", async () => {
  const { writeFileSync } = await import('node:fs');
  const dir = workspace(
    `${targets.local()}\n    codex:\n      command: [/nonexistent/codex, app-server]`,
  );
  for (const value of ['../../x', '$(touch /tmp/pwned)']) {
    const file = join(dir, 'GOAL-001_WS8_runner_x_packet.md');
    writeFileSync(file, `# GOAL-001 / WS8 X Packet (runner:codex)\n\nthread_ref=${value}\n\nask\n`);
    const r = await runCli(['delegate', 'runner', '--packet', file, '--timeout', '10'], {
      cwd: dir,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /thread_ref=/);
    assert.equal(r.stdout, '');
  }
});

test('a packet with two thread_ref= lines: refused naming both when they differ, one name when they agree', async () => {
  const { existsSync, writeFileSync } = await import('node:fs');
  const dir = workspace(
    `${targets.local()}\n    codex:\n      command: [/nonexistent/codex, app-server]`,
  );
  const file = join(dir, 'GOAL-001_WS8_runner_x_packet.md');
  const packet = (second: string) =>
    writeFileSync(
      file,
      `# GOAL-001 / WS8 X Packet (runner:codex)\n\nthread_ref=WS8-A-20260213A\n\nask\n\nthread_ref=${second}\n`,
    );
  packet('WS8-B-20260213A');
  const refused = await runCli(['delegate', 'runner', '--packet', file, '--timeout', '10'], {
    cwd: dir,
  });
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(
    refused.stderr.split('\n')[0],
    `hutctl: ${file}: two thread_ref= lines name different threads: "WS8-A-20260213A" (line 3) and "WS8-B-20260213A" (line 7); nothing was run`,
  );
  assert.equal(refused.stdout, '');
  assert.ok(!existsSync(join(dir, 'evidence')), 'no evidence: nothing ran');
  // The same name twice is one name: the delegation runs (and fails here: no codex).
  packet('WS8-A-20260213A');
  const same = await runCli(['delegate', 'runner', '--packet', file, '--timeout', '10', '--json'], {
    cwd: dir,
  });
  assert.equal(same.code, 1, same.stderr);
  assert.match(JSON.parse(same.stdout).human_summary, /codex is not installed/);
});

test('a workdir that does not exist is reported as that, with the path and what to do, not as a missing codex', async () => {
  const missing = join(tempDir(), 'no-such-workdir');
  const codex = `    workdir: ${missing}\n    codex:\n      command: [${process.execPath}, app-server]`;
  const dir = workspace(`${targets.local()}\n${codex}`);
  const status = await runCli(['codex', 'status', 'runner', '--json'], { cwd: dir });
  assert.equal(status.code, 1, status.stderr);
  const s = JSON.parse(status.stdout);
  assert.deepEqual(
    [s.ready, s.problem, s.action],
    [
      false,
      `the workdir ${missing} of target runner does not exist on local`,
      `create it there (mkdir -p ${missing}) or set targets.runner.workdir in hutctl.yaml`,
    ],
  );
  const human = await runCli(['codex', 'status', 'runner'], { cwd: dir });
  assert.equal(human.stdout.split('\n')[0], 'runner: codex on local not checked');
  const delegated = await runCli(
    ['delegate', 'runner', '--prompt', 'hi', '--timeout', '10', '--json'],
    { cwd: dir },
  );
  assert.equal(delegated.code, 1, delegated.stderr);
  assert.equal(
    JSON.parse(delegated.stdout).human_summary,
    `Delegation to runner failed: the workdir ${missing} of target runner does not exist on local; create it there (mkdir -p ${missing}) or set targets.runner.workdir in hutctl.yaml`,
  );
  // Over SSH the remote `cd` says so; the status names the host it said it for.
  const remote = workspace(targets.sshd().targetYaml('runner', codex));
  const over = await runCli(['codex', 'status', 'runner', '--json'], { cwd: remote });
  assert.equal(over.code, 1, over.stderr);
  assert.match(
    JSON.parse(over.stdout).problem,
    new RegExp(`^the workdir ${missing} of target runner does not exist on \\S+$`),
  );
});

test('a codex command that exits at once is a codex that is not ready (exit 1), and a failed delegation that says it exited before answering', async () => {
  const dir = workspace(`${targets.local()}\n    codex:\n      command: [/bin/true]`);
  const status = await runCli(['codex', 'status', 'runner', '--json'], { cwd: dir });
  assert.equal(status.code, 1, status.stderr);
  const s = JSON.parse(status.stdout);
  assert.deepEqual(
    [s.ready, s.installed, s.problem],
    [
      false,
      false,
      "codex app-server '/bin/true' on local exited with status 0 before answering: no output on stderr",
    ],
  );
  assert.match(s.action, /targets\.runner\.codex\.command/);
  const delegated = await runCli(
    ['delegate', 'runner', '--prompt', 'hi', '--timeout', '10', '--json'],
    { cwd: dir },
  );
  assert.equal(delegated.code, 1, delegated.stderr);
  const report = JSON.parse(delegated.stdout);
  assert.deepEqual(
    [report.status, report.exit_code, report.human_summary],
    [
      'failed',
      1,
      'Delegation to runner failed: codex app-server exited with status 0 before answering: no output on stderr',
    ],
  );
});

test('status starts codex once when its files are the ones it last asked: the version is remembered until they change', async () => {
  const { writeFileSync } = await import('node:fs');
  const bin = tempDir();
  const calls = join(bin, 'calls.log');
  const codex = join(bin, 'codex');
  // A codex that says what it was asked; `version` is its `--version`.
  const install = (version: string) =>
    writeFileSync(
      codex,
      `#!/bin/sh\necho "$*" >> ${calls}\ncase "$1" in\n  --version) echo "codex-cli ${version}" ;;\n  login) echo "Logged in using an API key - sk-proj-***ABCDE" ;;\n  *) exit 1 ;;\nesac\n`,
      { mode: 0o755 },
    );
  const asked = () => readFileSync(calls, 'utf8').trim().split('\n');
  install('0.169.0');
  const yaml = `    codex:\n      command: [${codex}, app-server]`;
  for (const dir of [
    workspace(`${targets.local()}\n${yaml}`),
    workspace(targets.sshd().targetYaml('runner', yaml)),
  ]) {
    writeFileSync(calls, '');
    const first = await runCli(['codex', 'status', 'runner'], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^runner: codex 0\.169\.0 on \S+, logged in \(apiKey\), ready\n$/);
    assert.deepEqual(asked(), ['login status', '--version']);
    const second = await runCli(['codex', 'status', 'runner'], { cwd: dir });
    assert.equal(second.stdout, first.stdout, 'the same answer');
    assert.deepEqual(asked(), ['login status', '--version', 'login status'], 'codex started once');
    // Another codex in the same file (same size): its change time tells, and it is asked again.
    install('0.170.0');
    const upgraded = await runCli(['codex', 'status', 'runner', '--json'], { cwd: dir });
    assert.equal(upgraded.code, 1, upgraded.stderr);
    assert.deepEqual(
      [JSON.parse(upgraded.stdout).version, asked().slice(3)],
      ['0.170.0', ['login status', '--version']],
    );
    install('0.169.0');
  }
});
