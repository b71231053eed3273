/**
 * Real faults, not simulated ones: a tmpfs that fills up, a directory the runner user may not
 * write, SIGKILL at random moments. Every fault ends (nothing hangs holding a lock), and the
 * outcome of a job that ran is never lost.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import {
  finished,
  invocation,
  processesMatching,
  ROOT,
  runCli,
  startCli,
  tempDir,
  waitFor,
  workspace,
} from '../support/cli.ts';
import { assertCleanError } from '../support/hostile.ts';

const mounts: string[] = [];
after(() => {
  for (const dir of mounts) spawn('umount', ['-l', dir]);
});

/** A tmpfs of `size` at `dir`: a disk that really fills up. */
function smallDisk(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
  mounts.push(dir);
}

/** Whether nobody holds the lock (a lock file that was never made is free too). */
async function lockIsFree(path: string): Promise<boolean> {
  if (!existsSync(path)) return true;
  return (await finished(spawn('flock', ['-n', path, 'true']))).code === 0;
}

/** The runs of a job as `job status --json` sees them. */
async function status(dir: string, jobId: string) {
  const result = await runCli(['job', 'status', '--json', '--', jobId], { cwd: dir });
  return { code: result.code, json: JSON.parse(result.stdout || 'null'), stderr: result.stderr };
}

const SLOTS = 'slots:\n  hut-01: {serial: /dev/null, labels: [esp32]}\n';

/** A workspace with one slot (on /dev/null) whose slot lock lives in `slotDir`. */
function slotWorkspace(slotDir: string): string {
  return workspace('  runner:\n    transport: local', SLOTS, undefined, {
    slot_lock_dir: join(slotDir, 'slot-locks'),
  });
}

test('a disk that fills up while a job runs: the report is kept, job status says how it ended', {
  skip: !ROOT && 'needs root to mount a tmpfs',
}, async () => {
  const dir = workspace('  runner:\n    transport: local');
  smallDisk(join(dir, 'evidence'), '128k');
  const filler = join(dir, 'evidence', 'filler');
  const input = invocation({
    job_id: 'fills-disk',
    command: [`head -c 1M /dev/zero > ${filler}`, 'echo second step'],
  });
  const result = await runCli(['job', 'run', '-', '--json'], { cwd: dir, input });
  const report = JSON.parse(result.stdout);
  assert.equal(report.status, 'failed', 'the first step failed: its write met a full disk');
  assert.equal(result.code, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /unexpected error/);
  if (!readdirSync(join(dir, 'evidence')).some((n) => n.endsWith('.json')))
    assert.match(
      result.stderr,
      /the report could not be written to .*: no space left on the device; it is kept in .*\.running/,
    );
  const seen = await status(dir, 'fills-disk');
  assert.equal(seen.json.status, 'failed', `never "interrupted": ${seen.stderr}`);
  assert.equal(seen.json.exit_code, report.exit_code);
  assert.ok(await lockIsFree(join(dir, 'locks', 'codex-runner-test.lock')));
});

test('a disk already full: the job is refused before a step runs, holding nothing', {
  skip: !ROOT && 'needs root to mount a tmpfs',
}, async () => {
  const dir = workspace('  runner:\n    transport: local');
  smallDisk(join(dir, 'evidence'), '64k');
  execFileSync('sh', [
    '-c',
    `head -c 1M /dev/zero > ${join(dir, 'evidence', 'filler')} 2>/dev/null || true`,
  ]);
  const input = invocation({ job_id: 'no-room', command: [`touch ${join(dir, 'ran')}`] });
  const result = await runCli(['job', 'run', '-', '--json'], { cwd: dir, input });
  assertCleanError(result, [1]);
  assert.match(result.stderr, /no space left/);
  assert.equal(existsSync(join(dir, 'ran')), false, 'no step ran');
  assert.deepEqual(
    readdirSync(join(dir, 'evidence')).filter((n) => n !== 'filler'),
    [],
    'no evidence of a run that never was',
  );
  assert.ok(await lockIsFree(join(dir, 'locks', 'codex-runner-test.lock')));
});

