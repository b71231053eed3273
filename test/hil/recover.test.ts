/** The escalation after a silent boot: serial reset, then power cycle, each its own event. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Judged, recoveredBy, recoverFromHang } from '../../src/hil/recover.ts';

const judged = (
  outcome: 'booted' | 'panic' | 'reset_loop' | 'hang',
  detail: string | null = null,
): Judged => ({
  outcome,
  detail,
  reset_reason: null,
  resets: 0,
  elapsed_ms: 1,
  output: '',
});

/** Steps that answer in turn and record what was asked of them. */
function steps(serial: (Judged | null)[] | null, power: Judged[] | null) {
  const asked: string[] = [];
  const notes: string[] = [];
  return {
    asked,
    notes,
    steps: {
      serialReset: serial
        ? async () => {
            asked.push('serial-reset');
            return serial.shift()!;
          }
        : null,
      powerCycle: power
        ? async () => {
            asked.push('power-cycle');
            return power.shift()!;
          }
        : null,
      note: (line: string) => void notes.push(line),
    },
  };
}

test('a board that boots after the serial reset is never power-cycled', async () => {
  const s = steps([judged('booted')], [judged('booted')]);
  const r = await recoverFromHang(judged('hang', 'no output at all'), s.steps);
  assert.deepEqual(s.asked, ['serial-reset']);
  assert.equal(r.judged.outcome, 'booted');
  assert.deepEqual(r.events, [{ phase: 'serial-reset', outcome: 'booted', detail: null }]);
  assert.equal(recoveredBy(r.events), ' (after a serial reset)');
  assert.match(s.notes[0]!, /no boot marker \(no output at all\); recovery: a serial reset/);
});

test('still silent after the serial reset: a power cycle, two events in order', async () => {
  const s = steps([judged('hang', 'last output: x')], [judged('booted')]);
  const r = await recoverFromHang(judged('hang'), s.steps);
  assert.deepEqual(s.asked, ['serial-reset', 'power-cycle']);
  assert.deepEqual(
    r.events.map((e) => [e.phase, e.outcome]),
    [
      ['serial-reset', 'hang'],
      ['power-cycle', 'booted'],
    ],
  );
  assert.equal(recoveredBy(r.events), ' (after a serial reset and a power cycle)');
});

test('a port without DTR/RTS: the serial reset is recorded as unsupported and the power cycle follows', async () => {
  const s = steps([null], [judged('hang', 'no output at all')]);
  const r = await recoverFromHang(judged('hang'), s.steps);
  assert.deepEqual(s.asked, ['serial-reset', 'power-cycle']);
  assert.deepEqual(
    r.events.map((e) => [e.phase, e.outcome]),
    [
      ['serial-reset', 'unsupported'],
      ['power-cycle', 'hang'],
    ],
  );
  assert.equal(r.judged.outcome, 'hang');
  assert.equal(recoveredBy(r.events), ' (after a power cycle)');
});

test("a panic or a reset loop after the serial reset is the firmware's answer: no power cycle", async () => {
  for (const outcome of ['panic', 'reset_loop'] as const) {
    const s = steps([judged(outcome, 'Guru Meditation Error')], [judged('booted')]);
    const r = await recoverFromHang(judged('hang'), s.steps);
    assert.deepEqual(s.asked, ['serial-reset']);
    assert.equal(r.judged.outcome, outcome);
  }
});

test('only a hang is recovered, and a slot with neither reset keeps its verdict', async () => {
  for (const outcome of ['booted', 'panic', 'reset_loop'] as const) {
    const s = steps([judged('booted')], [judged('booted')]);
    const r = await recoverFromHang(judged(outcome), s.steps);
    assert.deepEqual(s.asked, []);
    assert.deepEqual(r.events, []);
  }
  const none = steps(null, null);
  const r = await recoverFromHang(judged('hang', 'no output at all'), none.steps);
  assert.equal(r.judged.outcome, 'hang');
  assert.deepEqual(r.events, []);
  assert.equal(recoveredBy(r.events), '');
});
