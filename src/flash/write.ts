/**
 * Writing one image with esptool-js's block commands, as esptool's `write_flash` does: flash
 * parameters applied to a bootloader image, deflated with node:zlib (level 9) or sent plain in
 * 0xFF-padded blocks, FLASH_(DEFL_)END only to the stub. esptool-js's own `writeFlash` does the
 * same but re-inflates every block one byte at a time to report progress (pako, chunkSize 1):
 * about 1.3 s per MiB of CPU, more than the transfer itself on a fast line.
 */
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { deflate as deflateCallback } from 'node:zlib';
import type { ESPLoader } from 'esptool-js';
import type { FlashImage } from './images.ts';

const deflateRaw = promisify(deflateCallback);

/**
 * The last few images deflated by this process, by content: `hil surface` flashes the same build
 * to every board at once, and level 9 costs ~25 ms of CPU per MiB each time, on the cores the
 * boards' transfers share. Kept as promises, so flashers that start together share one deflate.
 */
const deflated = new Map<string, Promise<Buffer>>();
const DEFLATED_KEPT = 4;

function deflate(data: Uint8Array): Promise<Buffer> {
  const key = createHash('sha256').update(data).digest('hex');
  let pending = deflated.get(key);
  if (pending) {
    deflated.delete(key); // to the end: the most recently used
  } else {
    pending = deflateRaw(data, { level: 9 });
    pending.catch(() => deflated.delete(key));
  }
  deflated.set(key, pending);
  while (deflated.size > DEFLATED_KEPT) deflated.delete(deflated.keys().next().value!);
  return pending;
}

export interface WriteOptions {
  flashMode: 'keep' | 'qio' | 'qout' | 'dio' | 'dout';
  flashFreq: 'keep' | '80m' | '40m' | '26m' | '20m';
  /** A concrete size or 'keep' ('detect' is resolved by the caller). */
  flashSize: string;
  compress: boolean;
  onBlock: (sent: number, total: number) => void;
}

/** Writes `image`; returns the MD5 of what was written and the bytes sent over the line. */
export async function writeImage(
  loader: ESPLoader,
  image: FlashImage,
  options: WriteOptions,
): Promise<{ md5: string; sent: number }> {
  // Padded to 4 bytes with 0xFF (a copy only when the file is not a multiple of 4 already).
  let padded = image.data;
  if (image.size !== image.data.length) {
    padded = new Uint8Array(image.size).fill(0xff);
    padded.set(image.data);
  }
  const data = await loader._updateImageFlashParams(
    padded,
    image.offset,
    options.flashMode,
    options.flashFreq,
    options.flashSize as Parameters<ESPLoader['_updateImageFlashParams']>[4],
  );
  const md5 = createHash('md5').update(data).digest('hex');
  const blockSize = loader.FLASH_WRITE_SIZE;
  // The ROM writes a block before it answers; the stub answers first (esptool's timeouts).
  const perBlock = Math.max(
    3000,
    loader.timeoutPerMb(loader.ERASE_WRITE_TIMEOUT_PER_MB, blockSize * 4),
  );
  let sent = 0;
  if (options.compress) {
    // On the thread pool, and once per image for boards flashing it at once (hil surface).
    const compressed = await deflate(data);
    const blocks = await loader.flashDeflBegin(data.length, compressed.length, image.offset);
    for (let seq = 0; seq < blocks; seq++) {
      const block = compressed.subarray(seq * blockSize, (seq + 1) * blockSize);
      await loader.flashDeflBlock(block, seq, perBlock);
      sent += block.length;
      options.onBlock(sent, compressed.length);
    }
    if (loader.IS_STUB) await loader.flashDeflFinish(false, perBlock);
  } else {
    const blocks = await loader.flashBegin(data.length, image.offset);
    for (let seq = 0; seq < blocks; seq++) {
      const block = new Uint8Array(blockSize).fill(0xff);
      block.set(data.subarray(seq * blockSize, (seq + 1) * blockSize));
      await loader.flashBlock(block, seq, perBlock);
      sent += Math.min(blockSize, data.length - seq * blockSize);
      options.onBlock(sent, data.length);
    }
    if (loader.IS_STUB) await loader.flashFinish(false, perBlock);
  }
  return { md5, sent };
}
