/**
 * A simulated board's PTY relay (socat, started through the keeper or forked without it): the
 * link exists exactly while the board is powered, a board has one relay at a time (its spare
 * while off, the one it publishes while on), a power-off during a power-on leaves no relay
 * behind, and bytes pass both ways.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { after, test } from 'node:test';
import { captureBoot } from '../../src/hil/serial.ts';
import { READY_MARKER, SimBoard } from '../../src/sim/index.ts';
import { processesMatching, tempDir, waitFor } from '../support/cli.ts';

/** socat processes relaying for board `slot` (pgrep -f: a regular expression of their command line). */
const relaysFor = (slot: string) => processesMatching(`^socat .*link=.*/${slot}-[0-9]+[.]pty `);
const one = async (board: SimBoard, what: string) =>
  waitFor(async () => (await relaysFor(board.slot)) === 1, what, 3000);

const boards: SimBoard[] = [];
after(async () => {
  for (const board of boards) {
    await board.powerOff();
    board.close();
  }
});

/** The PTY of the board's one relay, as socat links it. */
function ptyOf(board: SimBoard): string {
  const pattern = `^socat .*link=.*/${board.slot}-[0-9]+[.]pty `;
  const listed = spawnSync('pgrep', ['-af', pattern], { encoding: 'utf8' }).stdout;
  const link = /link=(\S+)/.exec(listed)?.[1];
  assert.ok(link, `no relay for ${board.slot}`);
  return realpathSync(link);
}

for (const keeper of ['on', 'off']) {
  test(`keeper ${keeper}: the link exists while powered; off while still switching on leaves no relay`, async () => {
    const saved = process.env.HUTCTL_KEEPER;
    if (keeper === 'off') process.env.HUTCTL_KEEPER = 'off';
    try {
      const dir = tempDir('hutctl-relay-');
      const board = new SimBoard(`relay-${process.pid}-${keeper}`, dir, `usb-relay-${keeper}-if00`);
      boards.push(board);
      await board.powerOn();
      assert.ok(existsSync(board.linkPath));
      assert.match(realpathSync(board.linkPath), /^\/dev\/pts\/\d+$/);
      const heard = await captureBoot(board.linkPath, {
        marker: new RegExp(READY_MARKER),
        timeoutMs: 5000,
        baud: 115200,
      });
      assert.equal(heard.outcome, 'booted', heard.detail ?? '');
      const pts = realpathSync(board.linkPath);
      await board.powerOff();
      assert.ok(!existsSync(board.linkPath));
      // Its relay ended (the board's one socat is now the spare, whose PTY is not published).
      await one(board, 'the relay to end and the spare to start');
      assert.notEqual(ptyOf(board), pts);
      // Switched off before the relay finished starting: nothing of it stays.
      const on = board.powerOn();
      await board.powerOff();
      await on;
      await one(board, 'the late relay to end');
      assert.ok(!existsSync(board.linkPath), 'no link for a board that is off');
      await board.powerOn();
      assert.equal(await relaysFor(board.slot), 1);
      assert.equal(realpathSync(board.linkPath), ptyOf(board));
      // Its spare killed while it is off: the next power-on starts another and links it.
      await board.powerOff();
      await one(board, 'the spare to start');
      spawnSync('pkill', ['-f', `^socat .*link=.*/${board.slot}-[0-9]+[.]pty `]);
      await waitFor(async () => (await relaysFor(board.slot)) === 0, 'the spare to die', 3000);
      await board.powerOn();
      assert.match(realpathSync(board.linkPath), /^\/dev\/pts\/\d+$/);
      assert.equal(realpathSync(board.linkPath), ptyOf(board));
    } finally {
      if (saved === undefined) delete process.env.HUTCTL_KEEPER;
      else process.env.HUTCTL_KEEPER = saved;
    }
  });
}
