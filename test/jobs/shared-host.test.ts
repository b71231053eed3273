/**
 * Another local user on the same runner host, through the shared /tmp-style directories the
 * spec fixes (lock and cancel flags): they can neither cancel, pre-cancel nor redirect our jobs,
 * and what we keep (evidence, state) is ours unless a team group is configured.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  finished,
  invocation,
  ROOT,
  runCli,
  startCli,
  tempDir,
  workspace,
} from '../support/cli.ts';
import { assertCleanError } from '../support/hostile.ts';

const skip = !ROOT && 'needs root to act as a second user (nobody)';

/** A workspace whose lock and cancel directories are shared like /tmp (1777). */
function sharedWorkspace(paths: Record<string, string> = {}): { dir: string; shared: string } {
  const shared = join(tempDir(), 'tmp');
  mkdirSync(shared, { mode: 0o1777 });
  chmodSync(shared, 0o1777);
  chmodSync(join(shared, '..'), 0o755);
  const dir = workspace('  runner:\n    transport: local', '', undefined, {
    lock_dir: shared,
    cancel_dir: shared,
    ...paths,
  });
  return { dir, shared };
}

/** Runs a shell command as nobody. */
function asNobody(command: string): void {
  execFileSync('setpriv', [
    '--reuid=nobody',
    '--regid=nogroup',
    '--clear-groups',
    '--',
    'sh',
    '-c',
    command,
  ]);
}

async function report(dir: string, input: string) {
  const result = await runCli(['job', 'run', '-', '--json'], { cwd: dir, input });
  return { ...result, json: result.stdout ? JSON.parse(result.stdout) : null };
}

test('a cancel flag another user wrote neither cancels our running job nor pre-cancels one', {
  skip,
}, async () => {
  for (const keeper of ['on', 'off']) {
    const { dir, shared } = sharedWorkspace();
    const env = { HUTCTL_KEEPER: keeper };
    // Pre-cancel: the flag is there before the job starts.
    asNobody(`echo '{"now":true}' > ${join(shared, 'codex-cancel-pre.flag')}`);
    const pre = await runCli(['job', 'run', '-', '--json'], {
      cwd: dir,
      env,
      input: invocation({ job_id: 'pre', command: ['true', 'true'] }),
    });
    assert.equal(JSON.parse(pre.stdout).status, 'success', pre.stderr);
    // While it runs.
    const child = startCli(['job', 'run', '-', '--json'], { cwd: dir, env });
    child.stdin!.end(invocation({ job_id: 'running', command: ['sleep 1', 'true'] }));
    const done = finished(child);
    await new Promise((r) => setTimeout(r, 300));
    asNobody(`echo '{"now":true}' > ${join(shared, 'codex-cancel-running.flag')}`);
    const result = await done;
    assert.equal(JSON.parse(result.stdout).status, 'success', result.stderr);
  }
});

test('our own cancel flag still works (the control for the test above)', async () => {
  const { dir, shared } = sharedWorkspace();
  writeFileSync(join(shared, 'codex-cancel-mine.flag'), '');
  const result = await report(dir, invocation({ job_id: 'mine', command: ['true'] }));
  assert.equal(result.json.status, 'cancelled');
});

test('a symlink or FIFO planted at a lock path is refused: nothing is created through it, nothing hangs', {
  skip,
}, async () => {
  for (const keeper of ['on', 'off']) {
    const { dir, shared } = sharedWorkspace();
    const target = join(tempDir(), `created-by-root-${keeper}`);
    asNobody(`ln -s ${target} ${join(shared, 'codex-runner-test.lock')}`);
    const linked = await runCli(['job', 'run', '-'], {
      cwd: dir,
      env: { HUTCTL_KEEPER: keeper },
      input: invocation({ job_id: `linked-${keeper}` }),
    });
    assertCleanError(linked, [1]);
    assert.match(linked.stderr, /is a symbolic link, so hutctl will not open it/);
    assert.equal(existsSync(target), false, 'the symlink was followed');
    asNobody(`mkfifo ${join(shared, 'codex-runner-fifo.lock')}`);
    const fifo = await runCli(['job', 'run', '-'], {
      cwd: dir,
      env: { HUTCTL_KEEPER: keeper },
      input: invocation({ job_id: `fifo-${keeper}`, lock_key: 'fifo' }),
    });
    assertCleanError(fifo, [1]);
    assert.match(fifo.stderr, /not a regular file/);
  }
});

