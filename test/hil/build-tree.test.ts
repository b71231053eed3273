/**
 * Real ESP-IDF build layouts through the artifact store: `put --build-dir` stores exactly what
 * flash_args names (at its relative paths) plus the args files, records the app's own identity,
 * `get` reproduces the tree exactly, and the esptool preset takes everything from the build.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import type { PlatformProfile } from '../../src/config/index.ts';
import { flashArgv } from '../../src/hil/flash.ts';
import { runCli, tempDir } from '../support/cli.ts';
import { writeIdfBuild } from '../support/idf-build.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

for (const style of ['v5', 'v6'] as const) {
  test(`${style}: put --build-dir keeps the tree flash_args names, get reproduces it, the app's identity is recorded`, async () => {
    const dir = tempDir();
    const build = writeIdfBuild(join(dir, 'project'), {
      style,
      layout: 'two-ota',
      project: 'squeezelite',
      version: 'v2.0.1-42-gabcdef',
      idfVersion: 'v5.5.5',
    });
    // Things a build directory holds that are not flashed stay out of the artifact.
    writeFileSync(join(build.buildDir, 'squeezelite.elf'), 'not flashed');
    mkdirSync(join(build.buildDir, 'CMakeFiles'));
    writeFileSync(join(build.buildDir, 'CMakeFiles', 'x.o'), 'not flashed');
    const store = join(dir, 'store');
    const put = await runCli(
      [
        'artifact',
        'put',
        SHA,
        '--build-dir',
        build.buildDir,
        '--profile',
        'i2s',
        '--store',
        store,
        '--json',
      ],
      { cwd: dir },
    );
    assert.equal(put.code, 0, put.stderr);
    const manifest = JSON.parse(put.stdout);
    const expected = [
      build.bootloader.path,
      build.partitionTable.path,
      build.app.path,
      ...(build.otadata ? [build.otadata.path] : []),
      'flash_args',
      'flasher_args.json',
    ].sort();
    assert.deepEqual(manifest.files.map((f: { name: string }) => f.name).sort(), expected);
    assert.ok(expected.includes('bootloader/bootloader.bin'));
    assert.deepEqual(manifest.app, {
      file: build.app.path,
      project_name: 'squeezelite',
      version: 'v2.0.1-42-gabcdef',
      idf_ver: 'v5.5.5',
      elf_sha256: build.appDesc.appElfSha256,
    });
    const out = join(dir, 'out');
    const got = await runCli(
      ['artifact', 'get', SHA, '--profile', 'i2s', '--store', store, '--to', out],
      {
        cwd: dir,
      },
    );
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(tree(out), [...expected, 'manifest.json'].sort());
    for (const name of expected)
      assert.deepEqual(readFileSync(join(out, name)), readFileSync(join(build.buildDir, name)));

    // A second put of the same SHA replaces it whole: nothing stale is left.
    const second = writeIdfBuild(join(dir, 'second'), { style, layout: 'factory' });
    assert.equal(
      (
        await runCli(
          [
            'artifact',
            'put',
            SHA,
            '--build-dir',
            second.buildDir,
            '--profile',
            'i2s',
            '--store',
            store,
          ],
          { cwd: dir },
        )
      ).code,
      0,
    );
    const again = join(dir, 'again');
    await runCli(['artifact', 'get', SHA, '--profile', 'i2s', '--store', store, '--to', again], {
      cwd: dir,
    });
    assert.equal(
      tree(again).includes('ota_data_initial.bin'),
      false,
      'no file of the earlier upload',
    );
  });
}

test('the esptool preset: chip, resets and flash settings from the build, @flash_args in the artifact directory', () => {
  const dir = tempDir();
  const profile = (flash: PlatformProfile['flash']): PlatformProfile => ({
    name: 'i2s',
    flash,
    flashBaud: 921600,
    serialReset: true,
    artifact: 'i2s',
    bootMarker: 'ready',
    bootTimeoutSec: 20,
    baud: 115200,
  });
  const v6 = writeIdfBuild(join(dir, 'v6'), { style: 'v6' });
  assert.deepEqual(flashArgv(profile('esptool'), '/dev/ttyUSB0', v6.buildDir), [
    'esptool.py',
    '--chip',
    'esp32',
    '-p',
    '/dev/ttyUSB0',
    '-b',
    '921600',
    '--before',
    'default_reset',
    '--after',
    'hard_reset',
    'write_flash',
    '@flash_args',
  ]);
  // Only flasher_args.json came along: its images and settings, spelled out.
  const json = writeIdfBuild(join(dir, 'json'), { style: 'v5' });
  rmSync(join(json.buildDir, 'flash_args'));
  const argv = flashArgv(profile('esptool'), '/dev/ttyUSB0', json.buildDir);
  assert.deepEqual(argv.slice(argv.indexOf('write_flash')), [
    'write_flash',
    '--flash_mode',
    'dio',
    '--flash_freq',
    '40m',
    '--flash_size',
    '2MB',
    '0x1000',
    'bootloader/bootloader.bin',
    '0x8000',
    'partition_table/partition-table.bin',
    '0x10000',
    json.app.path,
  ]);
});
