/**
 * What CI tools read from a hardware run: JUnit that a strict XML parser (xmllint) accepts
 * whatever the boot log held, GitHub annotations and step outputs, and a JUnit file on every
 * outcome — a farm problem blocked before the board is touched, bad input refused with exit 2.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { githubAnnotations, githubOutputs, type HilResult, junitXml } from '../../src/hil/index.ts';
import { tempDir } from '../support/cli.ts';
import { flashChanges, putIdfBuild, startTestFarm, type TestFarm } from '../support/farm.ts';

const result = (over: Partial<HilResult>): HilResult => ({
  schema_version: 'hutctl.hil-result.v1',
  commit_sha: 'a1b2c3d4e5f6',
  lane: 'local-hil',
  slot: 'hut-01',
  platform: 'i2s',
  test_id: 'HW-BOOT-001',
  status: 'fail',
  phase: 'boot',
  reason: 'panic',
  power_cycles: 1,
  recovery_events: 0,
  recoveries: [],
  reset_reason: null,
  app_version: null,
  expected_version: null,
  flash_ms: 1,
  boot_ms: null,
  evidence: ['/ev/runner_hil_x.log'],
  started_utc: '2026-11-28T10:00:00Z',
  ended_utc: '2026-11-28T10:00:01Z',
  duration_sec: 1,
  ...over,
});

function xmllint(text: string): void {
  const file = join(tempDir(), 'junit.xml');
  writeFileSync(file, text);
  execFileSync('xmllint', ['--noout', file], { stdio: 'pipe' });
}

test('JUnit passes xmllint whatever the boot log held: ANSI colours, control characters, lone surrogates', () => {
  xmllint(
    junitXml([
      result({
        reason:
          'panic: \u001b[0;31mE (312) boot: Guru Meditation Error\u001b[0m\u0000\u0007\ud800 <&>"',
      }),
      result({
        slot: 'hut-02',
        status: 'blocked',
        phase: 'power',
        reason: '\u001b[1mHA 401\u0008',
      }),
    ]),
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (reason) => {
      xmllint(junitXml([result({ reason })]));
    }),
    { numRuns: 40 },
  );
  const xml = junitXml([result({ reason: 'x\u001b[0;32my' })]);
  assert.match(xml, /<failure message="xy"/, 'messages lose the colour codes');
});

test('GitHub annotations name each failing or blocked slot; outputs carry the result and counts', () => {
  const results = [
    result({ status: 'pass', slot: 'hut-01' }),
    result({ status: 'fail', slot: 'hut-02', reason: 'panic:\nLoadProhibited 50%' }),
    result({ status: 'blocked', slot: 'hut-03', phase: 'power', reason: 'HA 401' }),
  ];
  assert.deepEqual(githubAnnotations(results), [
    '::error title=HW-BOOT-001 hut-02 fail (boot)::panic:%0ALoadProhibited 50%25',
    '::error title=HW-BOOT-001 hut-03 blocked (power)::HA 401',
  ]);
  assert.equal(githubOutputs(results), 'result=fail\npassed=1\nfailed=1\nblocked=1\nskipped=0\n');
});

let t: TestFarm;
before(async () => {
  t = await startTestFarm(1);
  await putIdfBuild(t, 'c0ffee1234567');
});
after(async () => {
  await t.stop();
});

const flashes = () => flashChanges(t);

test('a power backend that refuses the token is blocked (power) before the board is touched, with JUnit', async () => {
  const before = flashes();
  const tokenFile = join(t.dir, 'ha-token');
  const token = readFileSync(tokenFile, 'utf8');
  writeFileSync(tokenFile, 'not-the-token\n', { mode: 0o600 });
  try {
    const junit = join(t.dir, 'blocked.xml');
    const r = await t.hutctl([
      'hil',
      'run',
      '--sha',
      'c0ffee1234567',
      '--slot',
      'hut-01',
      '--json',
      '--junit',
      junit,
    ]);
    assert.equal(r.code, 3, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.deepEqual([json.status, json.phase], ['blocked', 'power']);
    assert.match(json.reason, /not usable: .*401.*nothing was flashed/);
    assert.equal(flashes(), before, 'the flasher never ran');
    execFileSync('xmllint', ['--noout', junit]);
    assert.match(
      readFileSync(junit, 'utf8'),
      /<error message="power control of hut-01 is not usable/,
    );
  } finally {
    writeFileSync(tokenFile, token, { mode: 0o600 });
  }
});

test('an unknown slot is bad input (exit 2), and CI still gets a JUnit file saying so', async () => {
  const junit = join(t.dir, 'unknown.xml');
  const r = await t.hutctl([
    'hil',
    'run',
    '--sha',
    'c0ffee1234567',
    '--slot',
    'hut-99',
    '--junit',
    junit,
  ]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /no slot 'hut-99' is configured/);
  execFileSync('xmllint', ['--noout', junit]);
  assert.match(
    readFileSync(junit, 'utf8'),
    /errors="1"[\s\S]*no slot &apos;hut-99&apos;|errors="1"[\s\S]*no slot 'hut-99'/,
  );
});

test('on GitHub Actions: annotations on stdout and the counts in $GITHUB_OUTPUT', async () => {
  const board = t.farm.boards.get('hut-01')!;
  board.mode = 'panic';
  const output = join(t.dir, 'github-output');
  try {
    const r = await t.hutctl(['hil', 'run', '--sha', 'c0ffee1234567', '--slot', 'hut-01'], {
      env: {
        GITHUB_ACTIONS: 'true',
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: join(t.dir, 'summary.md'),
      },
    });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^::error title=HW-BOOT-001 hut-01 fail \(boot\)::panic/m);
    assert.equal(
      readFileSync(output, 'utf8'),
      'result=fail\npassed=0\nfailed=1\nblocked=0\nskipped=0\n',
    );
  } finally {
    board.mode = 'normal';
  }
});