test('slot status never follows a planted lock symlink either', { skip }, async () => {
  const { dir, shared } = sharedWorkspace();
  const yaml = readFileSync(join(dir, 'hutctl.yaml'), 'utf8').replace(
    'paths:\n',
    `paths:\n  slot_lock_dir: ${shared}\n`,
  );
  writeFileSync(join(dir, 'hutctl.yaml'), `${yaml}slots: {hut-01: {serial: /dev/null}}\n`);
  const target = join(tempDir(), 'made-by-status');
  asNobody(`ln -s ${target} ${join(shared, 'hut-01.lock')}`);
  const result = await runCli(['slot', 'status', '--json'], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.match(JSON.parse(result.stdout)[0].lock_problem, /symbolic link/);
  assert.equal(existsSync(target), false);
});

test('evidence and state are private to their user; with paths.share_group, to the team group', async () => {
  const { dir } = sharedWorkspace();
  const result = await runCli(['job', 'run', '-'], { cwd: dir, input: invocation({}) });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(statSync(join(dir, 'evidence')).mode & 0o7777, 0o700);
  const team = sharedWorkspace({ share_group: 'nogroup' });
  const shared = await runCli(['job', 'run', '-'], { cwd: team.dir, input: invocation({}) });
  assert.equal(shared.code, 0, shared.stderr);
  const stat = statSync(join(team.dir, 'evidence'));
  assert.equal(stat.mode & 0o7777, 0o2750);
  assert.equal(stat.gid, 65534);
});

test('config check and slot doctor warn about directories other users could read or replace', async () => {
  const { dir } = sharedWorkspace();
  mkdirSync(join(dir, 'evidence'), { mode: 0o755 });
  chmodSync(join(dir, 'evidence'), 0o755);
  const open = join(tempDir(), 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const yaml = readFileSync(join(dir, 'hutctl.yaml'), 'utf8').replace(
    'paths:\n',
    `paths:\n  slot_lock_dir: ${open}\n`,
  );
  writeFileSync(join(dir, 'hutctl.yaml'), yaml);
  const check = await runCli(['config', 'check'], { cwd: dir });
  assert.equal(check.code, 0, check.stderr);
  assert.match(
    check.stderr,
    /warning: paths\.evidence_dir .* is readable by every user \(mode 755\)/,
  );
  assert.match(
    check.stderr,
    /warning: paths\.slot_lock_dir .* writable by every user without the sticky bit/,
  );
  const doctor = await runCli(['slot', 'doctor', '--json'], { cwd: dir });
  const codes = JSON.parse(doctor.stdout).findings.map((f: { code: string }) => f.code);
  assert.ok(codes.includes('dir_mode'), doctor.stdout);
});

test("another user's `job cancel` is told it cannot see the job, and the job runs on", {
  skip,
}, async () => {
  const { dir } = sharedWorkspace();
  chmodSync(dir, 0o755);
  const child = startCli(['job', 'run', '-', '--json'], { cwd: dir });
  child.stdin!.end(invocation({ job_id: 'theirs', command: ['sleep 1'] }));
  const done = finished(child);
  await new Promise((r) => setTimeout(r, 300));
  const cancel = await runCli(['job', 'cancel', '--now', '--', 'theirs'], {
    cwd: dir,
    asUser: 'nobody',
  });
  assertCleanError(cancel, [1]);
  assert.match(cancel.stderr, /permission denied/);
  assert.equal(JSON.parse((await done).stdout).status, 'success');
  await finished(spawn('true'));
});

test('a FIFO, a device or a huge file another user planted as a held lock’s holder record is passed over, never waited on', {
  skip,
}, async () => {
  const plants: Array<[string, (path: string) => string]> = [
    ['a FIFO', (p) => `mkfifo ${p}`],
    ['a device', (p) => `ln -s /dev/zero ${p}`],
    ['a huge file', (p) => `truncate -s 1G ${p}`],
  ];
  for (const [what, plant] of plants) {
    const { dir, shared } = sharedWorkspace();
    const yaml = readFileSync(join(dir, 'hutctl.yaml'), 'utf8').replace(
      'paths:\n',
      `paths:\n  slot_lock_dir: ${shared}\n`,
    );
    writeFileSync(join(dir, 'hutctl.yaml'), `${yaml}slots: {hut-01: {serial: /dev/null}}\n`);
    // Another user holds the slot's lock, and leaves something else where its record goes.
    const lock = join(shared, 'hut-01.lock');
    asNobody(`touch ${lock} && ${plant(`${lock}.owner`)}`);
    const planted = lstatSync(`${lock}.owner`).ino;
    const holder = spawn('setpriv', [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      '--',
      'flock',
      lock,
      'sleep',
      '30',
    ]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      const status = await runCli(['slot', 'status', '--json'], { cwd: dir, killAfterMs: 20_000 });
      assert.equal(status.signal, null, `slot status waited on ${what}`);
      assert.equal(status.code, 0, status.stderr);
      const [slot] = JSON.parse(status.stdout);
      assert.equal(slot.locked, true, what);
      assert.equal(slot.holder, null, what);
      const run = await runCli(['slot', 'run', 'hut-01', '--no-wait', '--', 'true'], {
        cwd: dir,
        killAfterMs: 20_000,
      });
      assert.equal(run.signal, null, `slot run waited on ${what}`);
      assertCleanError(run, [75]);
      assert.match(
        run.stderr,
        /^hutctl: slot hut-01 is busy: held by a process that left no hutctl record/m,
      );
      assert.equal(lstatSync(`${lock}.owner`).ino, planted, 'the record was touched');
    } finally {
      holder.kill();
    }
  }
});
