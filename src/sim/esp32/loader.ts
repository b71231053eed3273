/**
 * The ESP32's serial bootloader as a flasher sees it (reference/esp32-flashing.md §1): the ROM
 * (4 status bytes, unsupported commands answered with 0x05 eight times, ASCII MD5) and, once a
 * RAM program is uploaded and started, the flasher stub (2 status bytes, `OHAI`, raw MD5,
 * exact-size compressed writes, erase and read commands). Bytes come in as the UART receives
 * them; whatever they are, the loader answers or ignores them and never throws.
 */
import { createHash } from 'node:crypto';
import type { SimFlash } from './flash.ts';
import {
  buildResponse,
  dataChecksum,
  OP,
  parseRequest,
  type Request,
  ROM_ERROR,
  STUB_ERROR,
  SYNC_DATA,
  words,
} from './packet.ts';
import { Registers } from './registers.ts';
import { SlipDecoder, slipEncode } from './slip.ts';
import { FlashReadout } from './stub-read.ts';
import { FlashDownload } from './writer.ts';

/** The value a ROM puts in its SYNC answers (bytes 07 07 12 20, as on a real ESP32). */
const ROM_SYNC_VALUE = 0x20120707;
/** The ROM answers a command it does not have with this packet, 8 times. */
const UNSUPPORTED = buildResponse(0x00, 4, { error: ROM_ERROR.INVALID_MESSAGE });

export interface LoaderOptions {
  flash: SimFlash;
  /** The board's MAC, as its eFuses hold it. */
  mac: Uint8Array;
  /** Puts bytes on the serial line towards the host. */
  send: (bytes: Buffer) => void;
  /** The flasher asked the ROM to run the code in flash (FLASH_END / FLASH_DEFL_END with 1). */
  onRunUserCode: () => void;
  /** The chip resets itself (FLASH_END with 0): a software reset, back into download mode. */
  onReset: () => void;
}

export class RomLoader {
  /** Which program answers: the ROM, or the stub it was asked to start. */
  mode: 'rom' | 'stub' = 'rom';
  /** Test hook: the next N data blocks arrive with one bit flipped, as line noise would do. */
  corruptBlocks = 0;
  /** The model's own faults while answering (there should be none). */
  readonly faults: unknown[] = [];
  private readonly registers: Registers;
  private readonly decoder: SlipDecoder;
  private queue: Promise<void> = Promise.resolve();
  private download: FlashDownload | null = null;
  private readout: FlashReadout | null = null;
  private stopped = false;

  private readonly options: LoaderOptions;

  constructor(options: LoaderOptions) {
    this.options = options;
    this.registers = new Registers(options.mac);
    // The stub takes 16 KiB blocks; anything much longer is not a packet of this protocol.
    this.decoder = new SlipDecoder((packet) => this.enqueue(packet), 0x4000 + 0x400);
  }

  /** Bytes from the host. */
  receive(chunk: Uint8Array): void {
    if (!this.stopped) this.decoder.push(chunk);
  }

  /** Resolves when every packet received so far has been answered. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** The chip is reset or loses power: whatever was in progress is gone. */
  stop(): void {
    this.stopped = true;
    this.download?.close();
    this.download = null;
    this.readout = null;
  }

  private enqueue(packet: Buffer): void {
    this.queue = this.queue
      .then(() => (this.stopped ? undefined : this.handle(packet)))
      .catch((error: unknown) => {
        // A fault in the model must not become the host's problem; tests look for it here.
        this.faults.push(error);
      });
  }

  private get statusBytes(): 2 | 4 {
    return this.mode === 'rom' ? 4 : 2;
  }

  private reply(op: number, options: { value?: number; body?: Uint8Array; error?: number } = {}) {
    this.options.send(slipEncode(buildResponse(op, this.statusBytes, options)));
  }

  private fail(op: number, rom: number, stub: number): void {
    this.reply(op, { error: this.mode === 'rom' ? rom : stub });
  }

  private async handle(packet: Buffer): Promise<void> {
    if (this.readout) {
      const ack = this.readout.acknowledge(packet);
      if (ack !== 'not-an-ack') {
        if (ack === 'done') this.readout = null;
        return;
      }
      this.readout = null; // a new command ends a read the host gave up on
    }
    const request = parseRequest(packet);
    if (!request) return; // not a command: the chip ignores it
    if (this.download && request.op !== OP.FLASH_DEFL_DATA) await this.download.settled();
    if (request.size !== request.data.length) {
      return this.fail(request.op, ROM_ERROR.INVALID_MESSAGE, STUB_ERROR.BAD_DATA_LEN);
    }
    const known = this.mode === 'rom' ? romCommand(request.op) : stubCommand(request.op);
    if (!known) {
      if (this.mode === 'stub')
        return this.reply(request.op, { error: STUB_ERROR.NOT_IMPLEMENTED });
      const once = slipEncode(UNSUPPORTED);
      return this.options.send(Buffer.concat(Array.from({ length: 8 }, () => once)));
    }
    await this.run(request);
  }

