/**
 * How the commands that stop in order hear a signal (withCancelOnSignal): SIGINT, SIGTERM and
 * SIGHUP each abort the work with a reason naming it. After the first, no SIGINT or SIGTERM
 * handler is left, so a second one has its default effect (hutctl ends at once); a SIGHUP stays
 * heard and ignored, since a hang-up comes twice (the kernel's, then the login shell's).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withCancelOnSignal } from '../../src/cli/job-outcome.ts';
import { isHutError } from '../../src/errors/index.ts';

const STOPPING = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const listeners = () => STOPPING.map((name) => process.listenerCount(name));

for (const name of STOPPING) {
  test(`${name} aborts the work with "interrupted (${name})"; then only a hang-up stays heard`, {
    timeout: 10_000,
  }, async () => {
    const before = listeners();
    // A handler of the test's own keeps a stray signal from ending the test process.
    const guard = () => {};
    for (const other of STOPPING) process.on(other, guard);
    try {
      const reason = await withCancelOnSignal(async (signal) => {
        assert.deepEqual(
          listeners(),
          before.map((n) => n + 2),
          'one handler of its own for each signal while it runs',
        );
        process.kill(process.pid, name);
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        // SIGINT and SIGTERM now have their default effect; SIGHUP is still heard.
        assert.deepEqual(listeners(), [before[0]! + 1, before[1]! + 1, before[2]! + 2]);
        // A hang-up now (the login shell's, after the kernel's) changes nothing.
        const first = signal.reason;
        process.kill(process.pid, 'SIGHUP');
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(signal.reason, first);
        return signal.reason;
      });
      assert.ok(isHutError(reason) && reason.code === 'INTERRUPTED', String(reason));
      assert.equal(reason.message, `interrupted (${name})`);
    } finally {
      for (const other of STOPPING) process.off(other, guard);
    }
    assert.deepEqual(listeners(), before);
  });
}

test('work that ends without a signal leaves no handler behind, whether it returns or throws', async () => {
  const before = listeners();
  assert.equal(await withCancelOnSignal(async () => 7), 7);
  await assert.rejects(
    withCancelOnSignal(async () => {
      throw new Error('boom');
    }),
    /boom/,
  );
  assert.deepEqual(listeners(), before);
});
