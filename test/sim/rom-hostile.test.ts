/**
 * Hostile bytes on the serial line — garbage, bad SLIP escapes, truncated and huge packets,
 * packets whose size field lies, every command with random payloads — never crash or wedge the
 * simulated ROM or stub: it answers or ignores them, and answers SYNC afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { flashImages } from '../../src/flash/index.ts';
import {
  buildRequest,
  OP,
  RomLoader,
  SimFlash,
  SYNC_DATA,
  slipEncode,
  slipReadHost,
} from '../../src/sim/esp32/index.ts';
import { SimBoard } from '../../src/sim/index.ts';
import { tempDir } from '../support/cli.ts';
import { RUNS } from '../support/hostile.ts';
import { HostLine } from '../support/serial.ts';

const OPS = [...Object.values(OP), 0x00, 0x01, 0x0c, 0x15, 0x7f, 0xd4, 0xff];

/** One thing a broken or hostile host puts on the line. */
const hostileChunk: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  // A well-framed request with any command, a size field that may lie, any payload.
  fc
    .record({
      op: fc.constantFrom(...OPS),
      data: fc.uint8Array({ maxLength: 120 }),
      checksum: fc.integer({ min: 0, max: 0xffffffff }),
      lie: fc.option(fc.integer({ min: 0, max: 0xffff })),
      direction: fc.constantFrom(0, 0, 0, 1, 0xc0),
    })
    .map(({ op, data, checksum, lie, direction }) => {
      const packet = buildRequest(op, data, checksum);
      packet[0] = direction;
      if (lie !== null) packet.writeUInt16LE(lie, 2);
      return slipEncode(packet);
    }),
  // Plausible commands with plausible words: begin/data/end, registers, reads.
  fc
    .record({
      op: fc.constantFrom(...Object.values(OP)),
      words: fc.array(
        fc.constantFrom(0, 1, 4, 0x400, 0x1000, 0x4000, 0x3ff000, 0x400000, 0xffffffff),
        {
          maxLength: 6,
        },
      ),
      tail: fc.uint8Array({ maxLength: 64 }),
    })
    .map(({ op, words, tail }) => {
      const head = Buffer.alloc(4 * words.length);
      for (const [i, w] of words.entries()) head.writeUInt32LE(w, 4 * i);
      return slipEncode(buildRequest(op, Buffer.concat([head, tail])));
    }),
  fc.constantFrom(
    Buffer.from([0xc0, 0xdb, 0x00, 0x01, 0xc0]), // bad escape
    Buffer.from([0xc0, 0x00, 0x08, 0x24]), // truncated
    Buffer.from([0xc0, 0xc0, 0xc0]),
    Buffer.from([0xdb, 0xdc, 0xdd]),
    Buffer.concat([
      Buffer.from([0xc0]),
      randomBytes(0x6000).map((b) => (b === 0xc0 ? 0 : b)),
      Buffer.from([0xc0]),
    ]), // huge
    slipEncode(Buffer.from('OHAI')),
  ),
);

/** A loader as the board runs it: a new ROM once the chip has left or reset. */
function harness() {
  const out: Buffer[] = [];
  const flash = new SimFlash(null);
  let left = false;
  const make = () =>
    new RomLoader({
      flash,
      mac: Uint8Array.from([0x24, 0x0a, 0xc4, 1, 2, 3]),
      send: (bytes) => out.push(bytes),
      onRunUserCode: () => {
        left = true;
      },
      onReset: () => {
        left = true;
      },
    });
  return { out, make, left: () => left };
}

const stubUpload = Buffer.concat([
  slipEncode(buildRequest(OP.MEM_BEGIN, Buffer.alloc(16))),
  slipEncode(buildRequest(OP.MEM_END, Buffer.from([0, 0, 0, 0, 0x2c, 0x90, 0x0a, 0x40]))),
]);

