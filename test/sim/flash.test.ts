/**
 * The built-in flasher (esptool-js) against the simulated ROM on a real PTY: three images of
 * realistic sizes at 0x1000/0x8000/0x10000, read back byte for byte from the board's flash
 * file, with and without the stub and compression; MD5 verification; a corrupted block; power
 * cycles; a flasher killed mid-write.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isHutError } from '../../src/errors/index.ts';
import { type FlashFile, type FlashImagesOptions, flashImages } from '../../src/flash/index.ts';
import type { SimBoard } from '../../src/sim/index.ts';
import { finished, tempDir } from '../support/cli.ts';
import { startTestFarm, type TestFarm } from '../support/farm.ts';

let t: TestFarm;
let board: SimBoard;
let images: { file: FlashFile; bytes: Buffer }[];

/** A bootloader, a partition table and an app of the sizes an ESP-IDF build has. */
function makeImages(dir: string, appSize = 180_000): { file: FlashFile; bytes: Buffer }[] {
  return [
    [0x1000, 26_640],
    [0x8000, 3072],
    [0x10000, appSize],
  ].map(([offset, size]) => {
    const bytes = randomBytes(size!);
    const path = join(dir, `image-${offset!.toString(16)}.bin`);
    writeFileSync(path, bytes);
    return { file: { offset: offset!, path }, bytes };
  });
}

const flashFile = () => readFileSync(join(t.dir, 'flash', 'hut-01.bin'));

function assertFlashHolds(expected: { file: FlashFile; bytes: Buffer }[]): void {
  const flash = flashFile();
  for (const { file, bytes } of expected) {
    const got = flash.subarray(file.offset, file.offset + bytes.length);
    assert.ok(got.equals(bytes), `flash at 0x${file.offset.toString(16)} holds the image`);
  }
}

const flash = (options: Partial<FlashImagesOptions> = {}) =>
  flashImages({ port: board.linkPath, files: images.map((i) => i.file), ...options });

before(async () => {
  t = await startTestFarm(1);
  board = t.farm.boards.get('hut-01')!;
  images = makeImages(tempDir('hutctl-images-'));
});
after(async () => {
  await t.stop();
});

for (const stub of [true, false]) {
  for (const compress of [true, false]) {
    test(`three images land byte for byte and verify (${stub ? 'stub' : 'ROM only'}, ${compress ? 'compressed' : 'uncompressed'})`, async () => {
      // A cold start: the last test's stub may still run (a PTY cannot reset the chip).
      await board.powerOff();
      await board.powerOn();
      images = makeImages(tempDir('hutctl-images-'));
      const result = await flash({ stub, compress });
      assertFlashHolds(images);
      assert.equal(result.chip, 'ESP32-D0WDQ6-V3 (revision 3)');
      assert.match(result.mac, /^24:0a:c4(:[0-9a-f]{2}){3}$/);
      assert.equal(result.flash_size, '4MB');
      assert.equal(result.stub, stub);
      assert.equal(result.compressed, compress);
      assert.deepEqual(
        result.files.map((f) => [f.offset, f.verified]),
        [
          [0x1000, true],
          [0x8000, true],
          [0x10000, true],
        ],
      );
      assert.equal(
        result.bytes_written,
        images.reduce((n, i) => n + i.bytes.length, 0),
      );
      assert.equal(result.reset.done, false, 'a PTY has no RTS: the chip was not reset');
      assert.match(result.warnings.join('\n'), /Chip was NOT reset/);
    });
  }
}

test('a block corrupted on the way is retried; corrupted every time, it fails with the ROM error 0x07', async () => {
  board.corruptBlocks(1);
  await flash({ stub: false, compress: false });
  assertFlashHolds(images);
  board.corruptBlocks(3); // esptool-js tries each block three times
  await board.powerOff();
  await board.powerOn();
  const error = await flash({ stub: false, compress: false }).then(
    () => assert.fail('the flash succeeded'),
    (e: unknown) => e,
  );
  assert.ok(isHutError(error), String(error));
  assert.equal(error.code, 'FLASH');
  assert.match(error.message, /at block 0: checksum error \(0x07\)$/);
  assert.doesNotMatch(error.message, /\n/);
});

