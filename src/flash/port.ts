/**
 * A serial port for esptool-js in Node (reference/esp32-flashing.md §7.2–7.3): the tty opened
 * O_RDWR|O_NOCTTY, put in raw mode and given its baud rate by `stty` on that same open file,
 * read through a tty stream and written with non-blocking writes, both exposed as the WHATWG
 * streams esptool-js's `Transport` reads and writes. DTR/RTS go through ModemLines; on a
 * pseudo-terminal, which has none, the first attempt reports what esptool reports and every
 * later one is a no-op.
 */
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readFileSync,
  realpathSync,
  write,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadStream } from 'node:tty';
import { HutError } from '../errors/index.ts';
import { ModemLines, TIOCM_DTR, TIOCM_RTS } from './modem-lines.ts';
import { type Stty, sttyOn } from './stty.ts';

export interface SerialSignals {
  dataTerminalReady?: boolean;
  requestToSend?: boolean;
  break?: boolean;
}

export class NodeSerialPort {
  readonly path: string;
  readable: ReadableStream<Uint8Array> | null = null;
  writable: WritableStream<Uint8Array> | null = null;
  /** The last bytes received, as text, for telling "booted normally" from "silent". */
  recent = '';
  /** False once setting DTR/RTS was found unsupported (a PTY). */
  modemLines = true;
  private fd: number | null = null;
  private input: ReadStream | null = null;
  private lines: ModemLines | null = null;
  private writing: Promise<void> = Promise.resolve();
  private readonly warn: (line: string) => void;
  private readonly stty: Stty;

  constructor(path: string, warn: (line: string) => void = () => {}, run: Stty = sttyOn) {
    this.path = path;
    this.warn = warn;
    this.stty = run;
  }

  async open(options: { baudRate: number }): Promise<void> {
    if (this.fd !== null) await this.close();
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    } catch (error) {
      throw openError(this.path, error as NodeJS.ErrnoException);
    }
    try {
      await this.stty(this.path, fd, ['raw', '-echo', 'clocal', 'cread', String(options.baudRate)]);
    } catch (error) {
      closeSync(fd);
      throw new HutError(
        'INPUT',
        `${this.path} is not a serial port (${(error as Error).message})`,
      );
    }
    this.fd = fd;
    const input = new ReadStream(fd);
    this.input = input;
    // What the board printed before we came (a boot loop left running fills the buffers) is
    // not an answer: dropped, as esptool's reset_input_buffer() does before it syncs. (Through
    // the stream: the stty child left the descriptor blocking; the tty stream made it not.)
    await discardBacklog(input);
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        input.on('data', (chunk: Buffer) => {
          this.recent = (this.recent + chunk.toString('latin1')).slice(-1024);
          controller.enqueue(new Uint8Array(chunk));
        });
        input.resume();
        input.once('close', () => {
          try {
            controller.close();
          } catch {}
        });
        input.once('error', () => {});
      },
      cancel: () => {
        input.pause();
      },
    });
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => this.send(chunk),
      // esptool-js "flushes" by closing a writer: the port stays open, writes drain.
      close: () => this.writing,
    });
    await this.probeModemLines();
  }

  async close(): Promise<void> {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    await this.writing.catch(() => {});
    this.lines?.close();
    this.lines = null;
    // The tty stream owns the descriptor: destroying it closes it. A port that went away (the
    // board lost power, its USB bridge vanished) has already closed its stream: no second
    // 'close' comes, and waiting for one would wait forever.
    const input = this.input!;
    if (!input.closed)
      await new Promise<void>((resolve) => {
        input.once('close', () => resolve());
        input.destroy();
      });
    this.input = null;
    this.readable = null;
    this.writable = null;
  }

  /** True when the port is a pseudo-terminal (a simulated board), where baud rates mean nothing. */
  get pseudoTerminal(): boolean {
    return this.fd !== null && isPseudoTerminal(this.fd);
  }

  getInfo(): { usbVendorId?: number; usbProductId?: number } {
    return usbIds(this.path);
  }

  async setBaudRate(baud: number): Promise<void> {
    if (this.fd === null) throw new Error(`${this.path} is not open`);
    await this.stty(this.path, this.fd, [String(baud)]);
  }

  /**
   * Finds out once whether DTR/RTS can be set; when not (a PTY), says so as esptool does and
   * makes every later setSignals a no-op.
   */
  async probeModemLines(): Promise<boolean> {
    if (this.fd === null || !this.modemLines) return this.modemLines;
    // A pseudo-terminal (Linux: Unix 98 pty slaves, majors 136–143) has none: no need to ask.
    if (this.pseudoTerminal) {
      this.noModemLines();
      return false;
    }
    this.lines ??= new ModemLines(this.fd);
    if (!(await this.lines.present())) this.noModemLines();
    return this.modemLines;
  }

  async setSignals(signals: SerialSignals): Promise<void> {
    if (this.fd === null || !this.modemLines) return;
    const bits = (on: boolean | undefined, bit: number) => (on === true ? bit : 0);
    const off = (on: boolean | undefined, bit: number) => (on === false ? bit : 0);
    const { dataTerminalReady: dtr, requestToSend: rts } = signals;
    this.lines ??= new ModemLines(this.fd);
    const done = await this.lines.set(
      bits(dtr, TIOCM_DTR) | bits(rts, TIOCM_RTS),
      off(dtr, TIOCM_DTR) | off(rts, TIOCM_RTS),
    );
    if (!done) this.noModemLines();
  }

  private noModemLines(): void {
    this.modemLines = false;
    this.warn(
      `Chip was NOT reset. Setting RTS/DTR lines is not supported for port '${this.path}'. ` +
        "Set before and after to 'no_reset' and switch to bootloader manually to avoid this warning.",
    );
  }

  private send(chunk: Uint8Array): Promise<void> {
    const next = this.writing.then(() => this.writeAll(Buffer.from(chunk)));
    this.writing = next.catch(() => {});
    return next;
  }

  /** Non-blocking writes, waiting a moment whenever the tty's buffer is full. */
  private async writeAll(bytes: Buffer): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const fd = this.fd;
      if (fd === null) throw new Error(`${this.path} was closed`);
      try {
        done += await new Promise<number>((resolve, reject) =>
          write(fd, bytes, done, bytes.length - done, null, (error, n) =>
            error ? reject(error) : resolve(n),
          ),
        );
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        await sleep(1);
      }
    }
  }
}

