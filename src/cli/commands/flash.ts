/** `hutctl flash write`: the built-in flasher (esptool-js) on a serial port. */
import type { Command } from 'commander';
import { HutError, quoteValue } from '../../errors/index.ts';
import { withExamples } from '../help.ts';
import { wholeNumber } from '../numbers.ts';
import { note, printJson, printLine } from '../output.ts';

const BEFORE = ['default_reset', 'usb_reset', 'no_reset'] as const;
const AFTER = ['hard_reset', 'soft_reset', 'no_reset', 'no_reset_stub'] as const;

export function register(program: Command): void {
  const flash = program
    .command('flash')
    .description("the built-in flasher (Espressif's esptool-js)");
  withExamples(
    flash
      .command('write')
      .description('write images to an ESP32 on a serial port, then check each one by MD5')
      .argument('<port>', 'the serial port (a /dev/serial/by-id link, or {port} in slot run)')
      .argument('<offset-and-file...>', 'pairs: 0x1000 bootloader.bin 0x8000 partition-table.bin …')
      .option('--baud <n>', 'baud rate once the stub runs', '460800')
      .option('--no-compress', 'send the images uncompressed')
      .option('--no-verify', 'skip the MD5 check')
      .option('--no-stub', 'talk to the ROM only (no flasher stub)')
      .option('--before <how>', BEFORE.join(' | '), 'default_reset')
      .option('--after <how>', AFTER.join(' | '), 'hard_reset')
      .option('--json', 'print the result as JSON'),
    [
      ['hutctl flash write /dev/ttyUSB0 0x10000 app.bin', 'write the app and check it by MD5'],
      [
        'hutctl flash write /dev/ttyUSB0 0x1000 bootloader.bin 0x10000 app.bin',
        'the bootloader and the app',
      ],
      [
        'hutctl flash write /dev/ttyUSB0 0x10000 app.bin --no-stub --after soft_reset',
        'talk to the ROM only, then run the new app',
      ],
    ],
  ).action(async (port: string, pairs: string[], options: FlashFlags) => {
    const { flashImages } = await import('../../flash/index.ts');
    const files = parsePairs(pairs);
    if (!(BEFORE as readonly string[]).includes(options.before))
      throw new HutError(
        'USAGE',
        `--before ${quoteValue(options.before)}: expected ${BEFORE.join(', ')}`,
      );
    if (!(AFTER as readonly string[]).includes(options.after))
      throw new HutError(
        'USAGE',
        `--after ${quoteValue(options.after)}: expected ${AFTER.join(', ')}`,
      );
    const result = await flashImages({
      port,
      files,
      baud: wholeNumber(options.baud, '--baud', 9600, 5_000_000),
      compress: options.compress,
      verify: options.verify,
      stub: options.stub,
      before: options.before as (typeof BEFORE)[number],
      after: options.after as (typeof AFTER)[number],
      log: options.json ? undefined : (line) => note(line),
    });
    if (options.json) return printJson(result);
    for (const file of result.files) {
      printLine(
        `0x${file.offset.toString(16).padStart(5, '0')} ${file.path}: ${file.size} bytes, md5 ${file.md5}${file.verified ? ' (verified)' : ''}`,
      );
    }
    printLine(
      `${result.chip}, MAC ${result.mac}, flash ${result.flash_size ?? result.flash_id}: ${result.bytes_written} bytes in ${result.duration_ms} ms`,
    );
  });
}

interface FlashFlags {
  baud: string;
  compress: boolean;
  verify: boolean;
  stub: boolean;
  before: string;
  after: string;
  json?: boolean;
}

function parsePairs(pairs: string[]): { offset: number; path: string }[] {
  if (pairs.length % 2 !== 0)
    throw new HutError('USAGE', 'expected pairs of <offset> <file> (an offset without a file?)');
  const files = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const text = pairs[i]!;
    if (!/^(0x[0-9a-fA-F]{1,8}|\d{1,10})$/.test(text))
      throw new HutError('USAGE', `offset ${quoteValue(text)}: expected a number such as 0x10000`);
    files.push({ offset: Number(text), path: pairs[i + 1]! });
  }
  return files;
}
