/**
 * Health checks hutctl runs itself, through the simulated farm: a slot that had a farm error, or
 * whose periodic check is due, gets HW-BOOT-001 with the golden artifact first, under the lock
 * its next job holds; a check that passes lets the job run, one that does not makes the slot Bad
 * and sends the job elsewhere or refuses it.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { putIdfBuild, startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
/** The farm's config with a golden artifact and a check every 3 jobs. */
let golden: string;
const SHA = '5e6f7a8b9c0d';
before(async () => {
  t = await startTestFarm(4);
  await putIdfBuild(t, SHA, { version: 'v5.1.0' }, ['i2s', 'muse', 'squeezeamp']);
  golden = join(t.dir, 'golden.yaml');
  writeFileSync(
    golden,
    `${readFileSync(t.farm.configPath, 'utf8')}health:\n  every_jobs: 3\n  golden: {sha: ${SHA}}\n`,
  );
});
after(async () => {
  await t.stop();
});

/** hutctl with the golden config (or the farm's own, which has no health: section). */
const run = (args: string[], config = golden) => t.hutctl(args, { env: { HUTCTL_CONFIG: config } });

const health = async (slot: string) => {
  const r = await run(['slot', 'health', slot, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

/** Makes `slot` Unknown: a hil run blocked by a relay that reads unavailable. */
async function farmError(slot: string) {
  const entity = t.farm.ha.entities.get(`switch.${slot.replace('-', '_')}_power`)!;
  entity.failure = 'unavailable';
  entity.state = 'unavailable';
  try {
    const r = await run(['hil', 'run', '--sha', SHA, '--slot', slot, '--json']);
    assert.equal(r.code, 3, r.stderr);
  } finally {
    entity.failure = 'none';
    entity.state = 'on';
  }
  assert.equal((await health(slot)).state, 'unknown');
}

/** The health checks recorded for `slot`, oldest first. */
async function checks(slot: string): Promise<Array<{ status: string }>> {
  const r = await run(['hil', 'history', '--slot', slot, '--json', '--limit', '1000']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ status: string; evidence_path: string }>;
  return rows
    .filter((row) => JSON.parse(readFileSync(row.evidence_path, 'utf8')).health_check === true)
    .reverse();
}

test('with nothing to check it with, an Unknown slot says so, stays Unknown, and the job runs', async () => {
  // The farm's own config has no golden artifact, and hut-04 has never passed a test.
  const entity = t.farm.ha.entities.get('switch.hut_04_power')!;
  entity.failure = 'unavailable';
  entity.state = 'unavailable';
  try {
    await run(['hil', 'run', '--sha', SHA, '--slot', 'hut-04'], t.farm.configPath);
  } finally {
    entity.failure = 'none';
    entity.state = 'on';
  }
  const r = await run(['slot', 'run', 'hut-04', '--', 'echo', 'ran'], t.farm.configPath);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /health check due on hut-04 \(an infrastructure error at \S+: power: .*\), but there is nothing to check it with \(no health\.golden, and it has never passed a test\): the job runs, and hut-04 stays unknown/,
  );
  assert.match(r.stdout, /^ran$/m);
  assert.equal((await health('hut-04')).state, 'unknown');
  assert.deepEqual(await checks('hut-04'), []);
});

test('a board that stopped enumerating makes its slot Unknown; its next job runs the health check first, under the same lock, then the job', async () => {
  const board = t.farm.boards.get('hut-01')!;
  await board.powerOff(); // off the bus, while its relay still reads on
  try {
    const lost = await run(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json']);
    assert.equal(lost.code, 3, lost.stderr);
    assert.equal(JSON.parse(lost.stdout).phase, 'device');
  } finally {
    await board.powerOn(); // reseated
  }
  const sick = await health('hut-01');
  assert.equal(sick.state, 'unknown');
  assert.match(sick.due, /^an infrastructure error at \S+: device: .* does not exist/);

  // Two jobs at once: the one that takes the slot first runs the check, then its job; the other
  // waits for the slot's lock and finds the check done.
  const both = await Promise.all([
    run(['slot', 'run', 'hut-01', '--', 'echo', 'the job']),
    run(['slot', 'run', 'hut-01', '--', 'echo', 'the job']),
  ]);
  for (const r of both) assert.equal(r.code, 0, r.stderr);
  const [r, other] = /health check due/.test(both[0].stderr) ? both : [both[1], both[0]];
  assert.doesNotMatch(other.stderr, /health check/);
  assert.match(other.stdout, /^the job$/m);
  const lines = r.stderr.split('\n');
  const due = lines.findIndex((l) =>
    /^hutctl: health check due on hut-01 \(an infrastructure error at \S+: device: .*\): running HW-BOOT-001 first \(5e6f7a8b9c0d, golden\)$/.test(
      l,
    ),
  );
  const passed = lines.indexOf('hutctl: hut-01: health check passed; the job runs');
  const slot = lines.findIndex((l) => l.startsWith('hutctl: slot hut-01 ('));
  assert.ok(due >= 0 && passed > due && slot > passed, r.stderr);
  assert.match(r.stdout, /^the job$/m);
  const now = await health('hut-01');
  assert.equal(now.state, 'good');
  assert.equal(now.check_due, false);
  assert.equal(now.last_check.status, 'pass');
  assert.deepEqual(
    (await checks('hut-01')).map((c) => c.status),
    ['pass'],
  );
});

test('a board in a boot loop during its check makes the slot Bad: a label job goes to another slot, a named one is refused', async () => {
  // hut-01 out of the way, so the label's first choice is hut-02.
  await run(['slot', 'health', 'set', 'hut-01', 'maintenance', '--reason', 'out of the way']);
  await farmError('hut-02');
  const board = t.farm.boards.get('hut-02')!;
  board.mode = 'bootloop';
  try {
    const r = await run(['slot', 'run', '--label', 'esp32', '--', 'echo', 'by label']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /health check due on hut-02 .*: running HW-BOOT-001 first/);
    assert.match(
      r.stderr,
      /skipping hut-02 did not pass its health check \((boot|flash|flash-verify): .*\); it is bad now/,
    );
    assert.match(r.stderr, /slot hut-0[34] \(/);
    assert.match(r.stdout, /^by label$/m);
  } finally {
    board.mode = 'normal';
  }
  const bad = await health('hut-02');
  assert.equal(bad.state, 'bad');
  assert.match(bad.reason, /^its health check did not pass/);

  // Named, an Unknown slot whose check fails: the test does not run; exit 2 with the reason.
  await farmError('hut-03');
  t.farm.boards.get('hut-03')!.mode = 'bootloop';
  try {
    const r = await run(['hil', 'run', '--sha', SHA, '--slot', 'hut-03', '--json']);
    assert.equal(r.code, 2, r.stderr);
    const { error } = JSON.parse(r.stdout);
    assert.equal(error.code, 'UNSATISFIABLE');
    assert.match(
      error.message,
      /^no healthy slot can run this: hut-03 did not pass its health check \(.*\); it is bad now$/,
    );
  } finally {
    t.farm.boards.get('hut-03')!.mode = 'normal';
  }
  assert.equal((await health('hut-03')).state, 'bad');
  // Only the check ran on hut-03 after the farm error: no normal test.
  const history = JSON.parse(
    (await run(['hil', 'history', '--slot', 'hut-03', '--json'])).stdout,
  ) as Array<{ status: string }>;
  assert.equal(history.length, 2, 'the farm error and the check');
  for (const slot of ['hut-01', 'hut-02', 'hut-03'])
    await run(['slot', 'health', 'set', slot, 'good', '--reason', 'back']);
});

test('hil surface runs the due checks first and passes over a slot whose check fails', async () => {
  await farmError('hut-02');
  t.farm.boards.get('hut-02')!.mode = 'bootloop';
  try {
    const r = await run(['hil', 'surface', '--sha', SHA, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      JSON.parse(r.stdout).map((x: { slot: string; health_check?: boolean }) => [
        x.slot,
        x.health_check ?? false,
      ]),
      [
        ['hut-01', false],
        ['hut-03', false],
        ['hut-04', false],
      ],
    );
  } finally {
    t.farm.boards.get('hut-02')!.mode = 'normal';
  }
  assert.equal((await health('hut-02')).state, 'bad');
  // hut-04 was Unknown with nothing to check it with; with the golden artifact it got its check.
  assert.equal((await health('hut-04')).state, 'good');
  assert.equal((await checks('hut-04')).length, 1);
  await run(['slot', 'health', 'set', 'hut-02', 'good', '--reason', 'back']);
});

test('the periodic check runs after every_jobs jobs on the slot, hil tests included', async () => {
  const manual = await run(['slot', 'health', 'check', 'hut-03']);
  assert.equal(manual.code, 0, manual.stderr);
  const before = (await checks('hut-03')).length;
  const quiet = (r: { code: number | null; stderr: string }) => {
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /health check due/);
  };
  quiet(await run(['slot', 'run', 'hut-03', '--', 'true']));
  quiet(await run(['hil', 'run', '--sha', SHA, '--slot', 'hut-03']));
  quiet(await run(['slot', 'run', 'hut-03', '--', 'true']));
  assert.equal(
    (await health('hut-03')).due,
    '3 jobs since its last health check (health.every_jobs: 3)',
  );
  const r = await run(['slot', 'run', 'hut-03', '--', 'echo', 'fourth']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /health check due on hut-03 \(3 jobs since its last health check \(health\.every_jobs: 3\)\): running HW-BOOT-001 first/,
  );
  assert.match(r.stdout, /^fourth$/m);
  assert.equal((await checks('hut-03')).length, before + 1);
  // The job after the check is the first of the next three.
  assert.equal((await health('hut-03')).check_due, false);
  quiet(await run(['slot', 'run', 'hut-03', '--', 'true']));
  quiet(await run(['slot', 'run', 'hut-03', '--', 'true']));
  assert.equal((await health('hut-03')).check_due, true);
});

test('a Looping slot takes no normal job; its checks run again and again on request', async () => {
  const set = await run(['slot', 'health', 'set', 'hut-04', 'looping', '--reason', 'soak']);
  assert.equal(set.code, 0, set.stderr);
  const job = await run(['slot', 'run', 'hut-04', '--', 'true']);
  assert.equal(job.code, 2);
  assert.match(job.stderr, /no healthy slot can run this: hut-04 is looping since .*: soak/);
  const loop = await run(['slot', 'health', 'check', 'hut-04', '--loop', '3']);
  assert.equal(loop.code, 0, loop.stderr);
  assert.match(loop.stderr, /hut-04: health check 3\/3 pass/);
  assert.match(
    loop.stdout,
    /^hut-04: 3 health check\(s\): 3 pass, 0 fail, 0 blocked; still looping$/m,
  );
  const json = await run(['slot', 'health', 'check', 'hut-04', '--loop', '2', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout);
  assert.equal(out.results.length, 2);
  assert.equal(out.health.state, 'looping');
  // On a slot in service, a loop is refused (its last check would decide, hiding the others).
  const refused = await run(['slot', 'health', 'check', 'hut-01', '--loop', '2']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /--loop: hut-01 is good, not looping/);
  assert.equal((await run(['slot', 'health', 'check', 'hut-04', '--loop', '0'])).code, 2);
  await run(['slot', 'health', 'set', 'hut-04', 'good', '--reason', 'soak done']);
});

test("a health check by the last passing SHA refuses that SHA's artifact once it was stored again: another build is no check of the board", async () => {
  const sha = 'a1b2c3d4e5f6';
  const profiles = ['i2s', 'muse', 'squeezeamp'];
  await putIdfBuild(t, sha, { version: 'v6.0.0' }, profiles);
  const passed = await run(['hil', 'run', '--sha', sha, '--slot', 'hut-04'], t.farm.configPath);
  assert.equal(passed.code, 0, passed.stderr);
  const before = (await health('hut-04')).state;
  // The same SHA stored again with other bytes (a rebuild, or a wrong upload).
  await putIdfBuild(t, sha, { version: 'v6.0.1' }, profiles);
  const r = await run(['slot', 'health', 'check', 'hut-04', '--json'], t.farm.configPath);
  assert.equal(r.code, 3, r.stderr);
  const { result } = JSON.parse(r.stdout) as {
    result: { status: string; phase: string; reason: string };
  };
  assert.equal(result!.status, 'blocked');
  assert.equal(result!.phase, 'artifact');
  assert.match(
    result!.reason,
    /^a1b2c3d4e5f6\/\S+ was stored again since it passed on hut-04 \(digest [0-9a-f]{12} then, [0-9a-f]{12} now\): .*nothing was flashed/,
  );
  // Nothing was said of the board.
  assert.equal((await health('hut-04')).state, before);
  // Named explicitly, the new build is checked.
  const named = await run(['slot', 'health', 'check', 'hut-04', '--sha', sha], t.farm.configPath);
  assert.equal(named.code, 0, named.stderr);
});