test('power cycles keep the flash, and a board back on flashes again', async () => {
  await board.powerOff();
  await board.powerOn();
  images = makeImages(tempDir('hutctl-images-'));
  await flash();
  const before = flashFile();
  const cycle = await t.hutctl(['power', 'cycle', 'hut-01', '--force']);
  assert.equal(cycle.code, 0, cycle.stderr);
  assert.ok(flashFile().equals(before));
  assert.equal(board.downloadMode, false, 'a power-on leaves download mode');
  const result = await flash({ compress: false });
  assert.ok(result.files.every((f) => f.verified));
  assertFlashHolds(images);
});

test('a flasher killed mid-write leaves a board that the next flash recovers', async () => {
  const dir = tempDir('hutctl-images-');
  const big = makeImages(dir, 2 * 1024 * 1024);
  const script = join(dir, 'flash.ts');
  const module = fileURLToPath(new URL('../../src/flash/index.ts', import.meta.url));
  writeFileSync(
    script,
    `import { flashImages } from ${JSON.stringify(module)};
await flashImages({ port: ${JSON.stringify(board.linkPath)}, files: ${JSON.stringify(big.map((i) => i.file))},
  compress: false, progress: (p) => { if (p.phase === 'write' && p.file === 2 && p.done > 200000) console.log('writing'); } });
console.log('done');`,
  );
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const result = finished(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.includes('writing')) resolve();
      if (chunk.includes('done')) reject(new Error('the flash ended before it was killed'));
    });
  });
  child.kill('SIGKILL');
  assert.equal((await result).signal, 'SIGKILL');
  // The stub is still running on the board, half way through a download.
  assert.equal(board.downloadMode, true);
  images = makeImages(tempDir('hutctl-images-'));
  const again = await flash();
  assert.ok(again.files.every((f) => f.verified));
  assertFlashHolds(images);
});

test('a port with nothing answering gives one line that says what to check', async () => {
  const dir = tempDir('hutctl-silent-');
  const link = join(dir, 'silent');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${link}`, 'EXEC:sleep 30'], {
    stdio: 'ignore',
  });
  try {
    for (let i = 0; i < 100 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 10));
    const error = await flashImages({
      port: link,
      files: images.map((i) => i.file),
      connectAttempts: 1,
    }).then(
      () => assert.fail('flashed a port with nothing on it'),
      (e: unknown) => e,
    );
    assert.ok(isHutError(error), String(error));
    assert.equal(error.code, 'CONNECT');
    assert.equal(
      error.message,
      `no answer from the ROM on ${link} (is the board powered? in download mode?)`,
    );
  } finally {
    socat.kill();
  }
  const gone = await flashImages({ port: join(dir, 'unplugged'), files: [images[0]!.file] }).catch(
    (e: unknown) => e,
  );
  assert.ok(isHutError(gone));
  assert.match(gone.message, /does not exist \(board unplugged or powered off\?\)$/);
});

test('hutctl flash write: the built CLI flashes a simulated board and reports JSON', async () => {
  await board.powerOff();
  await board.powerOn();
  images = makeImages(tempDir('hutctl-images-'));
  const pairs = images.flatMap((i) => [`0x${i.file.offset.toString(16)}`, i.file.path]);
  const result = await t.hutctl(['flash', 'write', board.linkPath, ...pairs, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.deepEqual(
    report.files.map((f: { verified: boolean }) => f.verified),
    [true, true, true],
  );
  assertFlashHolds(images);
  const odd = await t.hutctl(['flash', 'write', board.linkPath, '0x1000']);
  assert.equal(odd.code, 2);
  assert.match(odd.stderr, /^hutctl: expected pairs of <offset> <file>/);
});

test('a device or a FIFO given as an image is refused before anything is read', async () => {
  const { readImages } = await import('../../src/flash/images.ts');
  await assert.rejects(readImages([{ offset: 0x10000, path: '/dev/zero' }]), {
    message: '"/dev/zero" is not a regular file; nothing was flashed',
  });
});