/**
 * Drops what `input` delivers until it has been quiet for 20 ms, for at most 2 s, then leaves
 * it paused; returns how many bytes went.
 */
async function discardBacklog(input: ReadStream): Promise<number> {
  let total = 0;
  let last = Date.now();
  const drop = (chunk: Buffer) => {
    total += chunk.length;
    last = Date.now();
  };
  input.on('data', drop);
  const began = Date.now();
  while (Date.now() - began < 2000 && Date.now() - last < 20) await sleep(5);
  input.pause();
  input.off('data', drop);
  return total;
}

/** Linux's Unix 98 pty slaves (majors 136–143): no modem lines, no baud rate. */
export function isPseudoTerminal(fd: number): boolean {
  const major = Math.floor(fstatSync(fd).rdev / 256) & 0xfff;
  return process.platform === 'linux' && major >= 136 && major <= 143;
}

function openError(path: string, error: NodeJS.ErrnoException): HutError {
  if (error.code === 'ENOENT') {
    return new HutError('NOT_FOUND', `${path} does not exist (board unplugged or powered off?)`);
  }
  if (error.code === 'EACCES') {
    return new HutError('IO', `cannot open ${path}: permission denied`, {
      hint: "add this user to the port's group (usually 'dialout')",
    });
  }
  if (error.code === 'EBUSY') return new HutError('IO', `${path} is busy (another program has it)`);
  return new HutError('IO', `cannot open ${path}: ${error.message}`);
}

/** The USB vendor and product ids of a USB serial port, from sysfs ({} for anything else). */
function usbIds(path: string): { usbVendorId?: number; usbProductId?: number } {
  try {
    let dir = realpathSync(join('/sys/class/tty', basename(realpathSync(path)), 'device'));
    for (let i = 0; i < 4 && dir !== '/'; i++, dir = dirname(dir)) {
      try {
        const vid = Number.parseInt(readFileSync(join(dir, 'idVendor'), 'utf8'), 16);
        const pid = Number.parseInt(readFileSync(join(dir, 'idProduct'), 'utf8'), 16);
        return { usbVendorId: vid, usbProductId: pid };
      } catch {}
    }
  } catch {}
  return {};
}
