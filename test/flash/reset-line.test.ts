/**
 * The serial reset's port handling: a PTY (every simulated board) has no modem lines, so there
 * is nothing to reset with; a real UART's driver (the machine's 16550, when it has one and we may
 * open it) sees RTS go up for the pulse and come down after it, DTR released throughout.
 */
import assert from 'node:assert/strict';
import { closeSync, constants, openSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TIOCM_DTR, TIOCM_RTS } from '../../src/flash/modem-lines.ts';
import { ResetLine } from '../../src/flash/reset-line.ts';
import { SimBoard } from '../../src/sim/index.ts';
import { tempDir } from '../support/cli.ts';

test('a simulated board on its PTY has no DTR/RTS: open answers null and leaves the port alone', async () => {
  const dir = tempDir('hutctl-reset-');
  const board = new SimBoard('hut-01', dir, 'usb-sim-if00', join(dir, 'flash'));
  await board.powerOn();
  try {
    assert.equal(await ResetLine.open(board.linkPath, 115200), null);
  } finally {
    await board.powerOff();
    board.close();
  }
});

test('a port that is not there is an error the caller sees (ENOENT), not a silent no-op', async () => {
  await assert.rejects(ResetLine.open('/dev/serial/by-id/usb-nothing-here', 115200), {
    code: 'ENOENT',
  });
});

/** The machine's first 8250/16550 UART when it has one with modem lines we may drive. */
function uart(): string | null {
  try {
    closeSync(openSync('/dev/ttyS0', constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK));
    return '/dev/ttyS0';
  } catch {
    return null;
  }
}

test('on a real UART the pulse raises RTS with DTR released, then drops it', async (t) => {
  const path = uart();
  if (!path) return t.skip('no /dev/ttyS0 this user may open');
  const line = await ResetLine.open(path, 115200);
  if (!line) return t.skip(`${path} has no modem lines`);
  try {
    const pulse = line.pulse();
    await sleep(40);
    const during = await line.bits();
    await pulse;
    const afterwards = await line.bits();
    assert.ok(during !== null && afterwards !== null);
    assert.equal(during & TIOCM_RTS, TIOCM_RTS, 'RTS asserted (EN low) during the pulse');
    assert.equal(
      during & TIOCM_DTR,
      0,
      'DTR released (IO0 high): the app boots, not download mode',
    );
    assert.equal(afterwards & TIOCM_RTS, 0, 'RTS released after the pulse');
  } finally {
    line.close();
  }
});
