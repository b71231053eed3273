/**
 * Flags that take numbers or one of a few words, given hostile values: exit 2 with one line,
 * nothing started, nothing written — never a 1 ms timer from a number too big for Node.
 */

import { test } from 'node:test';
import fc from 'fast-check';
import { argvSafe, hostileValue, refusedEverywhere } from '../support/hostile.ts';

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
  const values = fc.sample(numbersAndWords, { numRuns: 8, seed: 31 }).filter(argvSafe);
  values.push('1e10', '99999999999999999999', '-1');
  await refusedEverywhere(FLAGS, values);
});
