/**
 * Values never reach a shell twice: hostile working directories (from --workdir, an invocation
 * and .lxd.env) and hostile arguments, over SSH and locally, never run a command, and arrive
 * byte for byte; a step's text is never in any process's argv; NUL bytes are refused.
 */
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { readLxdEnv } from '../../src/config/index.ts';
import { SshTransport } from '../../src/transport/index.ts';
import {
  finished,
  invocation,
  processesMatching,
  runCli,
  startCli,
  waitFor,
  workspace,
} from '../support/cli.ts';
import { hostileString, RUNS } from '../support/hostile.ts';
import { transportTargets } from '../support/sshd.ts';

const targets = transportTargets();
const marker = join('/tmp', `hutctl-pwned-${process.pid}`);

/** Values that would run `touch <marker>` if any shell evaluated them a second time. */
const injections = fc.oneof(
  fc.constantFrom(
    `/x$(touch ${marker})`,
    `/x\`touch ${marker}\``,
    `/x'; touch ${marker}; '`,
    `/x"; touch ${marker}; "`,
    `/x\\"; touch ${marker}; \\"`,
    `/x$(touch ${marker})"'\``,
    `/x\n touch ${marker}`,
  ),
  hostileString(4).map((s) => `/x${s}$(touch ${marker})`),
);

const argvValue = hostileString(5).filter((s) => !s.includes('\0'));

for (const kind of ['local', 'ssh'] as const) {
  test(`${kind}: a hostile --workdir is one argument to cd, never a command`, async () => {
    const dir = workspace(kind === 'ssh' ? targets.ssh() : targets.local());
    const values = fc.sample(injections, { numRuns: 12, seed: 7 });
    for (const workdir of values) {
      rmSync(marker, { force: true });
      const result = await runCli(['exec', 'runner', `--workdir=${workdir}`, '--', 'pwd'], {
        cwd: dir,
      });
      assert.notEqual(result.code, 0, result.stderr);
      assert.equal(existsSync(marker), false, `ran a command from ${JSON.stringify(workdir)}`);
      assert.match(result.stderr, /workdir [\s\S]* does not exist/);
    }
  });

  test(`${kind}: an invocation's hostile workdir fails the job, runs nothing`, async () => {
    const dir = workspace(kind === 'ssh' ? targets.ssh() : targets.local());
    const values = fc.sample(injections, { numRuns: 6, seed: 11 });
    for (const [i, workdir] of values.entries()) {
      rmSync(marker, { force: true });
      const input = invocation({ job_id: `inj-${i}`, workdir, command: ['echo ran'] });
      const result = await runCli(['job', 'run', '-', '--json'], { cwd: dir, input });
      assert.equal(existsSync(marker), false, `ran a command from ${JSON.stringify(workdir)}`);
      assert.equal(result.code, 1, result.stderr);
      assert.equal(JSON.parse(result.stdout).status, 'failed');
    }
  });

  test(`${kind}: hostile arguments arrive byte for byte`, async () => {
    const dir = workspace(kind === 'ssh' ? targets.ssh() : targets.local());
    const cases = fc.sample(fc.array(argvValue, { minLength: 1, maxLength: 4 }), {
      numRuns: 15,
      seed: 5,
    });
    for (const args of cases) {
      const result = await runCli(['exec', 'runner', '--', 'printf', '%s\\001', ...args], {
        cwd: dir,
      });
      assert.equal(result.code, 0, result.stderr);
      // Node hands argv to the kernel as UTF-8: compare with what that makes of each value.
      const expected = args.map((a) => Buffer.from(a, 'utf8').toString('utf8')).join('\u0001');
      assert.equal(result.stdout, `${expected}\u0001`);
    }
  });

  test(`${kind}: a step's text is in no process's argv while it runs`, async () => {
    const dir = workspace(kind === 'ssh' ? targets.ssh() : targets.local());
    const secret = `tok${Math.floor(Math.random() * 1e9)}`;
    const child = startCli(['job', 'run', '-', '--quiet'], { cwd: dir });
    child.stdin!.end(
      invocation({ job_id: 'argv', command: [`sleep 1.5 # ${secret}`, `echo done # ${secret}`] }),
    );
    const done = finished(child);
    await waitFor(() => processesMatching('sleep 1.5').then((n) => n > 0), 'the step', 10_000);
    assert.equal(await processesMatching(secret), 0, 'the step text is visible in ps');
    assert.equal((await done).code, 0);
  });
}

