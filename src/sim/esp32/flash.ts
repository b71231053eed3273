/**
 * A simulated 4 MiB SPI NOR flash chip: erased bytes read 0xFF, a write can only clear bits, an
 * erase works on whole 4 KiB sectors. Its contents live in a file (`<sim dir>/flash/<slot>.bin`)
 * that is created atomically on the first change and then written in place, change by change,
 * so they survive power cycles, a `sim up` restart and a killed simulator.
 */

import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { makeDirs } from '../../files/dirs.ts';

export const FLASH_SIZE = 4 * 1024 * 1024;
export const SECTOR_SIZE = 0x1000;

export class SimFlash {
  /** Where the contents are kept; null keeps them in memory only. */
  readonly path: string | null;
  private readonly bytes = Buffer.alloc(FLASH_SIZE, 0xff);
  private fd: number | null = null;

  constructor(path: string | null) {
    this.path = path;
    if (path) this.load(path);
  }

  private memoryTouched = false;
  private changeCount = 0;

  /** How many writes and erases reached the chip since the simulator started (for tests). */
  get changes(): number {
    return this.changeCount;
  }

  /** True once anything was ever written or erased (for a file: once it exists). */
  get touched(): boolean {
    return this.fd !== null || this.memoryTouched;
  }

  /** A copy of `length` bytes at `offset`; null when the range is outside the chip. */
  read(offset: number, length: number): Buffer | null {
    return this.view(offset, length) && Buffer.from(this.bytes.subarray(offset, offset + length));
  }

  /**
   * The `length` bytes at `offset` themselves, not a copy (null outside the chip): for reading
   * right away, never to keep or change. A boot reads up to the whole app partition, and copying
   * a MiB touches fresh pages each time (~5 ms on a small VM) for nothing.
   */
  view(offset: number, length: number): Buffer | null {
    if (!inRange(offset, length)) return null;
    return this.bytes.subarray(offset, offset + length);
  }

  /** Erases the sectors that cover [offset, offset + length); false when outside the chip. */
  erase(offset: number, length: number): boolean {
    if (length === 0) return inRange(offset, 0);
    const start = Math.floor(offset / SECTOR_SIZE) * SECTOR_SIZE;
    const end = Math.ceil((offset + length) / SECTOR_SIZE) * SECTOR_SIZE;
    if (!inRange(start, end - start)) return false;
    this.changeCount++;
    this.bytes.fill(0xff, start, end);
    return this.persist(start, end - start);
  }

  /** NOR semantics: each byte becomes old AND new. False when outside the chip. */
  write(offset: number, data: Uint8Array): boolean {
    if (!inRange(offset, data.length)) return false;
    this.changeCount++;
    const target = this.bytes.subarray(offset, offset + data.length);
    // Into erased flash (as a flasher writes, right after its erase) AND is a copy.
    if (erased(target)) target.set(data);
    else for (let i = 0; i < data.length; i++) target[i]! &= data[i]!;
    return this.persist(offset, data.length);
  }

  eraseAll(): boolean {
    this.changeCount++;
    this.bytes.fill(0xff);
    return this.persist(0, FLASH_SIZE);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private load(path: string): void {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      if (!fstatSync(fd).isFile()) throw new Error(`${path} is not a regular file`);
      let at = 0;
      for (;;) {
        const n = readSync(fd, this.bytes, at, FLASH_SIZE - at, at);
        at += n;
        if (n === 0 || at === FLASH_SIZE) break;
      }
      // A short or long file (cut by a full disk, or edited by hand) is made whole again.
      if (fstatSync(fd).size !== FLASH_SIZE) {
        writeSync(fd, this.bytes, at, FLASH_SIZE - at, at);
        ftruncateSync(fd, FLASH_SIZE);
      }
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.fd = fd;
  }

  /** Puts a change in the file; false when it could not be kept (a full disk: a write error). */
  private persist(offset: number, length: number): boolean {
    this.memoryTouched = true;
    if (this.path === null) return true;
    try {
      if (this.fd === null) {
        this.fd = createAtomically(this.path, this.bytes);
        return true;
      }
      let done = 0;
      while (done < length) {
        done += writeSync(this.fd, this.bytes, offset + done, length - done, offset + done);
      }
      return true;
    } catch {
      return false;
    }
  }
}

const ERASED = Buffer.alloc(SECTOR_SIZE, 0xff);

/** True when every byte of `bytes` is 0xFF (compared a sector at a time, not byte by byte). */
function erased(bytes: Buffer): boolean {
  for (let at = 0; at < bytes.length; at += SECTOR_SIZE) {
    const part = bytes.subarray(at, at + SECTOR_SIZE);
    if (!part.equals(ERASED.subarray(0, part.length))) return false;
  }
  return true;
}

const inRange = (offset: number, length: number) =>
  Number.isInteger(offset) && offset >= 0 && length >= 0 && offset + length <= FLASH_SIZE;

/** Writes the whole image beside `path`, syncs it, renames it into place, and keeps it open. */
function createAtomically(path: string, bytes: Buffer): number {
  makeDirs(dirname(path));
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
  rmSync(temp, { force: true });
  const fd = openSync(temp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, done);
    fsyncSync(fd);
    renameSync(temp, path);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  return fd;
}
