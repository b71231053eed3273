/**
 * `hil run` killed at any moment — while it takes the slot, verifies, flashes, power-cycles or
 * reads the boot log: the slot is free again, nothing is left on the board's port, and the next
 * job runs.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { finished, processesMatching, startCli, waitFor } from '../support/cli.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
const SHA = 'c0ffee1234567';
before(async () => {
  t = await startTestFarm(1);
  writeFileSync(join(t.dir, 'app.bin'), Buffer.alloc(8192, 7));
  writeFileSync(join(t.dir, 'flash_args'), '0x10000 app.bin\n');
  const put = await t.hutctl([
    'artifact',
    'put',
    SHA,
    join(t.dir, 'app.bin'),
    join(t.dir, 'flash_args'),
    '--profile',
    'i2s',
  ]);
  assert.equal(put.code, 0, put.stderr);
});
after(async () => {
  await t.stop();
});

test('SIGKILL at any moment of hil run frees the slot and leaves nothing on its port', async () => {
  const link = t.farm.boards.get('hut-01')!.linkPath;
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: 4000 }), async (delay) => {
      const child = startCli(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json'], {
        cwd: t.dir,
        env: { HUTCTL_CONFIG: t.farm.configPath },
      });
      const done = finished(child);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await done;
      // The flasher and the boot-log reader (the board's own socat also names the link).
      const users = async () =>
        (await processesMatching(`fake-esptool.sh --port ${link}`)) +
        (await processesMatching(`cat ${link}`));
      await waitFor(async () => (await users()) === 0, 'the port to be let go', 5000);
      const next = await t.hutctl(['slot', 'run', 'hut-01', '--no-wait', '--', 'true']);
      assert.equal(next.code, 0, `after a kill at ${delay} ms: ${next.stderr}`);
    }),
    { numRuns: Number(process.env.HUTCTL_PROPERTY_RUNS ?? 8), seed: 23 },
  );
});
