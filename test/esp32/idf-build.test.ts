/**
 * The generated ESP-IDF builds of test/support/idf-build.ts hold what a real build holds. The
 * expected values below are facts read off the real IDF v5.0.1 hello_world build that
 * pytest-embedded keeps as a test fixture (reference §3.2, §4.1–§4.4).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  checkImage,
  checkPartitionTable,
  parseImage,
  parseOtadata,
  parsePartitionTable,
  readAppDescription,
  readBootloaderDescription,
  readBuildFlashArgs,
  selectBootPartition,
} from '../../src/esp32/index.ts';
import { tempDir } from '../support/cli.ts';
import { type IdfBuild, writeIdfBuild } from '../support/idf-build.ts';

const read = (build: IdfBuild, path: string) => readFileSync(join(build.buildDir, path));

/** The real build's settings, descriptions and sizes. */
const HELLO_WORLD = {
  version: 'qa-test-v5.0.2-20230428-283-g96c4ec8df2',
  idfVersion: 'v5.0.1-751-g96c4ec8df2',
  time: '12:51:54',
  date: 'Jun  8 2023',
  appSize: 180064,
  bootloaderDesc: false,
} as const;

describe('a generated build is a real one', () => {
  test('the app: 5 segments, DROM first at 0x3F400020, entry 0x400811F4, DIO/2MB/40m, rev ≤ v3.99, checksum and SHA good', () => {
    const build = writeIdfBuild(tempDir(), HELLO_WORLD);
    const app = read(build, 'hello_world.bin');
    assert.equal(app.length, 180064);
    const image = parseImage(app)!;
    assert.equal(image.segmentCount, 5);
    assert.deepEqual(
      [image.segments[0]!.loadAddr, image.segments[0]!.dataOffset],
      [0x3f400020, 0x20],
    );
    assert.deepEqual(
      image.segments.map((s) => s.loadAddr >>> 16),
      [0x3f40, 0x3ffb, 0x4008, 0x400d, 0x4008],
      'DROM, DRAM, IRAM, IROM, IRAM',
    );
    assert.equal(image.segments[3]!.dataOffset, 0x10020, 'IROM keeps its 64 KiB phase');
    assert.equal(image.entry, 0x400811f4);
    assert.deepEqual([app[2], app[3]], [2, 0x10]);
    assert.equal(image.maxChipRevFull, 399);
    assert.equal(image.hashAppended, true);
    assert.deepEqual(checkImage(app, { chipId: 0, offset: 0x10000, partitionSize: 0x100000 }), []);
    assert.deepEqual(
      build.appImage.segments,
      image.segments.map((s) => ({ addr: s.loadAddr, length: s.length })),
    );
  });

  test('the app description: hello_world, the version cut to 31 bytes, time, date, IDF version', () => {
    const build = writeIdfBuild(tempDir(), HELLO_WORLD);
    const desc = readAppDescription(read(build, 'hello_world.bin'))!;
    assert.equal(desc.projectName, 'hello_world');
    assert.equal(desc.version, 'qa-test-v5.0.2-20230428-283-g96');
    assert.equal(desc.time, '12:51:54');
    assert.equal(desc.date, 'Jun  8 2023');
    assert.equal(desc.idfVer, 'v5.0.1-751-g96c4ec8df2');
    assert.deepEqual(desc, build.appDesc);
    assert.equal(
      read(build, 'hello_world.bin').subarray(0xb0, 0xd0).toString('hex'),
      desc.appElfSha256,
    );
  });

  test('the partition table: nvs 0x9000/0x6000, phy_init 0xf000/0x1000, factory 0x10000/1M, MD5 at 0x60, end at 0x80', () => {
    const build = writeIdfBuild(tempDir(), HELLO_WORLD);
    const bytes = read(build, 'partition_table/partition-table.bin');
    assert.equal(bytes.length, 3072);
    const table = parsePartitionTable(bytes)!;
    assert.deepEqual(
      table.partitions.map((p) => [p.label, p.offset, p.size]),
      [
        ['nvs', 0x9000, 0x6000],
        ['phy_init', 0xf000, 0x1000],
        ['factory', 0x10000, 0x100000],
      ],
    );
    assert.deepEqual([table.md5!.offset, table.end], [0x60, 0x80]);
    assert.deepEqual(checkPartitionTable(bytes, { flashSize: 0x200000 }), []);
  });

  test('flasher_args.json in ESP-IDF layout, key for key: v5 and v6', () => {
    const v5 = writeIdfBuild(tempDir(), HELLO_WORLD);
    const text = read(v5, 'flasher_args.json').toString();
    const keys = [...text.matchAll(/^ {4}"([^"]+)" :/gm)].map((m) => m[1]);
    assert.deepEqual(keys, [
      'write_flash_args',
      'flash_settings',
      'flash_files',
      'bootloader',
      'app',
      'partition-table',
      'extra_esptool_args',
    ]);
    for (const line of [
      '    "write_flash_args" : [ "--flash_mode", "dio",',
      '                           "--flash_size", "2MB",',
      '                           "--flash_freq", "40m" ],',
      '        "flash_mode": "dio",',
      '        "0x1000" : "bootloader/bootloader.bin",',
      '    "app" : { "offset" : "0x10000", "file" : "hello_world.bin", "encrypted" : "false" },',
      '        "after"  : "hard_reset",',
      '        "before" : "default_reset",',
      '        "stub"   : true,',
      '        "chip"   : "esp32"',
    ])
      assert.ok(text.split('\n').includes(line), line);
    assert.ok(text.endsWith('    }\n}\n'));
    assert.equal(
      read(v5, 'flash_args').toString(),
      '--flash_mode dio --flash_freq 40m --flash_size 2MB\n0x1000 bootloader/bootloader.bin\n0x10000 hello_world.bin\n0x8000 partition_table/partition-table.bin\n',
    );

    const v6 = writeIdfBuild(tempDir(), { ...HELLO_WORLD, style: 'v6' });
    const six = read(v6, 'flasher_args.json').toString();
    assert.deepEqual([...six.matchAll(/^ {4}"([^"]+)" :/gm)].map((m) => m[1]).slice(3, 6), [
      'bootloader',
      'partition-table',
      'app',
    ]);
    assert.match(six, /"--flash-mode", "dio",/);
    assert.match(six, /"after" {2}: "hard-reset",/);
    assert.match(
      read(v6, 'flash_args').toString(),
      /^--flash-mode dio --flash-freq 40m --flash-size 2MB\n/,
    );
  });

  test('the bootloader: the three loads of §5.1, entry 0x400805f0, and its description', () => {
    const build = writeIdfBuild(tempDir(), {
      idfVersion: 'v5.5.4',
      date: 'Mar 31 2026',
      time: '12:02:40',
    });
    const bytes = read(build, 'bootloader/bootloader.bin');
    const image = parseImage(bytes)!;
    assert.deepEqual(
      image.segments.map((s) => [s.loadAddr, s.length]),
      [
        [0x3fff0030, 1344],
        [0x40078000, 13964],
        [0x40080400, 3600],
      ],
    );
    assert.equal(image.entry, 0x400805f0);
    assert.deepEqual(checkImage(bytes, { chipId: 0, offset: 0x1000 }), []);
    assert.deepEqual(readBootloaderDescription(bytes), {
      secureVersion: 0,
      version: 1,
      idfVer: 'v5.5.4',
      dateTime: 'Mar 31 2026 12:02:40',
    });
    assert.equal(
      readBootloaderDescription(
        read(writeIdfBuild(tempDir(), HELLO_WORLD), 'bootloader/bootloader.bin'),
      ),
      null,
    );
  });

  test('two OTA: otadata at 0xd000 is ota_data_initial.bin, and the bootloader boots factory', () => {
    const build = writeIdfBuild(tempDir(), { layout: 'two-ota' });
    assert.deepEqual(build.otadata, { offset: 0xd000, path: 'ota_data_initial.bin' });
    assert.equal(build.settings.flashSize, '4MB');
    const otadata = read(build, 'ota_data_initial.bin');
    assert.equal(otadata.length, 0x2000);
    assert.ok(otadata.every((b) => b === 0xff));
    const table = parsePartitionTable(read(build, 'partition_table/partition-table.bin'))!;
    const choice = selectBootPartition(table.partitions, parseOtadata(otadata));
    assert.equal(choice.log, 'Defaulting to factory image');
    assert.equal(choice.tries[0]!.offset, build.app.offset);
    assert.match(read(build, 'flash_args').toString(), /\n0xd000 ota_data_initial\.bin\n$/);
  });

  test('a 1 MiB app fills the 1 MiB factory partition exactly; 16 bytes more do not fit', () => {
    const build = writeIdfBuild(tempDir(), { appSize: 1 << 20 });
    const app = read(build, 'hello_world.bin');
    assert.equal(app.length, 1 << 20);
    assert.deepEqual(checkImage(app, { partitionSize: 0x100000 }), []);
    const bigger = read(writeIdfBuild(tempDir(), { appSize: (1 << 20) + 16 }), 'hello_world.bin');
    assert.deepEqual(checkImage(bigger, { partitionSize: 0x100000 }), [
      "Image length 1048592 doesn't fit in partition length 1048576",
    ]);
    assert.throws(() => writeIdfBuild(tempDir(), { appSize: 4096 }), RangeError);
  });

  test('one seed, one build; another seed, other bytes', () => {
    const a = writeIdfBuild(tempDir(), { seed: 7 });
    const b = writeIdfBuild(tempDir(), { seed: 7 });
    const c = writeIdfBuild(tempDir(), { seed: 8 });
    for (const path of a.files) assert.deepEqual(read(a, path), read(b, path), path);
    assert.notDeepEqual(read(a, 'hello_world.bin'), read(c, 'hello_world.bin'));
    assert.deepEqual(read(a, 'flasher_args.json'), read(c, 'flasher_args.json'));
  });
});

