/**
 * The boot marker is matched by RE2 (re2js): in time linear in the boot log, so a marker that
 * backtracks for ever in JavaScript cannot hold a run, its slot and its signals (JavaScript's
 * engine would not return from these at all: the test's timeout, not a time limit, says so).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BEFORE_THE_APP, bootMarkerProblem, compileBootMarker } from '../../src/hil/marker.ts';

test('markers that backtrack catastrophically in JavaScript answer at once', {
  timeout: 10_000,
}, () => {
  const log = `${'I (29) boot: ESP-IDF v5.5 2nd stage bootloader\n'.repeat(200)}${'a'.repeat(50_000)}`;
  for (const source of ['(a+)+$!', '^([\\w:,]|[\\w:,])*!$', 'app_init(.|.)*!', '(x+x+)+y']) {
    const marker = compileBootMarker(source);
    assert.equal(marker.test(log), false, source);
  }
  assert.equal(
    compileBootMarker('squeezelite-esp32: ready').test('x\nI (9) squeezelite-esp32: ready\n'),
    true,
  );
});

test('no early line passes the default marker, and every early line is refused as a marker of its own', () => {
  assert.equal(bootMarkerProblem('app_main|Returned from app_main|ready'), null);
  for (const line of BEFORE_THE_APP) {
    const literal = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(
      bootMarkerProblem(literal) ?? '',
      /which an ESP32 prints before its app runs/,
      line,
    );
  }
  assert.throws(() => compileBootMarker('('), /not a regular expression hutctl can match/);
  // What matches nothing of the app: an empty line, a line end (boards send \r\n).
  for (const source of ['(?m)^$', 'x?', '\\r', '\\s', 'a|'])
    assert.match(bootMarkerProblem(source) ?? '', /matches an empty line or a line end/, source);
  // What a blank or damaged flash makes the ROM and the bootloader say.
  for (const source of ['(?i)invalid header', 'csum err', 'RTCWDT', 'No bootable', 'E \\('])
    assert.match(
      bootMarkerProblem(source) ?? '',
      /which an ESP32 prints before its app runs/,
      source,
    );
});
