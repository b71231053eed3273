/**
 * Slot health through the simulated farm, as LAVA's state machine has it: a farm error makes a
 * slot Unknown, a health check decides Good or Bad, only a person leaves Bad or Maintenance, and
 * routing never hands normal work to a slot that is not Good or Unknown.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { putIdfBuild, startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
const SHA = '0a1b2c3d4e5f';
before(async () => {
  t = await startTestFarm(3);
  await putIdfBuild(t, SHA, { version: 'v5.0.0' }, ['i2s', 'muse', 'squeezeamp']);
});
after(async () => {
  await t.stop();
});

const health = async (slot: string) => {
  const r = await t.hutctl(['slot', 'health', slot, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

test('a new slot is Good; a farm error makes it Unknown with a check due; a passing health check makes it Good', async () => {
  assert.equal((await health('hut-01')).state, 'good');
  const entity = t.farm.ha.entities.get('switch.hut_01_power')!;
  entity.failure = 'unavailable';
  entity.state = 'unavailable';
  try {
    const r = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--json']);
    assert.equal(r.code, 3, r.stderr);
  } finally {
    entity.failure = 'none';
    entity.state = 'on';
  }
  const sick = await health('hut-01');
  assert.equal(sick.state, 'unknown');
  assert.equal(sick.check_due, true);
  assert.match(sick.reason, /^power: the relay of hut-01 reads 'unavailable'/);
  // Unknown still takes normal work (its check is due first).
  const check = await t.hutctl(['slot', 'health', 'check', 'hut-01', '--sha', SHA, '--json']);
  assert.equal(check.code, 0, check.stderr);
  const { result, health: after } = JSON.parse(check.stdout);
  assert.equal(result.health_check, true);
  assert.equal(after.state, 'good');
  assert.equal(after.check_due, false);
  assert.equal(after.last_check.status, 'pass');
});

test('a health check on a board in a boot loop makes it Bad; routing then passes it over, and only a person brings it back', async () => {
  const board = t.farm.boards.get('hut-03')!;
  board.mode = 'bootloop';
  try {
    const check = await t.hutctl(['slot', 'health', 'check', 'hut-03', '--sha', SHA]);
    assert.notEqual(check.code, 0);
    assert.match(check.stdout, /^hut-03: health check (fail|blocked) .*; now bad$/m);
  } finally {
    board.mode = 'normal';
  }
  const bad = await health('hut-03');
  assert.equal(bad.state, 'bad');
  assert.match(bad.reason, /^its health check did not pass/);

  // Named directly, it is refused at once with the reason; by label, another board takes it.
  const direct = await t.hutctl(['slot', 'run', 'hut-03', '--', 'true']);
  assert.equal(direct.code, 2);
  assert.match(
    direct.stderr,
    /no healthy slot can run this: hut-03 is bad since .*: its health check did not pass/,
  );
  const hil = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-03', '--json']);
  assert.equal(hil.code, 2, hil.stderr);
  const byLabel = await t.hutctl(['slot', 'run', '--label', 'esp32', '--', 'true']);
  assert.equal(byLabel.code, 0, byLabel.stderr);
  assert.match(byLabel.stderr, /skipping hut-03 is bad since .*: its health check did not pass/);
  assert.match(byLabel.stderr, /slot hut-0[12] \(/);

  // A later pass of a normal test cannot bring it back: only a person can.
  const back = await t.hutctl([
    'slot',
    'health',
    'set',
    'hut-03',
    'good',
    '--reason',
    'reseated the USB cable',
    '--json',
  ]);
  assert.equal(back.code, 0, back.stderr);
  const good = JSON.parse(back.stdout);
  assert.equal(good.state, 'good');
  assert.match(good.by, /^[^@]+@.+$/);
  assert.equal(good.reason, 'reseated the USB cable');
  assert.equal((await t.hutctl(['slot', 'run', 'hut-03', '--', 'true'])).code, 0);
});

test('hil surface passes over a slot that is not healthy and tests the others', async () => {
  const set = await t.hutctl(['slot', 'health', 'set', 'hut-02', 'retired', '--reason', 'gone']);
  assert.equal(set.code, 0, set.stderr);
  const r = await t.hutctl(['hil', 'surface', '--sha', SHA, '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    JSON.parse(r.stdout).map((x: { slot: string }) => x.slot),
    ['hut-01', 'hut-03'],
  );
  // A person's decision made in the same second as a check still comes after it.
  const back = await t.hutctl(['slot', 'health', 'set', 'hut-02', 'good', '--reason', 'back']);
  assert.match(back.stdout, /^hut-02: good /);
});

test('maintenance takes slots out of routing; when no candidate is healthy the request is refused at once with every reason', async () => {
  for (const slot of ['hut-01', 'hut-02', 'hut-03']) {
    const r = await t.hutctl([
      'slot',
      'health',
      'set',
      slot,
      'maintenance',
      '--reason',
      'rack move',
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  const r = await t.hutctl(['slot', 'run', '--label', 'esp32', '--', 'true']);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /no healthy slot can run this: hut-01 is maintenance since .*: rack move; hut-02 is maintenance .*; hut-03 is maintenance/,
  );
  const table = await t.hutctl(['slot', 'health']);
  assert.match(
    table.stdout,
    /^hut-02 +maintenance +\S+ \S+ +\d+\/\d+ of \d+ +rack move \(by .+\)$/m,
  );
  for (const slot of ['hut-01', 'hut-02', 'hut-03']) {
    await t.hutctl(['slot', 'health', 'set', slot, 'good', '--reason', 'rack moved']);
  }
});

test('health survives a rebuild: the ledger imported from evidence says the same', async () => {
  const config = join(t.dir, 'rebuilt.yaml');
  writeFileSync(
    config,
    `${readFileSync(t.farm.configPath, 'utf8')}\nstore:\n  path: ${join(t.dir, 'rebuilt.sqlite')}\n`,
  );
  const imported = await t.hutctl(['store', 'import', join(t.dir, 'evidence'), '--json'], {
    env: { HUTCTL_CONFIG: config },
  });
  assert.equal(imported.code, 0, imported.stderr);
  assert.ok(JSON.parse(imported.stdout).recorded.health >= 5);
  const live = JSON.parse((await t.hutctl(['slot', 'health', '--json'])).stdout);
  const rebuilt = JSON.parse(
    (await t.hutctl(['slot', 'health', '--json'], { env: { HUTCTL_CONFIG: config } })).stdout,
  );
  assert.deepEqual(rebuilt, live);
});

test('health decisions refuse bad input in one line and change nothing', async () => {
  const before = await health('hut-02');
  for (const [args, message] of [
    [
      ['slot', 'health', 'set', 'hut-02', 'bad', '--reason', 'x'],
      /bad: a person sets good, maintenance, retired, looping/,
    ],
    [['slot', 'health', 'set', 'hut-02', 'good'], /required option '--reason <text>'/],
    [['slot', 'health', 'set', 'hut-02', 'good', '--reason', 'a\nb'], /--reason: one line/],
    [['slot', 'health', 'set', 'hut-99', 'good', '--reason', 'x'], /hut-99/],
    [['slot', 'health', 'check', 'hut-02'], /no artifact to check hut-02 with|health check/],
  ] as const) {
    const r = await t.hutctl([...args]);
    if (args[2] === 'check' && r.code === 0) continue; // hut-02 has passed before: it can be checked
    assert.notEqual(r.code, 0, `${args.join(' ')}`);
    assert.match(r.stderr + r.stdout, message);
  }
  assert.deepEqual((await health('hut-02')).state, before.state);
});
