/** Job locks: flock(2) semantics on real files, shared with util-linux flock(1). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { localTarget } from '../../src/config/index.ts';
import { isHutError } from '../../src/errors/index.ts';
import { acquireLock, type LockOwner } from '../../src/locks/index.ts';
import { LocalTransport } from '../../src/transport/index.ts';
import { finished, tempDir } from '../support/cli.ts';

const transport = new LocalTransport(localTarget());
const owner = (job: string): LockOwner => ({
  job_id: job,
  pid: process.pid,
  host: 'test-host',
  since: '2026-02-12T15:30:00Z',
});

test('a second holder waits until the first releases', async () => {
  const path = join(tempDir(), 'codex-runner-k.lock');
  const first = await acquireLock(transport, path, { owner: owner('A') });
  let waited = false;
  const second = acquireLock(transport, path, { owner: owner('B'), onWait: () => (waited = true) });
  let got = false;
  void second.then(() => (got = true));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(got, false, 'second holder must not get a held lock');
  assert.equal(waited, true);
  await first.release();
  const lock = await second;
  assert.equal(got, true);
  await lock.release();
});

test('--no-wait names the holder: job id, pid, host and start', async () => {
  const path = join(tempDir(), 'codex-runner-k.lock');
  const held = await acquireLock(transport, path, { owner: owner('GOAL-001-WS2-0001') });
  try {
    await assert.rejects(
      acquireLock(transport, path, { owner: owner('B'), noWait: true }),
      (error: unknown) => {
        assert.ok(isHutError(error));
        assert.equal(error.code, 'LOCK_HELD');
        assert.match(
          error.message,
          /job GOAL-001-WS2-0001 \(pid \d+ on test-host, since 2026-02-12T15:30:00Z\)/,
        );
        return true;
      },
    );
  } finally {
    await held.release();
  }
  const again = await acquireLock(transport, path, { owner: owner('C'), noWait: true });
  await again.release();
});

test('a flock(1) script and hutctl exclude each other', async () => {
  const path = join(tempDir(), 'hut-01.lock');
  const script = spawn('flock', ['-x', '-F', path, 'sh', '-c', 'echo held; exec sleep 30'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((resolve) => script.stdout!.once('data', resolve));
  await assert.rejects(
    acquireLock(transport, path, { owner: owner('A'), noWait: true }),
    /held by a process that left no hutctl record/,
  );
  script.kill('SIGKILL');
  await finished(script);

  const held = await acquireLock(transport, path, { owner: owner('A') });
  const probe = await finished(spawn('flock', ['-n', path, 'true']));
  assert.equal(probe.code, 1, 'flock(1) must see the lock hutctl holds');
  await held.release();
  const after = await finished(spawn('flock', ['-n', path, 'true']));
  assert.equal(after.code, 0);
});

test('an aborted wait gives up without taking the lock', async () => {
  const path = join(tempDir(), 'x.lock');
  const held = await acquireLock(transport, path, { owner: owner('A') });
  const controller = new AbortController();
  const waiting = acquireLock(transport, path, { owner: owner('B'), signal: controller.signal });
  setTimeout(() => controller.abort(new Error('stop waiting')), 100);
  await assert.rejects(waiting, /stop waiting/);
  await held.release();
});
