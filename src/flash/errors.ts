/** esptool-js's errors, said as one line that names the port and what to do. */
import { HutError } from '../errors/index.ts';

const STATUS_NAMES = new Map<number, string>([
  [0x05, 'invalid message'],
  [0x06, 'wrong result'],
  [0x07, 'checksum error'],
  [0x08, 'flash write error'],
  [0x09, 'flash read error'],
  [0x0a, 'read length error'],
  [0x0b, 'deflate failed'],
  [0x0c, 'deflate Adler32 error'],
  [0x0d, 'deflate parameter error'],
  [0xc0, 'bad data length'],
  [0xc1, 'bad data checksum'],
  [0xc2, 'bad block size'],
  [0xc3, 'invalid command'],
  [0xc4, 'SPI operation failed'],
  [0xc5, 'SPI unlock failed'],
  [0xc6, 'not in flash mode'],
  [0xc7, 'inflate error'],
  [0xc8, 'not enough data'],
  [0xc9, 'too much data'],
  [0xff, 'command not implemented'],
]);

/** The name of a status error code from the ROM or the stub. */
export function statusName(code: number): string {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  const name = STATUS_NAMES.get(code);
  return name ? `${name} (${hex})` : `error ${hex}`;
}

/** What went wrong while connecting, given what the port heard. */
export function connectError(port: string, heard: string): HutError {
  const boot = /boot:(0x[0-9a-fA-F]+)(?![\s\S]*waiting for download)/.exec(heard);
  if (heard.includes('waiting for download')) {
    return new HutError('CONNECT', `the ROM on ${port} waits for download but does not answer`, {
      hint: 'the serial TX path seems to be down: check the wiring and the baud rate',
    });
  }
  if (boot) {
    return new HutError(
      'CONNECT',
      `the chip on ${port} booted normally (boot:${boot[1]}), not into download mode`,
      { hint: 'hold BOOT (GPIO0) low while resetting it, or check the auto-reset circuit' },
    );
  }
  return new HutError(
    'CONNECT',
    `no answer from the ROM on ${port} (is the board powered? in download mode?)`,
  );
}

/** An esptool-js failure during `what` (a file at an offset, verification…), as one HutError. */
export function flashError(port: string, what: string, error: unknown): HutError {
  if (error instanceof HutError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = /failed with status (\d+),(\d+)/.exec(message);
  if (status) {
    const block = /after seq (\d+)/.exec(message);
    const where = block ? ` at block ${block[1]}` : '';
    return new HutError(
      'FLASH',
      `${what} on ${port} failed${where}: ${statusName(Number(status[2]))}`,
      {
        hint: 'flash again; if it keeps failing, lower the baud rate or check the cable',
      },
    );
  }
  if (/Serial data stream stopped|No serial data received|Timeout|timed out/i.test(message)) {
    return new HutError('FLASH', `${what} on ${port}: the chip stopped answering`, {
      hint: 'power-cycle the board and flash again',
    });
  }
  const line = message.split('\n')[0]!.trim();
  return new HutError('FLASH', `${what} on ${port}: ${line}`);
}
