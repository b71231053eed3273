/** `hutctl job run` end to end, one suite run against the local and the SSH transport. */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reportSchema } from '../../src/contract/index.ts';
import {
  finished,
  invocation,
  processesMatching,
  runCli,
  startCli,
  waitFor,
  workspace,
} from '../support/cli.ts';
import { transportTargets } from '../support/sshd.ts';

const targets = transportTargets();
// Locally twice: with the keeper (the default) and without it (flock(1) and the step wrapper).
const TRANSPORTS = {
  local: targets.local,
  'local without the keeper': targets.local,
  ssh: targets.ssh,
};

function evidence(dir: string): { log: string; report: Record<string, unknown>; names: string[] } {
  const names = readdirSync(join(dir, 'evidence')).sort();
  const json = names.find((n) => n.endsWith('.json'))!;
  const log = names.find((n) => n.endsWith('.log'))!;
  return {
    names,
    log: readFileSync(join(dir, 'evidence', log), 'utf8'),
    report: JSON.parse(readFileSync(join(dir, 'evidence', json), 'utf8')),
  };
}

function jobFile(dir: string, fields: Record<string, unknown>): string {
  const path = join(dir, 'job.json');
  writeFileSync(path, invocation(fields));
  return path;
}

/** A number nobody else puts on a command line, to find our processes again. */
const marker = () => `31${Math.floor(Math.random() * 1e6)}`;

