/**
 * `hil run|surface --skip-passed` on the simulated farm: a test that passed on a slot for the
 * same SHA and the same artifact is not run again (no byte reaches the board) and is reported
 * as skipped with the result it rests on; another artifact under the same SHA, a result that
 * recorded no digest, or a farm without a ledger runs as before.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { flashChanges, putIdfBuild, startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
const SHA = '7e8f9a0b1c2d';
before(async () => {
  t = await startTestFarm(2);
  await putIdfBuild(t, SHA, { version: 'v3.0.0' }, ['i2s', 'muse']);
});
after(async () => {
  await t.stop();
});

/** The farm's config with a different `store:`, as another file. */
function configWith(store: string): string {
  const path = join(t.dir, `hutctl-${Math.random().toString(36).slice(2, 8)}.yaml`);
  writeFileSync(path, `${readFileSync(t.farm.configPath, 'utf8')}\nstore:\n${store}\n`);
  return path;
}

const hil = async (args: string[], config?: string) => {
  const r = await t.hutctl(
    ['hil', ...args, '--sha', SHA, '--json'],
    config ? { env: { HUTCTL_CONFIG: config } } : {},
  );
  return { ...r, json: r.stdout ? JSON.parse(r.stdout) : null };
};

test('a test that passed for the same SHA and artifact is skipped, naming the result it rests on', async () => {
  const first = await hil(['run', '--slot', 'hut-01', '--skip-passed']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.json.status, 'pass', 'nothing to skip the first time');
  assert.match(first.json.artifact_digest, /^[0-9a-f]{64}$/);
  const passed = first.json.evidence.find((p: string) => p.endsWith('.json'));
  assert.equal(
    JSON.parse(readFileSync(passed, 'utf8')).artifact_digest,
    first.json.artifact_digest,
  );

  const written = flashChanges(t, 'hut-01');
  const again = await hil(['run', '--slot', 'hut-01', '--skip-passed']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.json.status, 'skipped');
  assert.equal(again.json.phase, 'ledger');
  assert.equal(again.json.reason, `passed before: ${passed}`);
  assert.deepEqual(again.json.evidence, [passed]);
  assert.equal(again.json.artifact_digest, first.json.artifact_digest);
  assert.equal(flashChanges(t, 'hut-01'), written, 'the board was not touched');

  // People read it too; a skip is recorded nowhere (the ledger keeps what ran).
  const human = await t.hutctl(['hil', 'run', '--sha', SHA, '--slot', 'hut-01', '--skip-passed']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^hut-01 +i2s +skipped +ledger +passed before: .+\.json$/m);
  assert.match(
    human.stderr,
    /hut-01: HW-BOOT-001 passed before for 7e8f9a0b1c2d with this artifact/,
  );
  const history = JSON.parse(
    (await t.hutctl(['hil', 'history', '--slot', 'hut-01', '--json'])).stdout,
  );
  assert.deepEqual(
    history.map((r: { status: string }) => r.status),
    ['pass'],
  );

  // Without --skip-passed it runs as always.
  const plain = await hil(['run', '--slot', 'hut-01']);
  assert.equal(plain.json.status, 'pass');
  assert.ok(flashChanges(t, 'hut-01') > written);
});

test('another artifact stored under the same SHA is run, not skipped', async () => {
  await hil(['run', '--slot', 'hut-02']);
  const rebuilt = await putIdfBuild(t, SHA, { version: 'v3.0.1' }, ['muse']);
  assert.ok(rebuilt);
  const written = flashChanges(t, 'hut-02');
  const r = await hil(['run', '--slot', 'hut-02', '--skip-passed']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, 'pass');
  assert.equal(r.json.app_version, 'v3.0.1');
  assert.ok(flashChanges(t, 'hut-02') > written);
  // …and that one, once passed, is skipped in turn.
  assert.equal((await hil(['run', '--slot', 'hut-02', '--skip-passed'])).json.status, 'skipped');
});

