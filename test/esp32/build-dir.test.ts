/** Reading an ESP-IDF build directory: which args file, what to store, and what is refused. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isHutError } from '../../src/errors/index.ts';
import { readBuildFlashArgs } from '../../src/esp32/index.ts';
import { tempDir } from '../support/cli.ts';
import { writeIdfBuild } from '../support/idf-build.ts';

function refused(buildDir: string): string {
  try {
    readBuildFlashArgs(buildDir);
  } catch (error) {
    assert.ok(isHutError(error), String(error));
    assert.equal(error.code, 'ARTIFACT');
    assert.doesNotMatch(error.message, /[\n\r]/);
    return error.message;
  }
  assert.fail('accepted');
}

describe('readBuildFlashArgs', () => {
  test('flasher_args.json first; the images and both args files are what to store', () => {
    const build = writeIdfBuild(tempDir(), { layout: 'two-ota' });
    writeFileSync(join(build.buildDir, 'hello_world.elf'), 'not stored');
    const args = readBuildFlashArgs(build.buildDir);
    assert.equal(args.source, 'flasher_args.json');
    assert.deepEqual(args.store, [
      'bootloader/bootloader.bin',
      'flash_args',
      'flasher_args.json',
      'hello_world.bin',
      'ota_data_initial.bin',
      'partition_table/partition-table.bin',
    ]);
    assert.deepEqual(args.store, build.files);
    assert.deepEqual(
      args.files.map((f) => [f.offset, f.path]),
      [
        [0x1000, 'bootloader/bootloader.bin'],
        [0x8000, 'partition_table/partition-table.bin'],
        [0xd000, 'ota_data_initial.bin'],
        [0x10000, 'hello_world.bin'],
      ],
    );
    assert.deepEqual(args.images.map((i) => i.name).sort(), [
      'app',
      'bootloader',
      'otadata',
      'partition-table',
    ]);
    assert.deepEqual(
      [args.chip, args.before, args.after, args.stub],
      ['esp32', 'default-reset', 'hard-reset', true],
    );
  });

  test('flash_args alone when there is no flasher_args.json (v6 spelling)', () => {
    const build = writeIdfBuild(tempDir(), { style: 'v6' });
    rmSync(join(build.buildDir, 'flasher_args.json'));
    const args = readBuildFlashArgs(build.buildDir);
    assert.equal(args.source, 'flash_args');
    assert.deepEqual(args.settings, { flashMode: 'dio', flashSize: '2MB', flashFreq: '40m' });
    assert.equal(args.chip, null);
    assert.ok(!args.store.includes('flasher_args.json'));
    assert.ok(args.store.includes('flash_args'));
  });

  test('flash_args and flasher_args.json that disagree are refused (esptool flashes one, hutctl reads the other)', () => {
    const build = writeIdfBuild(tempDir());
    const path = join(build.buildDir, 'flash_args');
    writeFileSync(
      path,
      readFileSync(path, 'utf8').replace('0x10000 hello_world.bin', '0x20000 hello_world.bin'),
    );
    assert.match(
      refused(build.buildDir),
      /flasher_args\.json and flash_args disagree: 0x10000 "hello_world\.bin" against 0x20000 "hello_world\.bin"$/,
    );
    writeFileSync(path, readFileSync(path, 'utf8').replace('--flash_size 2MB', '--flash_size 4MB'));
    assert.match(refused(build.buildDir), /disagree: --flash-mode dio --flash-size 2MB/);
  });

  test('a missing image, an empty one, a directory, a symlink out of the build, a symlinked args file', () => {
    const build = writeIdfBuild(tempDir());
    const dir = build.buildDir;
    rmSync(join(dir, 'hello_world.bin'));
    assert.match(
      refused(dir),
      /flasher_args\.json: \$\.flash_files\["0x10000"\]: "hello_world\.bin" does not exist in /,
    );
    writeFileSync(join(dir, 'hello_world.bin'), '');
    assert.match(
      refused(dir),
      /"hello_world\.bin" is empty \(an ESP-IDF build never writes an empty image\)$/,
    );
    rmSync(join(dir, 'hello_world.bin'));
    mkdirSync(join(dir, 'hello_world.bin'));
    assert.match(refused(dir), /"hello_world\.bin" is not a regular file$/);
    rmSync(join(dir, 'hello_world.bin'), { recursive: true });
    const outside = join(dir, '..', 'outside.bin');
    writeFileSync(outside, 'secret');
    symlinkSync(outside, join(dir, 'hello_world.bin'));
    assert.match(refused(dir), /"hello_world\.bin" leads outside .* \(a symbolic link\)$/);

    const other = writeIdfBuild(tempDir());
    const json = join(other.buildDir, 'flasher_args.json');
    writeFileSync(join(other.buildDir, 'real.json'), readFileSync(json));
    rmSync(json);
    symlinkSync('real.json', json);
    assert.match(refused(other.buildDir), /flasher_args\.json is a symbolic link \(refused\)$/);
  });

  test("esptool's overlap rule with real sizes: no two images in one sector", () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'one_kb.bin'), new Uint8Array(1024));
    writeFileSync(join(dir, 'one_kb_b.bin'), new Uint8Array(1024));
    writeFileSync(join(dir, 'big.bin'), new Uint8Array(0x1001));
    const flash = (text: string) => {
      writeFileSync(join(dir, 'flash_args'), text);
      return readBuildFlashArgs(dir);
    };
    // esptool's own test cases: 1 KiB at 0xd00 and 0x1d00 share the sector at 0x1000.
    flash('0x0 one_kb.bin\n0x2000 one_kb_b.bin\n');
    assert.throws(
      () => flash('0xd00 one_kb.bin\n0x1d00 one_kb_b.bin\n'),
      /flash_args:2: Detected overlap at address: 0x1d00 for file: "one_kb_b\.bin"$/,
    );
    assert.throws(
      () => flash('0x0 big.bin\n0x1000 one_kb.bin\n'),
      /Detected overlap at address: 0x1000/,
    );
    flash('0x0 big.bin\n0x2000 one_kb.bin\n');
    // Listed out of order, still checked in address order.
    assert.throws(
      () => flash('0x1000 one_kb.bin\n0x0 big.bin\n'),
      /flash_args:1: Detected overlap at address: 0x1000/,
    );
  });

  test('an args file larger than 64 KiB, a FIFO, no args at all, no directory', () => {
    const build = writeIdfBuild(tempDir());
    writeFileSync(join(build.buildDir, 'flasher_args.json'), '');
    truncateSync(join(build.buildDir, 'flasher_args.json'), 10 * 1024 * 1024);
    assert.match(
      refused(build.buildDir),
      /flasher_args\.json: 10\.0 MiB is more than the 64\.0 KiB such a file may have$/,
    );

    const fifo = writeIdfBuild(tempDir());
    rmSync(join(fifo.buildDir, 'flash_args'));
    execFileSync('mkfifo', [join(fifo.buildDir, 'flash_args')]);
    assert.match(
      refused(fifo.buildDir),
      /flash_args: not a regular file$/,
      'read without blocking',
    );

    const empty = tempDir();
    assert.match(refused(empty), /has neither flasher_args\.json nor flash_args/);
    assert.match(refused(join(empty, 'nope')), /not a build directory/);
  });

  test('a hostile path in flash_args is refused before anything is opened', () => {
    const dir = tempDir();
    for (const [path, expected] of [
      ['../../etc/passwd', /image path "\.\.\/\.\.\/etc\/passwd" holds '\.\.'/],
      ['/etc/passwd', /is absolute/],
      ['a//b.bin', /empty or '\.' segment/],
    ] as const) {
      writeFileSync(join(dir, 'flash_args'), `--flash_mode dio\n0x10000 ${path}\n`);
      assert.match(refused(dir), expected);
    }
  });
});
