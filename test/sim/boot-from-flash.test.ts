import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { bootFromFlash, type FlashReader } from '../../src/sim/esp32/boot.ts';
import { type IdfBuildOptions, writeIdfBuild } from '../support/idf-build.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A 4 MiB flash holding what `flash_args` of a generated build places, erased elsewhere. */
function flashOf(options: IdfBuildOptions, edit?: (flash: Buffer) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'boot-'));
  dirs.push(dir);
  const build = writeIdfBuild(dir, options);
  const flash = Buffer.alloc(0x400000, 0xff);
  for (const file of [build.bootloader, build.partitionTable, build.app, build.otadata])
    if (file) readFileSync(join(build.buildDir, file.path)).copy(flash, file.offset);
  edit?.(flash);
  const reader: FlashReader = {
    view: (offset, length) =>
      offset + length > flash.length ? null : flash.subarray(offset, offset + length),
  };
  return { build, boot: bootFromFlash(reader) };
}

const plain = (lines: string[]) => lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));

describe('a simulated ESP32 boots what its flash holds', () => {
  test('a factory build: the ROM loads the bootloader segments, which loads the app it names', () => {
    const { build, boot } = flashOf({
      project: 'squeezelite',
      version: 'v2.1.0-7-gabc',
      idfVersion: 'v5.5.5',
    });
    assert.equal(boot.outcome, 'app');
    const loads = boot.lines.filter((l) => l.startsWith('load:'));
    assert.deepEqual(
      loads,
      build.bootloaderImage.segments.map(
        (s) => `load:0x${s.addr.toString(16).padStart(8, '0')},len:${s.length}`,
      ),
    );
    assert.ok(boot.lines.includes('entry 0x400805f0'));
    assert.match(boot.lines.join('\n'), /^I \(\d+\) boot: ESP-IDF v5\.5\.5 2nd stage bootloader$/m);
    assert.match(
      boot.lines.join('\n'),
      /boot: {2}2 factory {10}factory app {6}00 00 00010000 00100000$/m,
    );
    assert.equal(
      boot.lines.filter((l) => / esp_image: segment \d+: paddr=/.test(l)).length,
      build.appImage.segments.length,
    );
    const log = boot.lines.join('\n');
    assert.match(log, /boot: Loaded app from partition at offset 0x10000$/m);
    assert.match(log, /app_init: Project name: {5}squeezelite$/m);
    assert.match(log, /app_init: App version: {6}v2\.1\.0-7-gabc$/m);
    assert.match(
      log,
      new RegExp(`ELF file SHA256:  ${build.appDesc.appElfSha256.slice(0, 16)}\\.\\.\\.$`, 'm'),
    );
    assert.match(log, /main_task: Calling app_main\(\)$/m);
    assert.ok(!log.includes('\x1b'), 'IDF v5.4 and later log without colour');
  });

  test('IDF v5.0 logs in colour and its bootloader carries no description', () => {
    const { boot } = flashOf({ idfVersion: 'v5.0.1', bootloaderDesc: false });
    assert.equal(boot.outcome, 'app');
    assert.match(
      boot.lines.find((l) => l.includes('Loaded app'))!,
      /^\x1b\[0;32mI \(\d+\) boot: .*\x1b\[0m$/,
    );
    assert.ok(!boot.lines.some((l) => l.includes('2nd stage bootloader')));
    assert.ok(plain(boot.lines).some((l) => /app_init: ESP-IDF: +v5\.0\.1$/.test(l)));
  });

  test('IDF 4.x printed the application information under cpu_start', () => {
    const { boot } = flashOf({ idfVersion: 'v4.4.7', project: 'old' });
    assert.ok(plain(boot.lines).some((l) => /cpu_start: Project name: +old$/.test(l)));
  });

  test('two OTA slots with erased otadata boot the factory app', () => {
    const { boot } = flashOf({ layout: 'two-ota' });
    const log = plain(boot.lines).join('\n');
    assert.match(log, /boot: Defaulting to factory image$/m);
    assert.match(log, /OTA data +01 00 0000d000 00002000$/m);
    assert.equal(boot.outcome, 'app');
  });

  test('an erased chip prints invalid header and resets', () => {
    const { boot } = flashOf({}, (flash) => flash.fill(0xff));
    assert.equal(boot.outcome, 'reset');
    assert.ok(boot.lines.every((l) => l === 'invalid header: 0xffffffff'));
  });

  test('a bootloader with a wrong magic byte', () => {
    const { boot } = flashOf({ corrupt: 'bootloader-magic' });
    assert.equal(boot.outcome, 'reset');
    assert.match(boot.lines[0]!, /^invalid header: 0x[0-9a-f]{8}$/);
  });

  test('a damaged bootloader segment fails the ROM checksum', () => {
    const { build, boot } = flashOf({}, () => {});
    const offset = 0x1000 + build.bootloaderImage.segments.length * 8 + 24 + 40;
    const again = flashOf({}, (flash) => {
      flash[offset]! ^= 0x01;
    }).boot;
    assert.equal(boot.outcome, 'app');
    assert.equal(again.outcome, 'reset');
    assert.equal(again.reset, 'rst:0x10 (RTCWDT_RTC_RESET)');
    assert.match(again.lines.at(-2)!, /^csum err:0x[0-9a-f]{2}!=0x[0-9a-f]{2}$/);
  });

  test('a damaged app segment: the segment lines, the checksum error, nothing bootable', () => {
    const { boot } = flashOf({ corrupt: 'app-segment' });
    const log = plain(boot.lines).join('\n');
    assert.equal(boot.outcome, 'reset');
    assert.equal(boot.reset, 'rst:0x3 (SW_RESET)');
    assert.match(
      log,
      /E \(\d+\) esp_image: (Checksum failed\. Calculated 0x[0-9a-f]+ read 0x[0-9a-f]+|Image hash failed - image is corrupt)$/m,
    );
    assert.match(log, /boot: Factory app partition is not bootable$/m);
    assert.match(log, /boot: No bootable app partitions in the partition table$/m);
    assert.ok(!log.includes('app_main'));
  });

  test('a partition table with a wrong MD5 is refused before any app is tried', () => {
    const { boot } = flashOf({ corrupt: 'partition-md5' });
    const log = plain(boot.lines).join('\n');
    assert.equal(boot.outcome, 'reset');
    assert.match(log, /flash_parts: Incorrect MD5 checksum$/m);
    assert.match(log, /boot: Failed to verify partition table$/m);
    assert.ok(!log.includes('esp_image'));
  });

  test('an app built for another chip is not booted', () => {
    const { boot } = flashOf({ chipId: 9 });
    // The bootloader carries the same chip id; the ROM does not check it, the bootloader does.
    assert.match(
      plain(boot.lines).join('\n'),
      /esp_image: mismatch chip ID, expected 0, found 9$/m,
    );
    assert.equal(boot.outcome, 'reset');
  });

  test('generated garbage in the flash never throws and always ends in app or reset', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const { boot } = flashOf({ seed }, (flash) => {
        let x = seed * 2654435761;
        for (let i = 0; i < 64; i++) {
          x = (x * 1103515245 + 12345) >>> 0;
          const at = [0x1000, 0x8000, 0x10000][i % 3]! + (x % 0x400);
          flash[at] = x >>> 24;
        }
      });
      assert.ok(boot.outcome === 'app' || boot.outcome === 'reset');
      assert.ok(boot.lines.length > 0);
    }
  });
});