describe('damaged builds are caught', () => {
  test('each corruption is found, with the bootloader words for it', () => {
    const cases = [
      [
        'app-segment',
        'hello_world.bin',
        /^Checksum failed\. Calculated 0x[0-9a-f]+ read 0x[0-9a-f]+$/,
      ],
      ['app-checksum', 'hello_world.bin', /^Checksum failed\./],
      ['bootloader-magic', 'bootloader/bootloader.bin', /^image at 0x1000 has invalid magic byte/],
      ['partition-md5', 'partition_table/partition-table.bin', /^Incorrect MD5 checksum$/],
    ] as const;
    for (const [corrupt, path, expected] of cases) {
      const build = writeIdfBuild(tempDir(), { corrupt });
      assert.equal(build.corruption!.path, path);
      const bytes = read(build, path);
      const problems = path.endsWith('partition-table.bin')
        ? checkPartitionTable(bytes)
        : checkImage(bytes, { chipId: 0, offset: path.startsWith('boot') ? 0x1000 : 0x10000 });
      assert.match(problems[0] ?? '', expected, corrupt);
      if (corrupt.startsWith('app'))
        assert.equal(problems[1], 'Image hash failed - image is corrupt');
      // The build still names its files correctly: flashing tools would take it.
      assert.equal(readBuildFlashArgs(build.buildDir).files.length, 3);
    }
  });

  test('an image for another chip: mismatch chip ID', () => {
    const build = writeIdfBuild(tempDir(), { chipId: 5 });
    assert.deepEqual(checkImage(read(build, 'hello_world.bin'), { chipId: 0 }), [
      'mismatch chip ID, expected 0, found 5',
    ]);
  });
});
