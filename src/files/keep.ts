/**
 * An edit of a file that someone else keeps (a team's document, a hand-written config): the new
 * file replaces the old one atomically, and keeps everything the edit did not mean to change —
 * the bytes of every other line, line endings, mode, owner and group; a symlink stays a symlink
 * and its target gets the edit. It leaves nothing behind in the file's directory, and removes
 * what a killed edit left there.
 */
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  realpathSync,
  type Stats,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HutError } from '../errors/index.ts';
import { sizeOverLimit } from '../format/index.ts';
import { FileReadError, readFileBytes, readReason } from './read.ts';
import { replaceFileSync } from './replace.ts';
import { applyLines, decodeBytes, encodeText, lfText, splitLines } from './text.ts';

export { applyLines, decodeBytes, encodeText, lfText, matchLines, splitLines } from './text.ts';

export interface KeptEdit {
  /** The file that was edited: the target, when `path` is a symlink. */
  path: string;
  /** The text before and after, `\n`-joined, as the editor saw and returned it. */
  before: string;
  after: string;
  changed: boolean;
}

export interface KeepingOptions {
  /** Takes a lock that excludes other editors of files in `dir`, for the whole edit. */
  lock: (dir: string) => Promise<AsyncDisposable>;
  /** A missing file is edited as an empty one (created with the default mode). */
  create?: boolean;
  /** A larger file is refused, not read (the edit holds it in memory twice over). */
  maxBytes: number;
  /** What to do when the edit would make the file larger than `maxBytes` (a team document's: move old entries out). */
  sizeHint?: string;
}

/**
 * The text of a file as an editor sees it: decoded without loss, lines joined by `\n`. Only a
 * regular file of at most `maxBytes` is read: a FIFO, a device or a /proc file is refused
 * without waiting on it.
 */
export function readKeeping(path: string, maxBytes: number): string {
  return lfText(splitLines(decodeBytes(readBounded(path, maxBytes))));
}

/**
 * Runs `change` on the file's text under the lock and, when it returns something else, replaces
 * the file: only the lines that differ get new bytes (in the file's line ending).
 */
export async function editFileKeeping(
  path: string,
  change: (text: string) => string,
  options: KeepingOptions,
): Promise<KeptEdit> {
  const target = targetOf(path, options.create === true);
  await using _lock = await options.lock(dirname(target));
  removeStaleTemps(dirname(target));
  const stat = statOrNull(target);
  if (stat && !stat.isFile())
    throw new HutError('INPUT', `${path} is not a regular file; it was left untouched`);
  if (!stat && !options.create) throw new HutError('NOT_FOUND', `${path} does not exist`);
  const file = splitLines(
    decodeBytes(stat ? readBounded(target, options.maxBytes) : new Uint8Array()),
  );
  const before = lfText(file);
  const after = change(before);
  if (after === before) return { path: target, before, after, changed: false };
  const bytes = encodeText(applyLines(file, after));
  // A file past the limit could no longer be read by hutctl (nor edited again): refused whole.
  if (bytes.length > options.maxBytes) {
    const shown = sizeOverLimit(bytes.length, options.maxBytes);
    throw new HutError(
      'INPUT',
      `${path}: the edit would make it ${shown.size}, more than the ${shown.limit} hutctl reads of such a file; nothing was changed`,
      {
        hint:
          options.sizeHint ??
          'make room in it first (move old entries to another file), then run this again',
      },
    );
  }
  if (stat) checkOwnership(target, stat);
  replaceFile(target, bytes, stat);
  return { path: target, before, after, changed: true };
}

function readBounded(path: string, maxBytes: number): Buffer {
  try {
    return readFileBytes(path, maxBytes);
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    if (error.code === 'ENOENT') throw new HutError('NOT_FOUND', `${path} does not exist`);
    throw new HutError('INPUT', error.message);
  }
}

/** The file an edit of `path` changes: the end of its symlinks. */
function targetOf(path: string, create: boolean): string {
  try {
    return realpathSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A path that can never name a file (a symlink loop, a file where a directory should be)
    // is the user's to fix, said as a read of it would say it.
    if (code === 'ELOOP' || code === 'ENOTDIR')
      throw new HutError('INPUT', `${path}: ${readReason(error)}`);
    if (code !== 'ENOENT') throw ioError(path, error);
    let link = false;
    try {
      link = lstatSync(path).isSymbolicLink();
    } catch {}
    if (link) throw new HutError('NOT_FOUND', `${path} is a symlink to a file that does not exist`);
    if (!create) throw new HutError('NOT_FOUND', `${path} does not exist`);
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch (inner) {
      throw ioError(dirname(path), inner);
    }
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(path, error);
  }
}

const userName = (uid: number) => (uid === 0 ? 'root' : `uid ${uid}`);

/** A new file would belong to whoever writes it: refused when that is not the file's owner and group. */
function checkOwnership(path: string, stat: Stats): void {
  const uid = process.geteuid?.();
  if (uid === undefined || uid === 0) return; // root can give the new file the old owner
  if (stat.uid !== uid) {
    throw new HutError(
      'IO',
      `${path} belongs to ${userName(stat.uid)} and hutctl runs as uid ${uid}: the edited file would change owner, so it was left untouched (run the command as its owner)`,
    );
  }
  const groups = [process.getegid?.(), ...(process.getgroups?.() ?? [])];
  if (!groups.includes(stat.gid)) {
    throw new HutError(
      'IO',
      `${path} belongs to group ${stat.gid}, which uid ${uid} is not in: the edited file would change group, so it was left untouched (run the command as a member of that group)`,
    );
  }
}

/** Temp file in the same directory with the old mode and owner, written, synced, renamed over. */
function replaceFile(path: string, data: Uint8Array, stat: Stats | null): void {
  try {
    replaceFileSync(path, data, {
      mode: stat ? 0o600 : 0o666,
      prepare: (fd) => {
        if (!stat) return;
        const made = fstatSync(fd);
        if (made.uid !== stat.uid || made.gid !== stat.gid) fchownSync(fd, stat.uid, stat.gid);
        fchmodSync(fd, stat.mode & 0o7777); // after chown, which may clear set-id bits
      },
    });
  } catch (error) {
    throw ioError(path, error);
  }
  syncDirectory(dirname(path));
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {}
}

const TEMP = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/** Removes the temp files (`.<name>.<pid>.<hex>.tmp`) of writers whose process is gone. */
export function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const pid = Number(TEMP.exec(name)?.[1] ?? 0);
    if (pid <= 0 || alive(pid)) continue;
    const path = join(dir, name);
    try {
      if (!lstatSync(path).isFile()) continue;
      unlinkSync(path);
      removed.push(path);
    } catch {}
  }
  return removed;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function _hex8(): string {
  return Math.floor(Math.random() * 0x100000000)
    .toString(16)
    .padStart(8, '0');
}

function ioError(path: string, error: unknown): HutError {
  if (error instanceof HutError) return error;
  const e = error as NodeJS.ErrnoException;
  const why =
    e.code === 'EACCES' || e.code === 'EPERM'
      ? 'permission denied (an edit writes a new copy in the same directory and renames it over the old one)'
      : e.code === 'EROFS'
        ? 'read-only file system'
        : e.code === 'ENOSPC'
          ? 'no space left on the device'
          : (e.message ?? String(error));
  return new HutError('IO', `cannot write ${path}: ${why}; it was left untouched`, {
    cause: error,
  });
}
