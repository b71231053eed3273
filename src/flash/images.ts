/** The files to flash: read, checked (offsets, sizes, overlaps) and put in address order. */
import { readFile, stat } from 'node:fs/promises';
import { HutError, quoteValue } from '../errors/index.ts';

export interface FlashFile {
  /** Where in flash the file goes. */
  offset: number;
  path: string;
}

export interface FlashImage {
  offset: number;
  path: string;
  data: Uint8Array;
  /** What is written: the file padded with 0xFF to a multiple of 4 bytes (as esptool does). */
  size: number;
}

/** The largest flash an ESP32 addresses. */
const MAX_FLASH = 16 * 1024 * 1024;

export async function readImages(files: FlashFile[]): Promise<FlashImage[]> {
  if (files.length === 0) throw new HutError('INPUT', 'nothing to flash: no files given');
  const images: FlashImage[] = [];
  for (const { offset, path } of files) {
    if (!Number.isInteger(offset) || offset < 0 || offset >= MAX_FLASH) {
      throw new HutError(
        'INPUT',
        `flash offset ${offset} of ${quoteValue(path)} is outside 0–16 MiB`,
      );
    }
    let data: Buffer;
    try {
      // Only a regular file, and no larger than a flash: /dev/zero or a FIFO is refused, not read.
      const info = await stat(path);
      if (!info.isFile())
        throw new HutError(
          'INPUT',
          `${quoteValue(path)} is not a regular file; nothing was flashed`,
        );
      if (info.size > MAX_FLASH)
        throw new HutError(
          'INPUT',
          `${quoteValue(path)} is larger than 16 MiB, the most a flash holds`,
        );
      data = await readFile(path);
    } catch (error) {
      if (error instanceof HutError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new HutError('NOT_FOUND', `cannot read ${quoteValue(path)} (${code ?? 'error'})`);
    }
    if (data.length === 0) throw new HutError('INPUT', `${quoteValue(path)} is empty`);
    const size = Math.ceil(data.length / 4) * 4;
    if (offset + size > MAX_FLASH) {
      throw new HutError(
        'INPUT',
        `${quoteValue(path)} at 0x${offset.toString(16)} runs past 16 MiB`,
      );
    }
    images.push({
      offset,
      path,
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      size,
    });
  }
  images.sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < images.length; i++) {
    const [before, here] = [images[i - 1]!, images[i]!];
    if (before.offset + before.size > here.offset) {
      throw new HutError(
        'INPUT',
        `${quoteValue(before.path)} at 0x${before.offset.toString(16)} overlaps ${quoteValue(here.path)} at 0x${here.offset.toString(16)}`,
      );
    }
  }
  return images;
}
