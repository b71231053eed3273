/** Small file helpers shared by every layer: atomic writes and home-directory expansion. */

import { constants, lstatSync, readlinkSync, statSync } from 'node:fs';
import { open, rename, unlink, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HutError } from '../errors/index.ts';
import { makeDirs } from './dirs.ts';
import { replaceFileSync, tempPathFor } from './replace.ts';

export { type ReplaceOptions, randomHex, replaceFileSync, tempPathFor } from './replace.ts';

/**
 * Writes `data` to `path` so readers see the old file or the whole new one, never a part: a
 * temp file in the same directory, fsync (unless `durable: false`), rename.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number; durable?: boolean } = {},
): Promise<void> {
  const dir = dirname(path);
  // A directory made on the way is private: one meant to be shared is prepared by its owner
  // (privateDir with the team's group) before anything is written into it.
  makeDirs(dir, 0o700);
  const temp = tempPathFor(path);
  const handle = await open(temp, 'wx', options.mode ?? 0o644);
  try {
    await handle.writeFile(data);
    // Durable by default; transient markers skip the fsync (they are still never half-written).
    if (options.durable !== false) await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temp).catch(() => {});
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/**
 * A file a person named for hutctl's output (`--junit`, `--summary`): a symbolic link is followed
 * (to where it points, made if missing), a regular file (or a new one) is written atomically, and
 * what is not a regular file — a device such as /dev/null or /dev/stdout, a FIFO, a process
 * substitution — is written to as it is, never replaced by a file (as root, replacing /dev/null
 * would break the machine). A FIFO that nobody reads is an error, not a wait for ever.
 */
export async function writeOutputFile(
  path: string,
  data: string,
  options: { append?: boolean } = {},
): Promise<void> {
  const target = outputTarget(path);
  const info = statSync(target, { throwIfNoEntry: false });
  if (info?.isFIFO()) {
    // Opened without waiting: with no reader this fails (ENXIO) instead of blocking for ever. The
    // same open file is written (closing a probe would end its reader's input).
    const fifo = await open(target, constants.O_WRONLY | constants.O_NONBLOCK).catch((error) => {
      throw new HutError(
        'IO',
        `${path} is a FIFO that nobody reads (${(error as NodeJS.ErrnoException).code}): nothing was written to it`,
      );
    });
    try {
      const bytes = Buffer.from(data);
      for (let done = 0; done < bytes.length; ) {
        try {
          done += (await fifo.write(bytes, done)).bytesWritten;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
          await sleep(5); // the reader is behind: a full pipe drains
        }
      }
    } finally {
      await fifo.close();
    }
    return;
  }
  if (options.append || (info && !info.isFile()))
    await writeFile(target, data, { flag: options.append ? 'a' : 'w' });
  else await writeFileAtomic(target, data);
}

/**
 * Where an output path leads: the end of its chain of symbolic links (which may not exist yet:
 * written there, as a shell's `>` does), else the path itself. A loop is an error, said so.
 */
export function outputTarget(path: string): string {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    let info: ReturnType<typeof lstatSync>;
    try {
      info = lstatSync(current, { throwIfNoEntry: false });
    } catch {
      return current; // a part of it is not a directory, or cannot be read: the write says so
    }
    if (!info?.isSymbolicLink()) return current;
    current = resolve(dirname(current), readlinkSync(current));
  }
  throw new HutError('USAGE', `${path} is a loop of symbolic links`);
}

/**
 * `writeFileAtomic` for a small transient marker on a hot path (a job's running record): the
 * same temp-file-and-rename, without fsync, in four system calls and no trips through the
 * thread pool.
 */
export function writeMarkerAtomicSync(path: string, data: string): void {
  replaceFileSync(path, data, { durable: false, mkdir: true });
}

/** A checksum of `text`, to notice a change to it; not for anything an attacker controls. */
export function textChecksum(text: string): string {
  // Two 32-bit FNV-1a lanes (the second with another prime) over UTF-16 code units: a few KiB
  // in microseconds, and no node:crypto to load (~10 ms) on a command's way in.
  let a = 0x811c9dc5;
  let b = 0x9dc5811c;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995);
  }
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return `${hex(a)}${hex(b)}:${text.length}`;
}

/** A stable 64-bit FNV-1a hash of `text` as 16 hex digits, to name a file after a longer key. */
export function nameHash(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * The user's home: $HOME when it is an absolute path, else the password database's (an empty or
 * relative $HOME would put hutctl's files somewhere relative to wherever it runs).
 */
export function homeOf(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOME?.startsWith('/')) return env.HOME;
  try {
    return userInfo().homedir || '/';
  } catch {
    return '/';
  }
}

/** An XDG base directory: the variable when it is absolute (the spec ignores relative ones), else `~/<fallback>`. */
export function xdgDir(env: NodeJS.ProcessEnv, variable: string, fallback: string): string {
  const value = env[variable];
  return value?.startsWith('/') ? value : join(homeOf(env), fallback);
}

/** Expands a leading `~` or `~/` the way a shell would for the current user. */
export function expandHome(path: string, home: string = homeOf()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}

export * from './keep.ts';
export { checkRelativePath, pathUnder, relativePathProblem } from './paths.ts';
export { checkWritableDir, groupId, privateDir, unsafeDirMode } from './private.ts';
export {
  FileReadError,
  type ReadOptions,
  readFileBytes,
  readReason,
  readTextFile,
} from './read.ts';
export { fsReason } from './reason.ts';