for (const [kind, targetYaml] of Object.entries(TRANSPORTS)) {
  describe(`job run over ${kind}`, () => {
    if (kind.includes('without the keeper')) {
      before(() => {
        process.env.HUTCTL_KEEPER = 'off';
      });
      after(() => {
        delete process.env.HUTCTL_KEEPER;
      });
    }
    test('runs every step in order and writes a valid report and the log', async () => {
      const dir = workspace(targetYaml());
      const file = jobFile(dir, {
        job_id: 'GOAL-001-WS2-0001',
        command: ['echo first', 'echo "second $((1+1))"', 'uname -n'],
        commit_sha: 'abc1234',
      });
      const result = await runCli(['job', 'run', file], { cwd: dir });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /first\nsecond 2\n/);
      const { report, log, names } = evidence(dir);
      assert.match(names[0]!, /^runner_GOAL-001-WS2-0001_\d{8}_\d{6}_utc\.json$/);
      assert.equal(names.length, 2, 'no temp or running files are left');
      assert.ok(reportSchema.safeParse(report).success);
      assert.equal(report.status, 'success');
      assert.equal(report.exit_code, 0);
      assert.equal(report.agent_role, 'runner');
      assert.equal(report.commit_sha, 'abc1234');
      assert.equal((report.executor as { transport: string }).transport, kind.split(' ')[0]);
      assert.match(log, /first\n[\s\S]*second 2\n/);
      assert.deepEqual(
        (report.artifact_paths as string[]).map((p) => p.endsWith('.log')),
        [true],
      );
    });

    test('a failing step stops the job: failed, its exit code, later steps not run', async () => {
      const dir = workspace(targetYaml());
      const file = jobFile(dir, {
        command: ['true', 'echo partial > out.txt; exit 3', 'echo never'],
        expected_artifacts: ['out.txt', 'missing.txt'],
        workdir: dir,
      });
      const result = await runCli(['job', 'run', '--json', file], { cwd: dir });
      assert.equal(result.code, 1);
      const report = JSON.parse(result.stdout);
      assert.equal(report.status, 'failed');
      assert.equal(report.exit_code, 3);
      assert.equal(report.steps.length, 2);
      assert.match(report.human_summary, /step 2\/3 .* exited 3 .*1 later step\(s\) not run/);
      assert.ok(report.artifact_paths.includes('out.txt'), 'partial outputs are listed');
      assert.ok(!report.artifact_paths.includes('missing.txt'));
      assert.doesNotMatch(evidence(dir).log, /never/);
    });

    test('a timeout ends the whole process tree on the target', async () => {
      const dir = workspace(targetYaml());
      const m = marker();
      const file = jobFile(dir, {
        timeout_sec: 1,
        command: [`sleep ${m} & sh -c 'sleep ${m}1'; wait`],
      });
      const result = await runCli(['job', 'run', '--json', file], { cwd: dir });
      assert.equal(result.code, 124, result.stderr);
      const report = JSON.parse(result.stdout);
      assert.equal(report.status, 'timeout');
      assert.equal(report.exit_code, 124);
      await waitFor(
        async () => (await processesMatching(`sleep ${m}`)) === 0,
        'no sleep left behind',
        3000,
      );
    });

    test('cancel --now interrupts the running step; cancelled, exit 130', async () => {
      const dir = workspace(targetYaml());
      const m = marker();
      const file = jobFile(dir, { job_id: 'cancel-now', command: [`sleep ${m}`, 'echo never'] });
      const child = startCli(['job', 'run', file], { cwd: dir });
      const done = finished(child);
      await waitFor(async () => (await processesMatching(`sleep ${m}`)) > 0, 'the step to start');
      const cancel = await runCli(['job', 'cancel', 'cancel-now', '--now'], { cwd: dir });
      assert.equal(cancel.code, 0, cancel.stderr);
      const result = await done;
      assert.equal(result.code, 130, result.stderr);
      assert.equal(evidence(dir).report.status, 'cancelled');
      assert.equal(await processesMatching(`sleep ${m}`), 0);
      assert.equal(
        existsSync(join(dir, 'cancel', 'codex-cancel-cancel-now.flag')),
        false,
        'the flag is consumed',
      );
    });

    test('Ctrl-C (SIGINT to the whole foreground group) cancels in order: report, lock freed, no step left', async () => {
      const dir = workspace(targetYaml());
      const m = marker();
      const file = jobFile(dir, { job_id: 'ctrl-c', lock_key: 'shared', command: [`sleep ${m}`] });
      const child = startCli(['job', 'run', file], { cwd: dir, ownGroup: true });
      const done = finished(child);
      await waitFor(async () => (await processesMatching(`sleep ${m}`)) > 0, 'the step to start');
      process.kill(-child.pid!, 'SIGINT');
      const result = await done;
      assert.equal(result.code, 130, result.stderr);
      assert.equal(evidence(dir).report.status, 'cancelled');
      assert.equal(await processesMatching(`sleep ${m}`), 0);
      const next = await runCli(['job', 'run', '--no-wait', jobFile(dir, { lock_key: 'shared' })], {
        cwd: dir,
      });
      assert.equal(next.code, 0, next.stderr);
    });

    test('SIGKILL of the executor frees the lock at once, keeps the log, leaves no step running', async () => {
      const dir = workspace(targetYaml());
      const m = marker();
      const file = jobFile(dir, {
        job_id: 'crash',
        lock_key: 'shared',
        command: [`echo started; sleep ${m}`],
      });
      const child = startCli(['job', 'run', file], { cwd: dir });
      const done = finished(child);
      await waitFor(async () => (await processesMatching(`sleep ${m}`)) > 0, 'the step to start');
      child.kill('SIGKILL');
      await done;
      const next = await runCli(
        ['job', 'run', '--no-wait', '--json', jobFile(dir, { lock_key: 'shared' })],
        { cwd: dir },
      );
      assert.equal(next.code, 0, `lock still held: ${next.stderr}`);
      await waitFor(
        async () => (await processesMatching(`sleep ${m}`)) === 0,
        'the step to be ended',
        5000,
      );
      const logs = readdirSync(join(dir, 'evidence')).filter(
        (n) => n.includes('_crash_') && n.endsWith('.log'),
      );
      assert.equal(logs.length, 1);
      assert.match(readFileSync(join(dir, 'evidence', logs[0]!), 'utf8'), /started/);
      const status = await runCli(['job', 'status', 'crash', '--json'], { cwd: dir });
      assert.equal(JSON.parse(status.stdout).status, 'interrupted');
    });
  });
}