test('slot run on a full disk keeps its report and frees the slot', {
  skip: !ROOT && 'needs root to mount a tmpfs',
}, async () => {
  const dir = slotWorkspace(tempDir());
  smallDisk(join(dir, 'evidence'), '128k');
  const result = await runCli(
    [
      'slot',
      'run',
      'hut-01',
      '--job-id',
      'slot-full',
      '--json',
      '--',
      'head',
      '-c',
      '1M',
      '/dev/zero',
    ],
    { cwd: dir },
  );
  assert.doesNotMatch(result.stderr, /unexpected error/);
  assert.ok(['success', 'failed'].includes(JSON.parse(result.stdout).status), result.stderr);
  const seen = await status(dir, 'slot-full');
  assert.ok(['success', 'failed'].includes(seen.json.status), seen.stderr);
  const again = await runCli(['slot', 'run', 'hut-01', '--no-wait', '--', 'true'], {
    cwd: tempDir(),
    env: { HUTCTL_CONFIG: join(dir, 'hutctl.yaml') },
  });
  assert.match(again.stderr, /cannot keep evidence|success/, 'the slot itself is free');
});

test('slot run whose evidence cannot be written ends at once and never holds the slot', async () => {
  const slotDir = tempDir();
  const dir = slotWorkspace(slotDir);
  writeFileSync(join(dir, 'a-file'), 'in the way\n');
  const started = Date.now();
  const result = await runCli(
    ['slot', 'run', 'hut-01', '--evidence-dir', join(dir, 'a-file', 'evidence'), '--', 'true'],
    { cwd: dir },
  );
  assertCleanError(result, [1]);
  assert.match(result.stderr, /cannot keep evidence in .*a-file\/evidence: .*not a directory/);
  assert.ok(Date.now() - started < 20_000, 'it ended');
  assert.ok(await lockIsFree(join(slotDir, 'slot-locks', 'hut-01.lock')));
});

test('a runner user who may not write ./evidence gets one line and nothing is held', {
  skip: !ROOT && 'needs root to run as nobody',
}, async () => {
  const slotDir = tempDir();
  chmodSync(slotDir, 0o1777);
  const repo = tempDir();
  chmodSync(repo, 0o755);
  writeFileSync(
    join(repo, 'hutctl.yaml'),
    `paths:\n  lock_dir: ${slotDir}\n  cancel_dir: ${slotDir}\n  slot_lock_dir: ${join(slotDir, 'slot-locks')}\n${SLOTS}`,
  );
  for (const command of [
    ['slot', 'run', 'hut-01', '--', 'true'],
    ['job', 'run', '-', '--target', 'local'],
  ]) {
    const child = startCli(command, { cwd: repo, asUser: 'nobody' });
    child.stdin!.end(invocation({ job_id: 'as-nobody' }));
    const result = await finished(child);
    assertCleanError(result, [1]);
    assert.match(result.stderr, /cannot keep evidence in .*evidence: permission denied/);
  }
  assert.equal(existsSync(join(repo, 'evidence')), false);
  assert.ok(await lockIsFree(join(slotDir, 'slot-locks', 'hut-01.lock')));
});

test('SIGKILL at any moment of job run or slot run: the lock is freed, no step is left, status is never stuck at running', async () => {
  const slotDir = tempDir();
  const dir = slotWorkspace(slotDir);
  const commands = {
    job: (id: string, mark: string) => ({
      argv: ['job', 'run', '-', '--quiet'],
      input: invocation({ job_id: id, command: [`sleep 0.${mark}`, `sleep 0.${mark}`] }),
      lock: join(dir, 'locks', 'codex-runner-test.lock'),
    }),
    slot: (id: string, mark: string) => ({
      argv: ['slot', 'run', 'hut-01', '--quiet', '--job-id', id, '--', 'sleep', `0.${mark}`],
      input: '',
      lock: join(slotDir, 'slot-locks', 'hut-01.lock'),
    }),
  };
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('job', 'slot') as fc.Arbitrary<'job' | 'slot'>,
      fc.integer({ min: 0, max: 900 }),
      async (kind, delay) => {
        n++;
        const mark = `7${String(n).padStart(2, '0')}${Math.floor(Math.random() * 1e4)}`;
        const id = `kill-${kind}-${n}`;
        const { argv, input, lock } = commands[kind](id, mark);
        const child = startCli(argv, { cwd: dir });
        child.stdin!.end(input);
        const done = finished(child);
        await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGKILL');
        await done;
        await waitFor(() => lockIsFree(lock), 'the lock to be freed', 5000);
        await waitFor(
          async () => (await processesMatching(`sleep 0.${mark}`)) === 0,
          'the steps to be gone',
          5000,
        );
        const seen = await runCli(['job', 'status', '--json', '--', id], { cwd: dir });
        if (seen.code === 1 && /no evidence/.test(seen.stderr)) return; // killed before it began
        const state = JSON.parse(seen.stdout).status;
        assert.notEqual(state, 'running', `job ${id} killed after ${delay} ms: ${seen.stdout}`);
      },
    ),
    { numRuns: Number(process.env.HUTCTL_PROPERTY_RUNS ?? 10), seed: 3 },
  );
});

