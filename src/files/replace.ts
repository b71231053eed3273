/** The core of every synchronous atomic write: a temp file beside the target, renamed over it. */

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { makeDirs } from './dirs.ts';

export interface ReplaceOptions {
  /** Mode of a new temp file (before the umask). */
  mode?: number;
  /** fsync before the rename (default true). */
  durable?: boolean;
  /** Create missing parent directories. */
  mkdir?: boolean;
  /** Runs on the open temp file before the data is written (to set owner and mode). */
  prepare?: (fd: number) => void;
}

/** Replaces `path` with `data` so readers see the old file or the whole new one, never a part. */
export function replaceFileSync(
  path: string,
  data: string | Uint8Array,
  options: ReplaceOptions = {},
): void {
  const temp = tempPathFor(path);
  const mode = options.mode ?? 0o644;
  let fd: number;
  try {
    fd = openSync(temp, 'wx', mode);
  } catch (error) {
    if (!options.mkdir || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    makeDirs(dirname(path), 0o700);
    fd = openSync(temp, 'wx', mode);
  }
  try {
    try {
      options.prepare?.(fd);
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let done = 0; done < bytes.length; )
        done += writeSync(fd, bytes, done, bytes.length - done);
      if (options.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {}
    throw error;
  }
}

/** A hidden temp file next to `path`, unique to this process and call: `.<name>.<pid>.<hex>.tmp`. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomHex(8)}.tmp`);
}

// Names and hashes for files, not secrets: node:crypto would cost every command ~5 ms to load.

/** `digits` random hexadecimal digits (for unique names, not for anything secret). */
export function randomHex(digits: number): string {
  let out = '';
  while (out.length < digits)
    out += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, digits);
}