  private async run({ op, data, checksum }: Request): Promise<void> {
    const bad = () => this.fail(op, ROM_ERROR.INVALID_MESSAGE, STUB_ERROR.BAD_DATA_LEN);
    const w = words(data, 6);
    switch (op) {
      case OP.SYNC: {
        if (!data.equals(SYNC_DATA)) return bad();
        // Eight answers from both; the stub's carry 0, which is how esptool recognises it.
        const value = this.mode === 'rom' ? ROM_SYNC_VALUE : 0;
        const once = slipEncode(buildResponse(op, this.statusBytes, { value }));
        return this.options.send(Buffer.concat(Array.from({ length: 8 }, () => once)));
      }
      case OP.READ_REG:
        if (data.length !== 4) return bad();
        return this.reply(op, { value: this.registers.read(w[0]!) });
      case OP.WRITE_REG: {
        if (data.length === 0 || data.length % 16 !== 0) return bad();
        for (let at = 0; at < data.length; at += 16) {
          const [addr, value, mask] = words(data.subarray(at), 3) as number[];
          this.registers.write(addr!, value!, mask!, this.options.flash);
        }
        return this.reply(op);
      }
      case OP.SPI_ATTACH:
        return data.length === 4 || data.length === 8 ? this.reply(op) : bad();
      case OP.SPI_SET_PARAMS:
        return data.length === 24 ? this.reply(op) : bad();
      case OP.CHANGE_BAUDRATE:
        if (data.length !== 8) return bad();
        this.reply(op);
        this.registers.baud = w[0] || this.registers.baud;
        return;
      case OP.FLASH_BEGIN:
      case OP.FLASH_DEFL_BEGIN:
        return this.begin(op, data);
      case OP.FLASH_DATA:
      case OP.FLASH_DEFL_DATA:
        return this.block(op, data, checksum);
      case OP.FLASH_END:
      case OP.FLASH_DEFL_END:
        return this.end(op, data);
      case OP.MEM_BEGIN:
        return data.length === 16 ? this.reply(op) : bad();
      case OP.MEM_DATA:
        if (data.length < 16 || w[0] !== data.length - 16) return bad();
        if (dataChecksum(data.subarray(16)) !== (checksum & 0xff)) {
          return this.fail(op, ROM_ERROR.CHECKSUM, STUB_ERROR.BAD_DATA_CHECKSUM);
        }
        return this.reply(op);
      case OP.MEM_END:
        if (data.length !== 8) return bad();
        this.reply(op);
        // MEM_END(0, entry) jumps to the uploaded program: the stub says hello and takes over.
        if (this.mode === 'rom' && w[0] === 0) {
          this.options.send(slipEncode(Buffer.from('OHAI')));
          this.mode = 'stub';
        }
        return;
      case OP.SPI_FLASH_MD5:
        return this.md5(op, data);
      case OP.READ_FLASH_SLOW: {
        if (data.length !== 8) return bad();
        if (w[1]! > 64) return this.reply(op, { error: ROM_ERROR.READ_LENGTH });
        const bytes = this.options.flash.read(w[0]!, w[1]!);
        if (!bytes) return this.reply(op, { error: ROM_ERROR.FLASH_READ });
        return this.reply(op, { body: Buffer.concat([bytes, Buffer.alloc(64 - bytes.length)]) });
      }
      case OP.ERASE_FLASH:
        return this.options.flash.eraseAll()
          ? this.reply(op)
          : this.reply(op, { error: STUB_ERROR.FAILED_SPI_OP });
      case OP.ERASE_REGION: {
        if (data.length !== 8) return bad();
        const [offset = 0, size = 0] = w;
        if (offset % 0x1000 || size % 0x1000)
          return this.reply(op, { error: STUB_ERROR.BAD_DATA_LEN });
        const ok = this.options.flash.erase(offset, size);
        return ok ? this.reply(op) : this.reply(op, { error: STUB_ERROR.FAILED_SPI_OP });
      }
      case OP.READ_FLASH: {
        if (data.length !== 16) return bad();
        const [offset = 0, length = 0, packetSize = 0, inFlight = 0] = w;
        const bytes =
          packetSize > 0 && inFlight > 0 ? this.options.flash.read(offset, length) : null;
        if (!bytes) return this.reply(op, { error: STUB_ERROR.BAD_DATA_LEN });
        this.reply(op);
        this.readout = new FlashReadout(bytes, packetSize, inFlight, this.options.send);
        if (this.readout.start() === 'done') this.readout = null;
        return;
      }
    }
  }

