/**
 * hutctl's built-in flasher: Espressif's esptool-js driving a serial port from Node
 * (reference/esp32-flashing.md §1.9, §7). It connects (reset into download mode where the port
 * has modem lines), identifies the chip, uploads the stub (or stays with the ROM), writes each
 * file, checks each one's MD5 against the flash, and resets as asked — returning what it did as
 * data, or throwing one HutError that says what failed and where.
 */
import type { ESPLoader } from 'esptool-js';
import { HutError } from '../errors/index.ts';
import { parseImage } from '../esp32/image.ts';
import { connectError, flashError } from './errors.ts';
import { type FlashFile, type FlashImage, readImages } from './images.ts';
import { NodeSerialPort } from './port.ts';
import { connect, type Identity } from './session.ts';
import type { Stty } from './stty.ts';
import { NodeTransport } from './transport.ts';
import { writeImage } from './write.ts';

export type { FlashFile } from './images.ts';
export type FlashMode = 'keep' | 'qio' | 'qout' | 'dio' | 'dout';
export type FlashFreq = 'keep' | '80m' | '40m' | '26m' | '20m';
export type FlashSize = 'keep' | 'detect' | '1MB' | '2MB' | '4MB' | '8MB' | '16MB';
export type Before = 'default_reset' | 'usb_reset' | 'no_reset';
/** `soft_reset` runs the flashed code (ROM only: the ESP32 stub cannot); `no_reset` returns to the ROM. */
export type After = 'hard_reset' | 'soft_reset' | 'no_reset' | 'no_reset_stub';

export interface FlashImagesOptions {
  /** The serial port, e.g. /dev/serial/by-id/usb-…-if00-port0. */
  port: string;
  /** Baud rate once the stub runs (the ROM is always reached at 115200). Default 460800. */
  baud?: number;
  files: FlashFile[];
  flashMode?: FlashMode;
  flashSize?: FlashSize;
  flashFreq?: FlashFreq;
  /** Send deflated data (FLASH_DEFL_*). Default true. */
  compress?: boolean;
  /** Compare each file's MD5 with the flash's. Default true. */
  verify?: boolean;
  /** Upload the flasher stub (esptool's default). False talks to the ROM only. Default true. */
  stub?: boolean;
  before?: Before;
  after?: After;
  /**
   * The chip the images are for (`esp32`, `esp32s3`, … as ESP-IDF's flasher_args.json names it):
   * another chip on the port fails before anything is written, as esptool's `--chip` does.
   */
  chip?: string;
  /** Connection attempts (esptool's default: 7). */
  connectAttempts?: number;
  progress?: (event: FlashProgress) => void;
  /** esptool-js's own lines, and hutctl's warnings. */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** How `stty` is run on the port (default: forked from this process). */
  stty?: Stty;
}

export interface FlashProgress {
  phase: 'connect' | 'write' | 'verify' | 'reset';
  file?: number;
  /** Bytes sent (compressed when compressing) and to send, for `write`. */
  done?: number;
  total?: number;
}

export interface FlashedFile {
  offset: number;
  path: string;
  /** Bytes written to flash (the file padded to 4 bytes, as esptool writes it). */
  size: number;
  /** Bytes sent over the line (fewer when compressed). */
  sent_bytes: number;
  md5: string;
  /** True when the flash's MD5 matched; null when not checked. */
  verified: boolean | null;
}

export interface FlashResult extends Identity {
  port: string;
  stub: boolean;
  baud: number;
  compressed: boolean;
  files: FlashedFile[];
  bytes_written: number;
  bytes_sent: number;
  duration_ms: number;
  reset: { mode: After; done: boolean };
  warnings: string[];
}

