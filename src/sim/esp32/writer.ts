/**
 * One flash download (FLASH_BEGIN/DATA/END or FLASH_DEFL_BEGIN/DATA/END), plain or compressed,
 * as the ROM and the stub run it (reference/esp32-flashing.md §1.5, §1.10): the region is erased
 * at BEGIN, each block lands at offset + seq × block size (plain) or where the inflated stream
 * has got to (compressed, with node:zlib as a stream across blocks).
 */
import { createInflate, type Inflate } from 'node:zlib';
import type { SimFlash } from './flash.ts';
import { ROM_ERROR, STUB_ERROR } from './packet.ts';

export interface DownloadStart {
  /** Bytes to erase (plain) or to write once inflated (compressed). */
  size: number;
  blocks: number;
  blockSize: number;
  offset: number;
  compressed: boolean;
}

/** A status error code, or null for success. */
export type Outcome = number | null;

export class FlashDownload {
  readonly compressed: boolean;
  private written = 0;
  private inflate: Inflate | null = null;
  private inflateError: number | null = null;
  /** What the stub has yet to inflate of blocks it has already acknowledged. */
  private pending: Promise<void> = Promise.resolve();

  private readonly flash: SimFlash;
  private readonly start: DownloadStart;
  private readonly stub: boolean;

  private constructor(flash: SimFlash, start: DownloadStart, stub: boolean) {
    this.flash = flash;
    this.start = start;
    this.stub = stub;
    this.compressed = start.compressed;
  }

  /** Erases the region and returns the download, or the error code BEGIN answers. */
  static begin(flash: SimFlash, start: DownloadStart, stub: boolean): FlashDownload | number {
    if (!flash.erase(start.offset, start.size)) {
      return stub ? STUB_ERROR.FAILED_SPI_OP : ROM_ERROR.FLASH_WRITE;
    }
    const download = new FlashDownload(flash, start, stub);
    if (start.compressed) download.startInflate();
    return download;
  }

  /**
   * One block. The ROM writes it before it answers; the stub answers at once and inflates
   * while the next block travels, reporting a failure at the next block or at END.
   */
  async data(seq: number, block: Buffer): Promise<Outcome> {
    if (!this.compressed) {
      const at = this.start.offset + seq * this.start.blockSize;
      if (this.flash.write(at, block)) return null;
      return this.stub ? STUB_ERROR.FAILED_SPI_OP : ROM_ERROR.FLASH_WRITE;
    }
    if (this.stub) {
      const failed = this.inflateError;
      this.pending = this.pending.then(() => this.feed(block));
      return failed;
    }
    await this.feed(block);
    return this.inflateError;
  }

  /** Waits for the stub's inflating to catch up; the outcome END reports. */
  async finish(): Promise<Outcome> {
    await this.pending;
    if (this.inflateError !== null) return this.inflateError;
    if (this.stub && this.compressed && this.written < this.start.size) {
      return STUB_ERROR.NOT_ENOUGH_DATA;
    }
    return null;
  }

  /** Everything in flight is done (before any other command runs). */
  settled(): Promise<void> {
    return this.pending;
  }

  close(): void {
    this.inflate?.destroy();
  }

  private startInflate(): void {
    // Output in chunks as large as a block inflates to (~25 KiB of code): fewer callbacks.
    const inflate = createInflate({ chunkSize: 64 * 1024 });
    inflate.on('data', (chunk: Buffer) => this.land(chunk));
    inflate.on('error', () => this.fail(this.stub ? STUB_ERROR.INFLATE_ERROR : ROM_ERROR.DEFLATE));
    this.inflate = inflate;
  }

  private land(chunk: Buffer): void {
    if (this.inflateError !== null) return;
    if (this.written + chunk.length > this.start.size) {
      this.fail(this.stub ? STUB_ERROR.TOO_MUCH_DATA : ROM_ERROR.DEFLATE);
      return;
    }
    if (!this.flash.write(this.start.offset + this.written, chunk)) {
      this.fail(this.stub ? STUB_ERROR.FAILED_SPI_OP : ROM_ERROR.FLASH_WRITE);
      return;
    }
    this.written += chunk.length;
  }

  private fail(code: number): void {
    this.inflateError ??= code;
  }

  /** Feeds one block to zlib and waits until its output has landed. */
  private async feed(block: Buffer): Promise<void> {
    const inflate = this.inflate;
    if (!inflate || this.inflateError !== null || inflate.destroyed) return;
    await new Promise<void>((resolve) => inflate.write(block, () => resolve()));
    // 'data' is emitted as zlib pushes; one turn of the loop lets the last of it through.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
