/**
 * A simulated board's PTY relay (socat, started through the keeper or forked without it): the
 * link exists exactly while the board is powered, a power-off during a power-on leaves no relay
 * behind, and bytes pass both ways.
 */
import assert from 'node:assert/strict';
import { existsSync, realpathSync } from 'node:fs';
import { after, test } from 'node:test';
import { captureBoot } from '../../src/hil/serial.ts';
import { READY_MARKER, SimBoard } from '../../src/sim/index.ts';
import { processesMatching, tempDir, waitFor } from '../support/cli.ts';

/** socat processes relaying `link` (pgrep -f: a regular expression of their command line). */
const relaysFor = (link: string) => processesMatching(`^socat .*link=${link}`);

const boards: SimBoard[] = [];
after(async () => {
  for (const board of boards) {
    await board.powerOff();
    board.close();
  }
});

for (const keeper of ['on', 'off']) {
  test(`keeper ${keeper}: the link exists while powered; off while still switching on leaves no relay`, async () => {
    const saved = process.env.HUTCTL_KEEPER;
    if (keeper === 'off') process.env.HUTCTL_KEEPER = 'off';
    try {
      const dir = tempDir('hutctl-relay-');
      const board = new SimBoard(`hut-0${boards.length + 1}`, dir, `usb-relay-${keeper}-if00`);
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
      await board.powerOff();
      assert.ok(!existsSync(board.linkPath));
      await waitFor(async () => (await relaysFor(board.linkPath)) === 0, 'the relay to end', 3000);
      // Switched off before the relay finished starting: nothing of it stays.
      const on = board.powerOn();
      await board.powerOff();
      await on;
      await waitFor(
        async () => (await relaysFor(board.linkPath)) === 0,
        'the late relay to end',
        3000,
      );
      assert.ok(!existsSync(board.linkPath), 'no link for a board that is off');
      await board.powerOn();
      assert.equal(await relaysFor(board.linkPath), 1);
    } finally {
      if (saved === undefined) delete process.env.HUTCTL_KEEPER;
      else process.env.HUTCTL_KEEPER = saved;
    }
  });
}
