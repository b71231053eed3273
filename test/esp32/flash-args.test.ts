/** flash_args and flasher_args.json (§3.1, §3.2): both spellings, and hostile content. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isHutError } from '../../src/errors/index.ts';
import { type FlashArgs, parseFlashArgs, parseFlasherArgsJson } from '../../src/esp32/index.ts';
import { hostileString, hostileValue, RUNS } from '../support/hostile.ts';

/** §3.1's example, as IDF v5 writes it for partitions_two_ota.csv. */
const FLASH_ARGS_V5 = `--flash_mode dio --flash_freq 40m --flash_size 2MB
0x1000 bootloader/bootloader.bin
0x10000 hello_world.bin
0x8000 partition_table/partition-table.bin
0xd000 ota_data_initial.bin
`;

/** §3.2's real file (pytest-embedded's IDF v5.0.1 hello_world), in ESP-IDF's layout. */
const FLASHER_ARGS_V5 = `{
    "write_flash_args" : [ "--flash_mode", "dio",
                           "--flash_size", "2MB",
                           "--flash_freq", "40m" ],
    "flash_settings" : {
        "flash_mode": "dio",
        "flash_size": "2MB",
        "flash_freq": "40m"
    },
    "flash_files" : {
        "0x1000" : "bootloader/bootloader.bin",
        "0x10000" : "hello_world.bin",
        "0x8000" : "partition_table/partition-table.bin"
    },
    "bootloader" : { "offset" : "0x1000", "file" : "bootloader/bootloader.bin", "encrypted" : "false" },
    "app" : { "offset" : "0x10000", "file" : "hello_world.bin", "encrypted" : "false" },
    "partition-table" : { "offset" : "0x8000", "file" : "partition_table/partition-table.bin", "encrypted" : "false" },
    "extra_esptool_args" : {
        "after"  : "hard_reset",
        "before" : "default_reset",
        "stub"   : true,
        "chip"   : "esp32"
    }
}
`;

const v6 = (text: string) =>
  text
    .replaceAll('--flash_', '--flash-')
    .replace('hard_reset', 'hard-reset')
    .replace('default_reset', 'default-reset');

type Fields = Record<string, unknown>;
/** flasher_args.json as a test edits it. */
interface FlasherJson {
  write_flash_args: unknown[];
  flash_settings?: Fields;
  flash_files: Fields;
  app: Fields;
  extra_esptool_args: Fields;
}

/** The one-line ARTIFACT error `fn` throws; its message. */
function artifactError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isHutError(error), `not a HutError: ${(error as Error)?.stack}`);
    assert.equal(error.code, 'ARTIFACT');
    assert.doesNotMatch(error.message, /[\n\r\u2028\u2029]/, 'one line');
    return error.message;
  }
  assert.fail('no error');
}

