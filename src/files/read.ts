/**
 * Reading a file named from outside (a config, an invocation, a manifest): a plain file only —
 * never a FIFO that would block or a device that never ends — and at most `maxBytes`.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { formatBytes } from '../format/index.ts';

export class FileReadError extends Error {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'FileReadError';
    this.path = path;
  }
}

/** The file's text (UTF-8), or a FileReadError that says why it cannot be read. */
export function readTextFile(path: string, maxBytes: number): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileReadError(
      path,
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (error as Error).message,
    );
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new FileReadError(path, 'it is a directory');
    if (!stat.isFile()) throw new FileReadError(path, 'not a regular file');
    if (stat.size > maxBytes)
      throw new FileReadError(
        path,
        `${formatBytes(stat.size)} is more than the ${formatBytes(maxBytes)} such a file may have`,
      );
    const buffer = Buffer.alloc(stat.size);
    let got = 0;
    while (got < buffer.length) {
      const n = readSync(fd, buffer, got, buffer.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buffer.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