test('the lock record of a remote-style holder never outlives the lock', async () => {
  const dir = workspace('  runner:\n    transport: local');
  const result = await runCli(['job', 'run', '-'], {
    cwd: dir,
    input: invocation({ job_id: 'owner-gone', command: ['true'] }),
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(
    readdirSync(join(dir, 'locks')).filter((n) => n.endsWith('.owner')),
    [],
    'the holder record is removed on release',
  );
  assert.equal(readFileSync(join(dir, 'locks', 'codex-runner-test.lock'), 'utf8'), '');
});

test('job status and job logs on a report or log replaced by a FIFO, garbage, or a huge file: one line, no hang', async () => {
  const dir = workspace('  runner:\n    transport: local');
  const ran = await runCli(['job', 'run', '-'], {
    cwd: dir,
    input: invocation({ job_id: 'replaced' }),
  });
  assert.equal(ran.code, 0, ran.stderr);
  const evidence = join(dir, 'evidence');
  const report = join(evidence, readdirSync(evidence).find((n) => n.endsWith('.json'))!);
  const log = report.replace(/\.json$/, '.log');
  const replace = (path: string, how: string) => {
    execFileSync('rm', ['-f', path]);
    if (how === 'fifo') execFileSync('mkfifo', [path]);
    else if (how === 'huge') execFileSync('truncate', ['-s', '3G', path]);
    else writeFileSync(path, how);
  };
  for (const how of ['fifo', 'not json', '{"schema_version":"ws2.report.v1"}', '[]', 'huge']) {
    replace(report, how);
    const started = Date.now();
    const result = await runCli(['job', 'status', '--', 'replaced'], { cwd: dir });
    assertCleanError(result, [1]);
    assert.match(result.stderr, /report .* (cannot be read|is not a valid ws2\.report\.v1)/);
    assert.ok(Date.now() - started < 20_000, `${how}: it ended`);
  }
  replace(log, 'fifo');
  const logs = await runCli(['job', 'logs', '--', 'replaced'], { cwd: dir });
  assertCleanError(logs, [1]);
  assert.match(logs.stderr, /is not a regular file/);
});

test('job logs --follow of a job whose executor was killed ends saying so, exit 1', async () => {
  const dir = workspace('  runner:\n    transport: local');
  const child = startCli(['job', 'run', '-', '--quiet'], { cwd: dir });
  child.stdin!.end(invocation({ job_id: 'followed', command: ['sleep 30'] }));
  const done = finished(child);
  await waitFor(
    () => existsSync(join(dir, 'evidence')) && readdirSync(join(dir, 'evidence')).length > 0,
    'the job to start',
  );
  const follow = startCli(['job', 'logs', '-f', '--', 'followed'], { cwd: dir });
  const followed = finished(follow);
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGKILL');
  await done;
  const result = await followed;
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, /job followed was interrupted: its executor ended without a report/);
});

test('a full state directory never fails a power action: the result, and a note', {
  skip: !ROOT && 'needs root to mount a tmpfs',
}, async () => {
  const dir = workspace(
    '',
    'slots:\n  hut-01:\n    serial: /dev/null\n    power: {backend: command, on: ["true"], off: ["true"], status: [echo, "on"]}\n',
  );
  smallDisk(join(dir, 'state'), '64k');
  execFileSync('sh', [
    '-c',
    `head -c 1M /dev/zero > ${join(dir, 'state', 'filler')} 2>/dev/null || true`,
  ]);
  const result = await runCli(['power', 'status', 'hut-01'], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'hut-01: on\n');
  assert.match(result.stderr, /note: the power record .*hut-01\.json could not be written: ENOSPC/);
});