test('hostile bytes never throw, never wedge: the model answers SYNC afterwards', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.boolean(),
      fc.array(hostileChunk, { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 1, max: 64 }),
      async (stub, chunks, split) => {
        const h = harness();
        let loader = h.make();
        if (stub) loader.receive(stubUpload);
        const all = Buffer.concat(chunks);
        // Delivered in pieces, as a UART's reads cut it.
        for (let at = 0; at < all.length; at += split) loader.receive(all.subarray(at, at + split));
        await loader.idle();
        assert.deepEqual(loader.faults, []);
        if (h.left()) loader = h.make();
        h.out.length = 0;
        loader.receive(
          Buffer.concat([Buffer.from([0xc0]), slipEncode(buildRequest(OP.SYNC, SYNC_DATA))]),
        );
        await loader.idle();
        assert.deepEqual(loader.faults, []);
        const answers = slipReadHost(Buffer.concat(h.out)).packets.filter((p) => p[1] === OP.SYNC);
        assert.ok(
          answers.length >= 8,
          `${answers.length} SYNC answers after ${all.length} hostile bytes`,
        );
        loader.stop();
      },
    ),
    RUNS(300),
  );
});

let dir: string;
let board: SimBoard;
before(async () => {
  dir = tempDir('hutctl-rom-hostile-');
  board = new SimBoard('hut-01', dir, 'usb-sim-if00', join(dir, 'flash'));
  await board.powerOn();
});
after(async () => {
  await board.powerOff();
  board.close();
});

test('a board that was sent garbage on its PTY still flashes', async () => {
  const garbage = fc.sample(hostileChunk, { numRuns: 200, seed: 7 });
  // Written without blocking: the board reads its PTY on this same event loop.
  const line = await HostLine.open(board.linkPath);
  await line.raw(slipEncode(buildRequest(OP.SYNC, SYNC_DATA))); // into download mode first
  for (const chunk of garbage) await line.raw(chunk);
  await line.drain(200);
  await line.close();
  const image = join(dir, 'app.bin');
  writeFileSync(image, randomBytes(64 * 1024));
  const result = await flashImages({
    port: board.linkPath,
    files: [{ offset: 0x10000, path: image }],
  });
  assert.ok(result.files[0]!.verified);
});

test('a board whose output nobody read for a long time (a boot loop left running) still flashes', async () => {
  // 1 MiB the host never read, as a reset loop left for minutes prints it: the board keeps what
  // a UART's buffers would (the rest is lost, as on a board), and the flasher drops what waits
  // (esptool's reset_input_buffer) before it syncs.
  const backlog = Buffer.from(
    'rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\ninvalid header: 0xffffffff\r\n'.repeat(
      12_000,
    ),
  );
  (board as unknown as { send(bytes: Buffer): void }).send(backlog);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const image = join(dir, 'app2.bin');
  writeFileSync(image, randomBytes(64 * 1024));
  const result = await flashImages({
    port: board.linkPath,
    files: [{ offset: 0x20000, path: image }],
  });
  assert.ok(result.files[0]!.verified);
});

test("what the host leaves unread is lost past a UART's buffers, as on a board: the backlog stays bounded", async () => {
  const line = '\r\nrst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n';
  (board as unknown as { send(bytes: Buffer): void }).send(Buffer.from(line.repeat(40_000)));
  await new Promise((resolve) => setTimeout(resolve, 300));
  const fd = openSync(
    board.linkPath,
    constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK,
  );
  let total = 0;
  try {
    const chunk = Buffer.alloc(65536);
    for (let quiet = 0; quiet < 20; ) {
      try {
        const n = readSync(fd, chunk);
        total += n;
        quiet = n === 0 ? quiet + 1 : 0;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        quiet++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  } finally {
    closeSync(fd);
  }
  // 64 KiB held by the board, plus what socat and the pty hold: far below the 2.3 MiB printed.
  assert.ok(total > 0, 'some of it reached the host');
  assert.ok(total < 512 * 1024, `${total} bytes reached the host`);
});