describe('job run rules', () => {
  test('jobs on one role and lock key never overlap; --no-wait names the holder', async () => {
    const dir = workspace(TRANSPORTS.local());
    const holder = startCli(
      ['job', 'run', jobFile(dir, { job_id: 'holder', command: ['sleep 2'] })],
      { cwd: dir },
    );
    const held = finished(holder);
    await waitFor(
      () => existsSync(join(dir, 'locks', 'codex-runner-test.lock.owner')),
      'the holder to take the lock',
    );
    const busy = await runCli(['job', 'run', '--no-wait', jobFile(dir, { job_id: 'second' })], {
      cwd: dir,
    });
    assert.equal(busy.code, 75);
    assert.match(busy.stderr, /held by job holder \(pid \d+ on .+, since .+\)/);
    assert.equal(
      readdirSync(join(dir, 'evidence')).some((n) => n.includes('second')),
      false,
      'a refused job writes nothing',
    );
    const other = await runCli(
      ['job', 'run', '--no-wait', jobFile(dir, { job_id: 'other-key', lock_key: 'other' })],
      { cwd: dir },
    );
    assert.equal(other.code, 0, 'a different lock key runs alongside');
    const waiter = await runCli(['job', 'run', jobFile(dir, { job_id: 'waiter' })], { cwd: dir });
    assert.equal(waiter.code, 0);
    assert.match(waiter.stderr, /waiting for lock .* held by job holder/);
    assert.equal((await held).code, 0);
  });

  test('cancel between steps stops before the next step', async () => {
    const dir = workspace(TRANSPORTS.local());
    const file = jobFile(dir, {
      job_id: 'between',
      command: ['sleep 1', `touch ${join(dir, 'ran')}`],
    });
    const child = startCli(['job', 'run', file], { cwd: dir });
    const done = finished(child);
    await waitFor(
      () => existsSync(join(dir, 'locks', 'codex-runner-test.lock.owner')),
      'the job to start',
    );
    await runCli(['job', 'cancel', 'between'], { cwd: dir });
    const result = await done;
    assert.equal(result.code, 130);
    assert.equal(existsSync(join(dir, 'ran')), false);
    const report = evidence(dir).report;
    assert.equal(report.status, 'cancelled');
    assert.match(String(report.human_summary), /Cancelled before step 2\/2/);
  });

  test('cancel of a job not started yet stops it before its first step; of an ended job, refused', async () => {
    const dir = workspace(TRANSPORTS.local());
    const early = await runCli(['job', 'cancel', 'later', '--json'], { cwd: dir });
    assert.equal(early.code, 0, early.stderr);
    assert.equal(JSON.parse(early.stdout).state, 'not_started');
    const run = await runCli(['job', 'run', jobFile(dir, { job_id: 'later', command: ['true'] })], {
      cwd: dir,
    });
    assert.equal(run.code, 130, run.stderr);
    assert.equal(evidence(dir).report.status, 'cancelled');

    const again = await runCli(['job', 'cancel', 'later'], { cwd: dir });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /^hutctl: job later has already ended: .*\.json\n/);
    assert.equal(existsSync(join(dir, 'cancel', 'codex-cancel-later.flag')), false);
  });

  test('secrets named in the config never reach the log or the report', async () => {
    const secret = 'hunter2-very-secret-token';
    const dir = workspace(TRANSPORTS.local(), 'secrets:\n  env: [HUT_TEST_TOKEN]');
    const file = jobFile(dir, {
      command: ['echo "token is $HUT_TEST_TOKEN"', `test "$HUT_TEST_TOKEN" = ${secret} && exit 4`],
    });
    const result = await runCli(['job', 'run', '--quiet', file], {
      cwd: dir,
      env: { HUT_TEST_TOKEN: secret },
    });
    assert.equal(result.code, 1);
    const { log, report } = evidence(dir);
    const all = log + JSON.stringify(report);
    assert.equal(all.includes(secret), false);
    assert.match(log, /token is \[REDACTED\]/);
  });

  test('bad input gets one line, no stack trace, and changes nothing', async () => {
    const dir = workspace(TRANSPORTS.local());
    const cases: Array<[string, RegExp]> = [
      ['{not json', /malformed JSON/],
      [
        invocation({ timeout_sec: 14401 }),
        /timeout_sec: 14401 s is above the runner maximum of 14400 s/,
      ],
      [invocation({ target_role: 'arch' }), /\$\.target_role: /],
      [invocation({ job_id: '../escape' }), /\$\.job_id: .*names files/],
      [invocation({ lock_key: 'a/b' }), /\$\.lock_key: /],
      [invocation({ job_id: 'nul\u0000byte' }), /\$\.job_id: /],
      [invocation({ command: ['ok', 42] }), /\$\.command\[1\]: .*expected string/],
      [invocation({ timout_sec: 5 }), /\$\.timout_sec: unknown field/],
    ];
    for (const [text, expected] of cases) {
      const result = await runCli(['job', 'run', '-'], { cwd: dir, input: text });
      assert.equal(result.code, 2, `${text}: ${result.stderr}`);
      assert.match(result.stderr, expected);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(existsSync(join(dir, 'evidence')), false);
    assert.equal(existsSync(join(dir, 'locks')), false);

    // A lock directory that cannot be made: what, where, what to do; no job started.
    writeFileSync(join(dir, 'locks'), 'a file where the directory should be');
    const result = await runCli(['job', 'run', '-', '--json'], { cwd: dir, input: invocation({}) });
    assert.equal(result.code, 1, result.stderr);
    assert.equal(
      result.stderr,
      `hutctl: cannot create directory ${join(dir, 'locks')}: a file of that name is in the way\n` +
        '  check the paths in hutctl.yaml, and that this user may write there\n',
    );
    assert.equal(JSON.parse(result.stdout).error.code, 'IO');
    assert.equal(existsSync(join(dir, 'evidence')), false);
  });

  test('a job_id that already has a report is refused unless --replace', async () => {
    const dir = workspace(TRANSPORTS.local());
    const file = jobFile(dir, { job_id: 'again' });
    assert.equal((await runCli(['job', 'run', file], { cwd: dir })).code, 0);
    const before = readdirSync(join(dir, 'evidence'));
    const refused = await runCli(['job', 'run', file], { cwd: dir });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /job again already has a report/);
    assert.deepEqual(readdirSync(join(dir, 'evidence')), before);
    await new Promise((r) => setTimeout(r, 1100)); // a new second, so a new evidence name
    assert.equal((await runCli(['job', 'run', '--replace', file], { cwd: dir })).code, 0);
    assert.equal(readdirSync(join(dir, 'evidence')).length, 4);
  });

  test('a role with no target is an error that says how to configure one, never a local run', async () => {
    const dir = workspace();
    const result = await runCli(['job', 'run', '-'], {
      cwd: dir,
      input: invocation({ target_role: 'infra' }),
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no target is configured for role infra/);
    assert.match(result.stderr, /--target local/);
    const local = await runCli(['job', 'run', '--target', 'local', '-'], {
      cwd: dir,
      input: invocation({ target_role: 'infra' }),
    });
    assert.equal(local.code, 0, local.stderr);
  });

  test('status and logs read the evidence back', async () => {
    const dir = workspace(TRANSPORTS.local());
    await runCli(
      ['job', 'run', jobFile(dir, { job_id: 'readback', command: ['echo hello-evidence'] })],
      { cwd: dir },
    );
    const status = await runCli(['job', 'status', 'readback'], { cwd: dir });
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^readback: success \(exit 0\)/);
    const logs = await runCli(['job', 'logs', 'readback'], { cwd: dir });
    assert.match(logs.stdout, /hello-evidence/);
    const missing = await runCli(['job', 'status', 'nope'], { cwd: dir });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no evidence for job nope/);
  });
});