test('a NUL byte in any step or field is refused by contract validate and job run alike', async () => {
  const dir = workspace(targets.local());
  for (const fields of [
    { command: ['echo a\u0000rm -rf /'] },
    { workdir: '/tmp\u0000/x' },
    { notes: 'a\u0000b' },
    { expected_artifacts: ['a\u0000b'] },
  ]) {
    const text = invocation(fields);
    const check = await runCli(['contract', 'validate', '-'], { cwd: dir, input: text });
    const run = await runCli(['job', 'run', '-'], { cwd: dir, input: text });
    assert.equal(check.code, 1, check.stdout);
    assert.match(check.stdout + check.stderr, /NUL byte/);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /NUL byte/);
  }
  assert.equal(existsSync(join(dir, 'evidence')), false);
});

test('.lxd.env: a hostile LXD_WORKDIR reaches cd as one argument over SSH', async () => {
  const sshd = targets.sshd();
  const dir = workspace();
  await fc.assert(
    fc.asyncProperty(injections, async (workdir) => {
      rmSync(marker, { force: true });
      const file = join(dir, '.lxd.env');
      writeFileSync(
        file,
        [
          'LXD_HOST=127.0.0.1',
          `LXD_SSH_USER=${sshd.user}`,
          `LXD_SSH_PORT=${sshd.port}`,
          `LXD_SSH_PRIVATE_KEY_PATH=${sshd.identityFile}`,
          `LXD_WORKDIR='${workdir.replaceAll("'", '')}'`,
          '',
        ].join('\n'),
      );
      const { target, problems } = readLxdEnv(file);
      if (!target) {
        // A value .lxd.env cannot hold (a line break) is refused as a config problem: also safe.
        assert.ok(problems.length > 0);
        return;
      }
      assert.ok(target.workdir);
      target.sshOptions = {
        UserKnownHostsFile: sshd.knownHosts,
        StrictHostKeyChecking: 'accept-new',
      };
      const transport = new SshTransport(target, {
        controlDir: join(dir, 'cm'),
        controlPersistSec: 0,
        connectTimeoutSec: 10,
        serverAliveIntervalSec: 15,
      });
      const child = transport.spawn(['pwd'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const result = await finished(child);
      assert.equal(existsSync(marker), false, `ran a command from ${JSON.stringify(workdir)}`);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /hutctl: workdir [\s\S]* does not exist/);
    }),
    RUNS(8),
  );
});

test('ssh: the remote lock refuses a planted symlink, and its holder record goes on release', async () => {
  const dir = workspace(targets.ssh());
  const { symlinkSync, readdirSync } = await import('node:fs');
  const target = join(dir, 'created-through-the-link');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'locks'), { recursive: true });
  symlinkSync(target, join(dir, 'locks', 'codex-runner-planted.lock'));
  const refused = await runCli(['job', 'run', '-'], {
    cwd: dir,
    input: invocation({ job_id: 'planted', lock_key: 'planted' }),
  });
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /is a symbolic link or not a plain file; refused/);
  assert.equal(existsSync(target), false, 'nothing was created through the link');
  const ran = await runCli(['job', 'run', '-'], {
    cwd: dir,
    input: invocation({ job_id: 'owner-record', lock_key: 'clean' }),
  });
  assert.equal(ran.code, 0, ran.stderr);
  assert.deepEqual(
    readdirSync(join(dir, 'locks')).filter((n) => n.startsWith('codex-runner-clean')),
    ['codex-runner-clean.lock'],
    'no .owner record and no temp file stay behind',
  );
});