  private begin(op: number, data: Buffer): void {
    if (data.length !== 16 && data.length !== 20) {
      this.fail(op, ROM_ERROR.INVALID_MESSAGE, STUB_ERROR.BAD_DATA_LEN);
      return;
    }
    const [size = 0, blocks = 0, blockSize = 0, offset = 0] = words(data, 4);
    this.download?.close();
    this.download = null;
    const compressed = op === OP.FLASH_DEFL_BEGIN;
    const start = { size, blocks, blockSize, offset, compressed };
    const download = FlashDownload.begin(this.options.flash, start, this.mode === 'stub');
    if (typeof download === 'number') {
      this.reply(op, { error: download });
      return;
    }
    this.download = download;
    this.reply(op);
  }

  private async block(op: number, data: Buffer, checksum: number): Promise<void> {
    const [length, seq = 0] = words(data, 2);
    if (data.length < 16 || length !== data.length - 16) {
      return this.fail(op, ROM_ERROR.INVALID_MESSAGE, STUB_ERROR.BAD_DATA_LEN);
    }
    let block = data.subarray(16);
    if (this.corruptBlocks > 0 && block.length > 0) {
      this.corruptBlocks--;
      block = Buffer.from(block);
      block[block.length >> 1]! ^= 0x10;
    }
    if (dataChecksum(block) !== (checksum & 0xff)) {
      return this.fail(op, ROM_ERROR.CHECKSUM, STUB_ERROR.BAD_DATA_CHECKSUM);
    }
    const compressed = op === OP.FLASH_DEFL_DATA;
    if (!this.download || this.download.compressed !== compressed) {
      return this.fail(op, ROM_ERROR.INVALID_MESSAGE, STUB_ERROR.NOT_IN_FLASH_MODE);
    }
    const error = await this.download.data(seq, block);
    this.reply(op, error === null ? {} : { error });
  }

  private async end(op: number, data: Buffer): Promise<void> {
    if (data.length !== 4) return this.fail(op, ROM_ERROR.INVALID_MESSAGE, STUB_ERROR.BAD_DATA_LEN);
    const download = this.download;
    const compressed = op === OP.FLASH_DEFL_END;
    if (this.mode === 'stub' && (!download || download.compressed !== compressed)) {
      return this.reply(op, { error: STUB_ERROR.NOT_IN_FLASH_MODE });
    }
    const error = download ? await download.finish() : null;
    download?.close();
    this.download = null;
    this.reply(op, error === null ? {} : { error });
    const runUserCode = data.readUInt32LE() === 1;
    if (!runUserCode)
      this.options.onReset(); // 0 = reboot: the ROM comes back (download mode)
    else if (this.mode === 'rom') this.options.onRunUserCode();
    // The ESP32 stub cannot run user code (esptool: only the ESP8266 stub can): it stays.
  }

  private md5(op: number, data: Buffer): void {
    if (data.length !== 16) {
      this.fail(op, ROM_ERROR.INVALID_MESSAGE, STUB_ERROR.BAD_DATA_LEN);
      return;
    }
    const [offset = 0, size = 0] = words(data, 2);
    const bytes = this.options.flash.view(offset, size);
    if (!bytes) {
      this.fail(op, ROM_ERROR.FLASH_READ, STUB_ERROR.FAILED_SPI_OP);
      return;
    }
    const digest = createHash('md5').update(bytes).digest();
    // The ROM answers 32 lower-case hex characters, the stub the 16 raw bytes.
    const body = this.mode === 'rom' ? Buffer.from(digest.toString('hex'), 'ascii') : digest;
    this.reply(op, { body });
  }
}

const ROM_COMMANDS: ReadonlySet<number> = new Set([
  OP.FLASH_BEGIN,
  OP.FLASH_DATA,
  OP.FLASH_END,
  OP.MEM_BEGIN,
  OP.MEM_END,
  OP.MEM_DATA,
  OP.SYNC,
  OP.WRITE_REG,
  OP.READ_REG,
  OP.SPI_SET_PARAMS,
  OP.SPI_ATTACH,
  OP.READ_FLASH_SLOW,
  OP.CHANGE_BAUDRATE,
  OP.FLASH_DEFL_BEGIN,
  OP.FLASH_DEFL_DATA,
  OP.FLASH_DEFL_END,
  OP.SPI_FLASH_MD5,
]);
const STUB_ONLY: ReadonlySet<number> = new Set([OP.ERASE_FLASH, OP.ERASE_REGION, OP.READ_FLASH]);

const romCommand = (op: number) => ROM_COMMANDS.has(op);
const stubCommand = (op: number) =>
  (ROM_COMMANDS.has(op) && op !== OP.READ_FLASH_SLOW) || STUB_ONLY.has(op);
