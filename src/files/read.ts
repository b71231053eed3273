/**
 * Reading a file named from outside (a config, an invocation, a manifest, a team's document): a
 * plain file only — never a FIFO that would block or a device that never ends — and at most
 * `maxBytes`, counted as read (a /proc or /sys file says it is empty and streams on).
 */
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  type Stats,
  statSync,
} from 'node:fs';
import { formatBytes, sizeOverLimit } from '../format/index.ts';

export class FileReadError extends Error {
  readonly path: string;
  /** Why, without the path (the message is `<path>: <reason>`). */
  readonly reason: string;
  /** The errno code when the file system refused (`ENOENT`: there is no such file). */
  readonly code: string | undefined;
  constructor(path: string, reason: string, code?: string) {
    super(`${path}: ${reason}`);
    this.name = 'FileReadError';
    this.path = path;
    this.reason = reason;
    this.code = code;
  }
}

export interface ReadOptions {
  /**
   * A symbolic link at `path` is refused, not followed: for a file in a directory hutctl owns,
   * where a link can only be planted (its last component; the directories above are followed).
   */
  noFollow?: boolean;
  /**
   * The users one of whom must own the file (what was opened): for a file that tells hutctl
   * where to send a secret, in a directory another user may write.
   */
  owners?: readonly number[];
}

/** The file's text (UTF-8), or a FileReadError that says why it cannot be read. */
export function readTextFile(path: string, maxBytes: number, options: ReadOptions = {}): string {
  return readFileBytes(path, maxBytes, options).toString('utf8');
}

/** The file's bytes, or a FileReadError that says why it cannot be read. */
export function readFileBytes(path: string, maxBytes: number, options: ReadOptions = {}): Buffer {
  const tooBig = (size: number | null) => {
    // A size read to the limit is not known beyond it: "it holds more than the …".
    const shown = size === null ? null : sizeOverLimit(size, maxBytes);
    const what = shown ? `${shown.size} is` : 'it holds';
    const limit = shown ? shown.limit : formatBytes(maxBytes);
    return new FileReadError(path, `${what} more than the ${limit} such a file may have`);
  };
  const plain = (stat: Stats) => {
    if (stat.isDirectory()) throw new FileReadError(path, 'it is a directory');
    if (!stat.isFile()) throw new FileReadError(path, 'not a regular file');
    if (stat.size > maxBytes) throw tooBig(stat.size);
  };
  // Looked at before it is opened: opening a device can itself do something (a watchdog
  // starts), and a FIFO is refused without waiting for a writer.
  const noFollow = options.noFollow === true;
  const link = () => new FileReadError(path, 'a symbolic link (not followed)', 'ELOOP');
  const first = statOf(path, noFollow);
  if (first.isSymbolicLink()) throw link();
  plain(first);
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0),
    );
  } catch (error) {
    // O_NOFOLLOW says ELOOP for a link put there since the lstat.
    if (noFollow && codeOf(error) === 'ELOOP') throw link();
    throw new FileReadError(path, readReason(error), codeOf(error));
  }
  try {
    const opened = fstatSync(fd);
    plain(opened); // what was opened, should the name have been swapped meanwhile
    if (options.owners && !options.owners.includes(opened.uid))
      throw new FileReadError(path, `owned by another user (uid ${opened.uid})`, 'EPERM');
    // Read until the end, but never past the limit: the size stat gives is not what a file
    // under /proc or /sys holds (0), nor what a growing file holds by now.
    const chunks: Buffer[] = [];
    let got = 0;
    for (;;) {
      // Whole 64 KiB reads (some kernel files refuse odd sizes): at most one past the limit.
      const chunk = Buffer.allocUnsafe(64 * 1024);
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (error) {
        throw new FileReadError(path, readReason(error), codeOf(error));
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      got += n;
      if (got > maxBytes) throw tooBig(null);
    }
    return Buffer.concat(chunks, got);
  } finally {
    closeSync(fd);
  }
}

function statOf(path: string, noFollow: boolean): Stats {
  try {
    return noFollow ? lstatSync(path) : statSync(path);
  } catch (error) {
    throw new FileReadError(path, readReason(error), codeOf(error));
  }
}

const codeOf = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Why a file cannot be read, as a user reads it (`no such file`, `permission denied`, …). */
export function readReason(error: unknown): string {
  const code = codeOf(error);
  return code === 'ENOENT'
    ? 'no such file'
    : code === 'EACCES'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'it is a directory'
        : code === 'ELOOP'
          ? 'too many levels of symbolic links (a loop)'
          : code === 'ENOTDIR'
            ? 'a part of the path is not a directory'
            : (error as Error).message;
}
