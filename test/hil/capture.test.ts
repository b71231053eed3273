/**
 * The boot log reader on its own: a simulated board's real PTY read by hutctl's own process
 * (with the keeper setting the line, and without it), a port that goes away mid-read, and paths
 * that are not serial ports.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { captureBoot } from '../../src/hil/serial.ts';
import { READY_MARKER, SimBoard } from '../../src/sim/index.ts';
import { tempDir } from '../support/cli.ts';

let dir: string;
let board: SimBoard;
before(() => {
  dir = tempDir('hutctl-capture-');
  board = new SimBoard('hut-01', dir, 'usb-capture-if00');
});
after(async () => {
  await board.powerOff();
  board.close();
});

const options = { marker: new RegExp(READY_MARKER), timeoutMs: 5000, baud: 115200 };

for (const keeper of ['on', 'off']) {
  test(`a board's boot is read to its marker (keeper ${keeper})`, async () => {
    const saved = process.env.HUTCTL_KEEPER;
    if (keeper === 'off') process.env.HUTCTL_KEEPER = 'off';
    try {
      await board.powerOff();
      await board.powerOn();
      const heard = await captureBoot(board.linkPath, options);
      assert.equal(heard.outcome, 'booted', heard.detail ?? '');
      assert.equal(heard.reset_reason, 'POWERON_RESET');
      assert.match(heard.output, new RegExp(READY_MARKER));
    } finally {
      if (saved === undefined) delete process.env.HUTCTL_KEEPER;
      else process.env.HUTCTL_KEEPER = saved;
    }
  });
}

test('a board that loses power while it is read: no_port at once, not at the end of the budget', async () => {
  await board.powerOff();
  board.mode = 'hang';
  try {
    await board.powerOn();
    const heard = captureBoot(board.linkPath, { ...options, timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await board.powerOff();
    const judged = await heard;
    assert.equal(judged.outcome, 'no_port');
    assert.ok(judged.elapsed_ms < 10_000, 'ended when the port went, not at the budget');
    // One line that says what happened, never the boot log itself.
    assert.match(
      judged.detail ?? '',
      /went away while its boot log was read \(board unplugged or powered off\?.*\)(; last output: [^\r\n]*)?$/,
    );
    assert.doesNotMatch(judged.detail ?? '', /[\r\n]/);
  } finally {
    board.mode = 'normal';
  }
});

test('a path that is missing, a file or a FIFO is not read as a port: no_port, one line', async () => {
  const file = join(dir, 'plain');
  writeFileSync(file, 'rst:0x1 (POWERON_RESET)\n');
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  for (const [path, said] of [
    [join(dir, 'nothing'), /cannot read .*ENOENT/],
    [file, /is not a serial port/],
    [fifo, /is not a serial port/],
  ] as const) {
    const judged = await captureBoot(path, options);
    assert.equal(judged.outcome, 'no_port', path);
    assert.match(judged.detail!, said);
    assert.doesNotMatch(judged.detail!, /\n/);
  }
});