describe('flash_args', () => {
  test('v5 and v6 spellings read alike: settings from line 1, files sorted by offset', () => {
    const expected = {
      settings: { flashMode: 'dio', flashSize: '2MB', flashFreq: '40m' },
      files: [
        { offset: 0x1000, path: 'bootloader/bootloader.bin' },
        { offset: 0x8000, path: 'partition_table/partition-table.bin' },
        { offset: 0xd000, path: 'ota_data_initial.bin' },
        { offset: 0x10000, path: 'hello_world.bin' },
      ],
      images: [],
      chip: null,
      before: null,
      after: null,
      stub: null,
    } satisfies FlashArgs;
    assert.deepEqual(parseFlashArgs(FLASH_ARGS_V5), expected);
    assert.deepEqual(parseFlashArgs(v6(FLASH_ARGS_V5)), expected);
    assert.deepEqual(parseFlashArgs(FLASH_ARGS_V5.replaceAll('\n', '\r\n')), expected);
  });

  test('tokens as shlex splits them; --opt=value and short forms; no options line means keep', () => {
    const args = parseFlashArgs(
      `-fm=qio --flash-freq=80m -fs 4MB\n0x10000 'my app.bin'\n  0x1000\t"boot\\"loader.bin"  \n\n0x9000 a\\ b.bin\n`,
    );
    assert.deepEqual(args.settings, { flashMode: 'qio', flashSize: '4MB', flashFreq: '80m' });
    assert.deepEqual(
      args.files.map((f) => f.path),
      ['boot"loader.bin', 'a b.bin', 'my app.bin'],
    );
    assert.deepEqual(parseFlashArgs('0x10000 app.bin\n').settings, {
      flashMode: 'keep',
      flashSize: 'keep',
      flashFreq: 'keep',
    });
    assert.equal(
      parseFlashArgs('65536 app.bin').files[0]!.offset,
      0x10000,
      'decimal, as int(x, 0)',
    );
  });

  test('hostile lines are one-line ARTIFACT errors naming file and line', () => {
    const cases: [string, RegExp][] = [
      [
        '--flash_mode dio\n0x10000 ../x.bin',
        /^flash_args:2: image path "\.\.\/x\.bin" holds '\.\.'/,
      ],
      ['0x10000 /etc/passwd', /^flash_args:1: image path "\/etc\/passwd" is absolute/],
      [
        '0x10000 a.bin\n0x10000 b.bin',
        /^flash_args:2: Detected overlap at address: 0x10000 for file: "b\.bin"$/,
      ],
      ['0xzz app.bin', /^flash_args:1: "0xzz" is not a flash offset/],
      ['-0x10 app.bin', /^flash_args:1: unknown option "-0x10"/],
      [
        '0x8000000 app.bin',
        /^flash_args:1: offset "0x8000000" is beyond the largest flash \(0x8000000\)$/,
      ],
      [`0x${'f'.repeat(40)} app.bin`, /is not a flash offset/],
      ['010 app.bin', /is not a flash offset/],
      ['0x10000', /^flash_args:1: offset 0x10000 has no file after it$/],
      ['', /^flash_args: names no image to flash$/],
      ['--flash_mode', /^flash_args:1: --flash_mode has no value$/],
      [
        '--flash_mode xio\n0x0 a',
        /^flash_args:1: --flash_mode "xio" is not one of qio, qout, dio, dout, keep$/,
      ],
      ['--flash_mode dio --flash-mode qio', /^flash_args:1: --flash-mode is given twice$/],
      ['--encrypt\n0x0 a', /^flash_args:1: unknown option "--encrypt"/],
      ['0x0 a\n@more_args', /^flash_args:2: "@more_args": nested @file arguments are refused$/],
      ["0x10000 'app.bin", /^flash_args:1: No closing quotation$/],
      ['0x10000 app.bin\\', /^flash_args:1: No escaped character$/],
      ['0x10000 "a\nb.bin"', /^flash_args:1: No closing quotation$/],
      ['0x10000 a\\\tb\u0007.bin', /holds a control character$/],
      ['0x10000 C:\\\\app.bin', /holds a backslash$/],
    ];
    for (const [text, expected] of cases)
      assert.match(
        artifactError(() => parseFlashArgs(text)),
        expected,
        text,
      );
    assert.match(
      artifactError(() => parseFlashArgs('0x0 ../x', 'build/flash_args')),
      /^build\/flash_args:1: /,
    );
  });

  test('property: any path is either kept as given (a clean relative one) or a one-line ARTIFACT error', () => {
    const quote = (s: string) => `'${s.replaceAll("'", `'"'"'`)}'`;
    fc.assert(
      fc.property(hostileValue, (path) => {
        let args: FlashArgs;
        try {
          args = parseFlashArgs(`--flash_mode dio\n0x10000 ${quote(path)}\n`);
        } catch {
          artifactError(() => parseFlashArgs(`--flash_mode dio\n0x10000 ${quote(path)}\n`));
          return;
        }
        assert.equal(args.files[0]!.path, path);
        assert.ok(!path.split('/').includes('..') && !path.startsWith('/'));
      }),
      RUNS(500),
    );
  });

  test('property: any text is flash args or a one-line ARTIFACT error', () => {
    const line = fc.oneof(
      hostileString(),
      fc.constantFrom('0x1000 a.bin', '--flash_mode dio', '0x8000 b/c.bin', "'", '"', '\\'),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), (lines) => {
        const text = lines.join('\n');
        try {
          const args = parseFlashArgs(text);
          assert.ok(args.files.length > 0);
        } catch {
          artifactError(() => parseFlashArgs(text));
        }
      }),
      RUNS(1000),
    );
  });
});

