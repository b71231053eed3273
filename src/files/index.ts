/** Small file helpers shared by every layer: atomic writes and home-directory expansion. */

import { open, rename, unlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
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