test('a passing result that recorded no artifact digest never counts as a match', async () => {
  // Evidence from before results named their artifact: the same pass, without the digest.
  const evidence = join(t.dir, 'old-evidence');
  mkdirSync(evidence);
  const passes = JSON.parse(
    (await t.hutctl(['hil', 'history', '--slot', 'hut-01', '--status', 'pass', '--json'])).stdout,
  );
  const old = JSON.parse(readFileSync(passes[0].evidence_path, 'utf8'));
  delete old.artifact_digest;
  writeFileSync(join(evidence, 'runner_hil_old_utc.json'), JSON.stringify(old));
  const config = configWith(`  path: ${join(t.dir, 'old-ledger.sqlite')}`);
  const imported = await t.hutctl(['store', 'import', evidence, '--json'], {
    env: { HUTCTL_CONFIG: config },
  });
  assert.equal(JSON.parse(imported.stdout).recorded.hil, 1, imported.stderr);
  const r = await hil(['run', '--slot', 'hut-01', '--skip-passed'], config);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, 'pass', 'run again: the old pass may have flashed anything');
});

test('surface skips the slots that passed and runs the rest; JUnit marks the skipped cases', async () => {
  const other = 'c0ffee123456';
  await putIdfBuild(t, other, { version: 'v4.0.0' }, ['i2s', 'muse']);
  assert.equal((await t.hutctl(['hil', 'run', '--sha', other, '--slot', 'hut-01'])).code, 0);
  const junit = join(t.dir, 'skip.xml');
  const written = [flashChanges(t, 'hut-01'), flashChanges(t, 'hut-02')];
  const r = await t.hutctl([
    'hil',
    'surface',
    '--sha',
    other,
    '--skip-passed',
    '--junit',
    junit,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const results = JSON.parse(r.stdout);
  assert.deepEqual(
    results.map((x: { slot: string; status: string }) => [x.slot, x.status]),
    [
      ['hut-01', 'skipped'],
      ['hut-02', 'pass'],
    ],
  );
  assert.match(
    results[0].reason,
    /^passed before: .+runner_hil_hw-boot-001_hut-01_c0ffee123456_.+\.json$/,
  );
  assert.equal(flashChanges(t, 'hut-01'), written[0]);
  assert.ok(flashChanges(t, 'hut-02') > written[1]!);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /tests="2" failures="0" errors="0" skipped="1"/);
  assert.match(
    xml,
    /name="HW-BOOT-001 hut-01" time="0">\s*<skipped message="passed before: [^"]+"\/>/,
  );
});

test('without a ledger everything runs, and it says so', async () => {
  const off = configWith('  engine: off');
  const written = flashChanges(t, 'hut-01');
  const r = await hil(['run', '--slot', 'hut-01', '--skip-passed'], off);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.status, 'pass');
  assert.ok(flashChanges(t, 'hut-01') > written);
  assert.match(
    r.stderr,
    /^hutctl: --skip-passed: the ledger is off \(store\.engine: off\), so every test runs$/m,
  );

  // A ledger that cannot be opened: the same, with the reason.
  const broken = join(t.dir, 'broken-ledger');
  mkdirSync(broken);
  writeFileSync(join(broken, 'ledger.sqlite'), 'this is not a database');
  const unreadable = configWith(`  path: ${join(broken, 'ledger.sqlite')}`);
  const u = await hil(['run', '--slot', 'hut-01', '--skip-passed'], unreadable);
  assert.equal(u.json.status, 'pass', u.stderr);
  assert.match(
    u.stderr,
    /^hutctl: --skip-passed: the ledger cannot be read \(.+\), so every test runs$/m,
  );
});

test('a health check is never skipped: --skip-passed with --health-check is refused', async () => {
  const r = await t.hutctl([
    'hil',
    'run',
    '--sha',
    SHA,
    '--slot',
    'hut-01',
    '--skip-passed',
    '--health-check',
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--skip-passed: a health check always runs/);
});
