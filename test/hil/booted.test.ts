/** What the board says it booted, read from real ESP-IDF boot log lines (v4 and v5, coloured or not). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootedApp, bootMismatch } from '../../src/hil/booted.ts';

const V5 = [
  '\u001b[0;32mI (31) boot: ESP-IDF v5.5.5 2nd stage bootloader\u001b[0m',
  '\u001b[0;32mI (250) app_init: Application information:\u001b[0m',
  '\u001b[0;32mI (255) app_init: Project name:     squeezelite\u001b[0m',
  '\u001b[0;32mI (260) app_init: App version:      v2.0.1-42-gabcdef\u001b[0m',
  '\u001b[0;32mI (265) app_init: Compile time:     Jun  8 2023 12:51:54\u001b[0m',
  '\u001b[0;32mI (270) app_init: ELF file SHA256:  0123456789abcdef...\u001b[0m',
  '\u001b[0;32mI (275) app_init: ESP-IDF:          v5.5.5\u001b[0m',
].join('\r\n');
const V4 =
  'I (31) cpu_start: Project name:     hello_world\nI (35) cpu_start: App version:      1.0\nI (40) cpu_start: ESP-IDF:          v4.4.7\n';

test('the app identity is read from IDF 5 (app_init, coloured, CRLF) and IDF 4 (cpu_start) logs', () => {
  assert.deepEqual(bootedApp(V5), {
    project_name: 'squeezelite',
    version: 'v2.0.1-42-gabcdef',
    idf_ver: 'v5.5.5',
  });
  assert.deepEqual(bootedApp(V4), {
    project_name: 'hello_world',
    version: '1.0',
    idf_ver: 'v4.4.7',
  });
  assert.equal(
    bootedApp('I (1) main_task: Calling app_main()\n'),
    null,
    'a quiet log says nothing',
  );
});

test('old firmware booting after a "successful" flash is a mismatch; unknown either side is not', () => {
  const expected = {
    file: 'app.bin',
    project_name: 'squeezelite',
    version: 'v2.0.2',
    idf_ver: 'v5.5.5',
    elf_sha256: '0'.repeat(64),
  };
  assert.equal(
    bootMismatch(bootedApp(V5), expected),
    "the board booted version v2.0.1-42-gabcdef (the artifact's is v2.0.2)",
  );
  assert.equal(bootMismatch(bootedApp(V5), { ...expected, version: 'v2.0.1-42-gabcdef' }), null);
  assert.equal(bootMismatch(null, expected), null);
  assert.equal(bootMismatch(bootedApp(V5), undefined), null);
});
