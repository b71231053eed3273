/**
 * A power action killed at any moment: the power lock is freed, and `slot status` never claims
 * a relay state it did not confirm — it either matches the relay or says the action was cut short.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { entityOf } from '../../src/sim/index.ts';
import { finished, startCli, waitFor } from '../support/cli.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
before(async () => {
  t = await startTestFarm(1);
});
after(async () => {
  await t.stop();
});

async function free(path: string): Promise<boolean> {
  return !existsSync(path) || (await finished(spawn('flock', ['-n', path, 'true']))).code === 0;
}

test('SIGKILL during power cycle, on or off: the lock is freed and slot status tells the truth', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('cycle', 'off', 'on'),
      // A moment in time, or the moment the relay has just switched off (mid-cycle).
      fc.oneof(fc.integer({ min: 0, max: 2500 }), fc.constant('relay off' as const)),
      async (action, delay) => {
        const relayState = () => t.farm.ha.entities.get(entityOf('hut-01'))!.state;
        if (delay === 'relay off') await t.hutctl(['power', 'on', 'hut-01']);
        const child = startCli(
          ['power', action, 'hut-01', ...(action === 'cycle' ? ['--force'] : [])],
          {
            cwd: t.dir,
            env: { HUTCTL_CONFIG: t.farm.configPath },
          },
        );
        const done = finished(child);
        if (delay === 'relay off' && action !== 'on')
          await waitFor(() => relayState() === 'off', 'off', 20_000);
        else await new Promise((r) => setTimeout(r, delay === 'relay off' ? 300 : delay));
        child.kill('SIGKILL');
        await done;
        assert.ok(await free(join(t.dir, 'locks', 'hut-01.power.lock')), 'the power lock is free');
        const status = await t.hutctl(['slot', 'status', '--json']);
        const row = JSON.parse(status.stdout)[0];
        const relay = relayState();
        if (row.power_change) {
          assert.equal(row.power_change.interrupted, true, 'its process is gone');
          const human = await t.hutctl(['slot', 'status']);
          assert.match(human.stdout, /power unknown: a power \w+ was cut short at/);
        } else if (row.power) {
          assert.equal(
            row.power.state,
            relay,
            `slot status says ${row.power.state}, the relay is ${relay}`,
          );
        }
      },
    ),
    { numRuns: Number(process.env.HUTCTL_PROPERTY_RUNS ?? 10), seed: 17 },
  );
});