describe('flasher_args.json', () => {
  test('the real v5 file: settings, files by offset, per-image entries, extra args in dash spelling', () => {
    const args = parseFlasherArgsJson(FLASHER_ARGS_V5);
    assert.deepEqual(args, {
      settings: { flashMode: 'dio', flashSize: '2MB', flashFreq: '40m' },
      files: [
        { offset: 0x1000, path: 'bootloader/bootloader.bin' },
        { offset: 0x8000, path: 'partition_table/partition-table.bin' },
        { offset: 0x10000, path: 'hello_world.bin' },
      ],
      images: [
        { name: 'bootloader', offset: 0x1000, path: 'bootloader/bootloader.bin', encrypted: false },
        { name: 'app', offset: 0x10000, path: 'hello_world.bin', encrypted: false },
        {
          name: 'partition-table',
          offset: 0x8000,
          path: 'partition_table/partition-table.bin',
          encrypted: false,
        },
      ],
      chip: 'esp32',
      before: 'default-reset',
      after: 'hard-reset',
      stub: true,
    } satisfies FlashArgs);
    assert.deepEqual(parseFlasherArgsJson(v6(FLASHER_ARGS_V5)), args, 'v6 spelling, same meaning');
  });

  test('stub false, no extra args, encrypted images, no write_flash_args', () => {
    const json = JSON.parse(FLASHER_ARGS_V5);
    json.extra_esptool_args = { after: 'no_reset', stub: false };
    json.app.encrypted = 'true';
    delete json.write_flash_args;
    const args = parseFlasherArgsJson(JSON.stringify(json));
    assert.deepEqual(
      [args.after, args.before, args.stub, args.chip],
      ['no-reset', null, false, null],
    );
    assert.equal(args.images.find((i) => i.name === 'app')!.encrypted, true);
    delete json.extra_esptool_args;
    assert.equal(parseFlasherArgsJson(JSON.stringify(json)).stub, null);
  });

  test('hostile content is a one-line ARTIFACT error naming the file and JSON key', () => {
    const edit = (change: (json: FlasherJson) => void) => {
      const json: FlasherJson = JSON.parse(FLASHER_ARGS_V5);
      change(json);
      return JSON.stringify(json);
    };
    const cases: [string, RegExp][] = [
      ['{"flash_files": ', /^flasher_args\.json: malformed JSON: /],
      ['[]', /^flasher_args\.json: \$: /],
      ['{"flash_files": {"0x0": "a"}}\n\n\u0000', /^flasher_args\.json: malformed JSON: /],
      [
        edit((j) => (j.flash_files['0x10000'] = '../../etc/passwd')),
        /\$\.flash_files\["0x10000"\]: image path "\.\.\/\.\.\/etc\/passwd" holds '\.\.'/,
      ],
      [edit((j) => (j.flash_files['0x10000'] = '/abs.bin')), /is absolute/],
      [
        edit((j) => (j.flash_files['0x10000'] = 7)),
        /^flasher_args\.json: \$\.flash_files\["0x10000"\]: /,
      ],
      [
        edit((j) => (j.flash_files = { '0x1000': 'a.bin', '4096': 'b.bin' })),
        /Detected overlap at address: 0x1000 for file: "(a|b)\.bin"/,
      ],
      [
        edit((j) => (j.flash_files = { 'not-hex': 'a.bin' })),
        /\$\.flash_files\["not-hex"\]: "not-hex" is not a flash offset/,
      ],
      [
        edit((j) => (j.flash_files = {})),
        /^flasher_args\.json: \$\.flash_files: names no image to flash$/,
      ],
      [edit((j) => delete j.flash_settings), /^flasher_args\.json: \$\.flash_settings: /],
      [
        edit((j) => (j.flash_settings!.flash_size = '3MB')),
        /\$\.flash_settings\.flash_size: flash_size "3MB" is not one of/,
      ],
      [
        edit((j) => (j.write_flash_args[1] = 'qio')),
        /\$\.write_flash_args\[0\]: --flash_mode qio disagrees with flash_settings \(dio\)$/,
      ],
      [
        edit((j) => (j.write_flash_args = ['--erase-all'])),
        /\$\.write_flash_args\[0\]: unknown option "--erase-all"$/,
      ],
      [
        edit((j) => (j.app.file = 'other.bin')),
        /^flasher_args\.json: \$\["app"\]: names other\.bin at 0x10000, but flash_files has "hello_world\.bin" there$/,
      ],
      [edit((j) => (j.app.file = '../x.bin')), /\$\["app"\]: image path "\.\.\/x\.bin"/],
      [edit((j) => (j.app.encrypted = true)), /^flasher_args\.json: \$\["app"\]\.encrypted: /],
      [edit((j) => (j.app.offset = 65536)), /^flasher_args\.json: \$\["app"\]\.offset: /],
      [
        edit((j) => (j.extra_esptool_args.before = 'reboot_now')),
        /\$\.extra_esptool_args\.before: "reboot_now" is not one of default-reset/,
      ],
      [
        edit((j) => (j.extra_esptool_args.chip = 'esp32; rm -rf /')),
        /\$\.extra_esptool_args\.chip: expected a chip name/,
      ],
      [edit((j) => (j.extra_esptool_args.stub = 'yes')), /\$\.extra_esptool_args\.stub: /],
    ];
    for (const [text, expected] of cases)
      assert.match(
        artifactError(() => parseFlasherArgsJson(text)),
        expected,
        text,
      );
  });

  test('__proto__ and friends are keys like any other', () => {
    const text = `{"flash_settings": {"flash_mode": "dio", "flash_size": "2MB", "flash_freq": "40m"},
      "flash_files": {"__proto__": "a.bin", "0x1000": "b.bin"}}`;
    assert.match(
      artifactError(() => parseFlasherArgsJson(text)),
      /"__proto__" is not a flash offset/,
    );
    const entry = `{"flash_settings": {"flash_mode": "dio", "flash_size": "2MB", "flash_freq": "40m"},
      "flash_files": {"0x1000": "b.bin"}, "__proto__": {"offset": "0x1000", "file": "c.bin"}}`;
    assert.match(
      artifactError(() => parseFlasherArgsJson(entry)),
      /\$\["__proto__"\]: names c\.bin/,
    );
    assert.equal(({} as Record<string, unknown>).offset, undefined, 'no prototype was touched');
  });

  test('property: any value in any slot is flash args or a one-line ARTIFACT error', () => {
    const slots = ['flash_files', 'offset', 'file', 'mode', 'chip', 'after'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...slots), hostileValue, (slot, value) => {
        const json = JSON.parse(FLASHER_ARGS_V5);
        if (slot === 'flash_files') json.flash_files['0x10000'] = value;
        if (slot === 'offset') json.flash_files = { [value]: 'a.bin' };
        if (slot === 'file') json.app.file = value;
        if (slot === 'mode') json.flash_settings.flash_mode = value;
        if (slot === 'chip') json.extra_esptool_args.chip = value;
        if (slot === 'after') json.extra_esptool_args.after = value;
        const text = JSON.stringify(json);
        try {
          parseFlasherArgsJson(text);
        } catch {
          artifactError(() => parseFlasherArgsJson(text));
        }
      }),
      RUNS(1000),
    );
  });
});