export async function flashImages(options: FlashImagesOptions): Promise<FlashResult> {
  const began = performance.now();
  const stub = options.stub ?? true;
  const after = options.after ?? 'hard_reset';
  const compress = options.compress ?? true;
  const verify = options.verify ?? true;
  if (after === 'soft_reset' && stub) {
    throw new HutError('INPUT', "after 'soft_reset' needs the ROM (stub: false)", {
      hint: 'the ESP32 stub cannot run user code (esptool: only the ESP8266 stub can)',
    });
  }
  const images = await readImages(options.files);
  const { signal, port: path } = options;
  const warnings: string[] = [];
  const log = (line: string) => options.log?.(line);
  const port = new NodeSerialPort(
    path,
    (line) => {
      warnings.push(line);
      log(`WARNING: ${line}`);
    },
    options.stty,
  );
  const transport = new NodeTransport(
    port as unknown as ConstructorParameters<typeof NodeTransport>[0],
  );
  // Transport prints some of its trace lines whether tracing is on or not.
  transport.trace = () => {};
  let loader: ESPLoader | null = null;
  // Every esptool-js call races the signal: on abort the port closes and esptool-js's own
  // timeout ends the call later, with nobody waiting for it.
  const step = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    signal?.throwIfAborted();
    const call = run();
    call.catch(() => {});
    try {
      return await (signal ? Promise.race([call, aborted(signal)]) : call);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw flashError(path, what, error);
    }
  };
  const onAbort = () => void port.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    options.progress?.({ phase: 'connect' });
    const session = await step('connecting', () =>
      connect({
        transport,
        port,
        baud: options.baud ?? 460800,
        stub,
        before: options.before ?? 'default_reset',
        attempts: options.connectAttempts ?? 7,
        log,
      }).catch((error: unknown) => {
        if (error instanceof HutError) throw error;
        if (/Failed to connect/.test(String(error))) throw connectError(path, port.recent);
        throw error;
      }),
    );
    loader = session.loader;
    const found = loader.chip.CHIP_NAME;
    if (options.chip && chipKey(found) !== chipKey(options.chip)) {
      throw new HutError(
        'FLASH',
        `${path}: this chip is ${found}, not ${options.chip.toUpperCase()} (the images are for ${options.chip}); nothing was written`,
        { hint: "flash a build for this board's chip, or check which board is on this port" },
      );
    }
    // An image's header names its chip (esp_image_header_t.chip_id); esptool refuses another.
    const chipId = (loader.chip as { IMAGE_CHIP_ID?: number }).IMAGE_CHIP_ID;
    for (const image of images) {
      // As esptool: only a file that reads as a firmware image (not data that starts with 0xE9).
      const parsed = chipId === undefined ? null : parseImage(image.data);
      if (!parsed) continue;
      const id = parsed.chipId;
      if (id !== chipId)
        throw new HutError(
          'FLASH',
          `${path}: ${image.path} is an image for chip id ${id}, and this ${found} is chip id ${chipId}; nothing was written`,
          { hint: "flash a build for this board's chip (check the build's IDF_TARGET)" },
        );
    }
    const flashSize = await step('detecting the flash size', () =>
      resolveFlashSize(loader!, options.flashSize ?? 'keep', images),
    );
    const written: { md5: string; sent: number }[] = [];
    for (const [file, image] of images.entries()) {
      written.push(
        await step(`writing ${image.path} at ${hex(image.offset)}`, () =>
          writeImage(loader!, image, {
            flashMode: options.flashMode ?? 'keep',
            flashFreq: options.flashFreq ?? 'keep',
            flashSize,
            compress,
            onBlock: (done, total) => options.progress?.({ phase: 'write', file, done, total }),
          }),
        ),
      );
    }
    const files: FlashedFile[] = [];
    for (const [i, image] of images.entries()) {
      let verified: boolean | null = null;
      const { md5, sent } = written[i]!;
      if (verify) {
        options.progress?.({ phase: 'verify', file: i });
        const found = await step<string>(`verifying ${image.path} at ${hex(image.offset)}`, () =>
          flashMd5(loader!, image.offset, image.size),
        );
        if (found !== md5) {
          throw new HutError(
            'FLASH',
            `${path}: the flash at ${hex(image.offset)} does not hold ${image.path} (MD5 ${found}, file ${md5})`,
            { hint: 'flash again; if it keeps failing, the flash chip may be worn or protected' },
          );
        }
        verified = true;
      }
      const { offset, path: file, size } = image;
      files.push({ offset, path: file, size, sent_bytes: sent, md5, verified });
    }
    options.progress?.({ phase: 'reset' });
    const done = await step('resetting', () => reset(loader!, port, after, log));
    return {
      port: path,
      ...session.identity,
      stub: loader.IS_STUB,
      baud: transport.baudrate,
      compressed: compress,
      files,
      bytes_written: files.reduce((n, f) => n + f.size, 0),
      bytes_sent: files.reduce((n, f) => n + f.sent_bytes, 0),
      duration_ms: Math.round(performance.now() - began),
      reset: { mode: after, done },
      warnings,
    };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await transport.disconnect().catch(() => {});
    await port.close();
  }
}

/** The flash size for the images' headers: 'detect' asks the chip (RDID), and all must fit. */
async function resolveFlashSize(
  loader: ESPLoader,
  asked: FlashSize,
  images: FlashImage[],
): Promise<string> {
  const size = asked === 'detect' ? await loader.detectFlashSize() : asked;
  if (!size) throw new HutError('FLASH', 'the flash size cannot be detected (set it explicitly)');
  if (size === 'keep') return size;
  const bytes = loader.flashSizeBytes(size as Parameters<ESPLoader['flashSizeBytes']>[0]);
  const last = images.at(-1)!;
  if (last.offset + last.size > bytes) {
    throw new HutError(
      'INPUT',
      `${last.path} at ${hex(last.offset)} does not fit in ${size} of flash`,
    );
  }
  return size;
}

/** The flash's MD5 as lower-case hex, whether the stub (raw bytes) or the ROM (ASCII) answered. */
async function flashMd5(loader: ESPLoader, offset: number, size: number): Promise<string> {
  const answer = await loader.flashMd5sum(offset, size);
  // esptool-js hex-encodes whatever came back: the ROM's 32 ASCII characters become 64.
  return loader.IS_STUB ? answer : Buffer.from(answer, 'hex').toString('latin1');
}

/** The reset after writing; true when it happened (false: the port has no DTR/RTS). */
async function reset(
  loader: ESPLoader,
  port: NodeSerialPort,
  after: After,
  log: (line: string) => void,
): Promise<boolean> {
  if (after === 'no_reset_stub') return true;
  if (after === 'no_reset') {
    // The stub hands back to the ROM (esptool's soft_reset(stay_in_bootloader)); esptool-js's
    // own after('no_reset') would throw for the ESP32 from a promise nobody awaits.
    if (loader.IS_STUB) {
      await loader.flashBegin(0, 0);
      await loader.flashFinish(true);
    }
    return true;
  }
  if (after === 'soft_reset') {
    log('Soft resetting...');
    await loader.flashBegin(0, 0);
    await loader.flashFinish(false);
    return true;
  }
  // esptool's HardReset: EN low through RTS for 100 ms (esptool-js only ever releases RTS).
  log('Hard resetting via RTS pin...');
  if (!port.modemLines) return false;
  await port.setSignals({ requestToSend: true });
  await new Promise((resolve) => setTimeout(resolve, 100));
  await port.setSignals({ requestToSend: false });
  return port.modemLines;
}

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** `ESP32-S3` and `esp32s3` alike. */
const chipKey = (name: string) => name.toLowerCase().replaceAll(/[^a-z0-9]/g, '');
