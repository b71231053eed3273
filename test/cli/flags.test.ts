/**
 * Flags that take numbers or one of a few words, given hostile values: exit 2 with one line,
 * nothing started, nothing written — never a 1 ms timer from a number too big for Node.
 */

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { runCli } from '../support/cli.ts';
import {
  assertCleanError,
  hostileValue,
  sandbox,
  snapshot,
  writesOutside,
} from '../support/hostile.ts';

const FLAGS: Record<string, (v: string) => string[]> = {
  'slot run --timeout': (v) => ['slot', 'run', 'hut-01', `--timeout=${v}`, '--', 'true'],
  'slot selftest --hold-ms': (v) => ['slot', 'selftest', `--hold-ms=${v}`],
  'delegate --timeout': (v) => ['delegate', 'runner', '--prompt=x', `--timeout=${v}`],
  'delegate --approve': (v) => ['delegate', 'runner', '--prompt=x', `--approve=${v}`],
  'job new --timeout': (v) => [
    'job',
    'new',
    '--role=runner',
    '--lock-key=k',
    `--timeout=${v}`,
    'true',
  ],
  'job new --role': (v) => ['job', 'new', `--role=${v}`, '--lock-key=k', 'true'],
  'sim up --slots': (v) => ['sim', 'up', `--slots=${v}`, '--dir=sim'],
  'sim up --latency-ms': (v) => ['sim', 'up', `--latency-ms=${v}`, '--dir=sim'],
};

const numbersAndWords = fc.oneof(
  hostileValue,
  fc.constantFrom(
    '0',
    '-1',
    '1e10',
    '99999999999999999999',
    'NaN',
    'Infinity',
    '0x10',
    '1.5',
    ' 5',
    '',
  ),
);

test('hostile flag values: exit 2, one line, nothing written', async () => {
  const box = sandbox();
  mkdirSync(box.inside, { recursive: true });
  writeFileSync(
    join(box.inside, 'hutctl.yaml'),
    [
      'paths:',
      `  lock_dir: ${join(box.inside, 'locks')}`,
      `  cancel_dir: ${join(box.inside, 'cancel')}`,
      `  evidence_dir: ${join(box.inside, 'evidence')}`,
      `  state_dir: ${join(box.inside, 'state')}`,
      `  slot_lock_dir: ${join(box.inside, 'slot-locks')}`,
      'targets: {runner: {transport: local, codex: {command: ["false"]}}}',
      'slots:',
      '  hut-01: {serial: /dev/null}',
      '  hut-02: {serial: /dev/null}',
      '',
    ].join('\n'),
  );
  const values = fc
    .sample(numbersAndWords, { numRuns: 8, seed: 31 })
    .filter((v) => !v.includes('\0') && !/[\ud800-\udfff]/.test(v));
  values.push('1e10', '99999999999999999999', '-1');
  const before = snapshot(box.root);
  for (const [name, argv] of Object.entries(FLAGS)) {
    for (const value of values) {
      const result = await runCli(argv(value), { cwd: box.inside });
      try {
        assertCleanError(result, [2]);
      } catch (error) {
        throw new Error(`${name} ${JSON.stringify(value)}: ${(error as Error).message}`);
      }
    }
  }
  assert.deepEqual(writesOutside(before, snapshot(box.root), []), []);
});
