/**
 * An artifact's files, read and copied without ever following a symbolic link: every directory
 * on the way is checked with lstat, the file itself is opened O_NOFOLLOW and must be a regular
 * file, and a copy is written beside its target and renamed over it. hutctl never stores a link,
 * so one inside an artifact is corruption (or a plant) and is refused.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HutError } from '../errors/index.ts';
import { pathUnder, randomHex } from '../files/index.ts';

const CHUNK = 256 * 1024;

function corrupt(label: string, what: string): HutError {
  return new HutError('ARTIFACT', `${label}: ${what}`, {
    hint: 'do not flash it; store the build again from the upstream lane',
  });
}

/** What is at `path`, without following a link. */
async function kindOf(path: string): Promise<'missing' | 'directory' | 'link' | 'other'> {
  try {
    const stat = await lstat(path);
    return stat.isSymbolicLink() ? 'link' : stat.isDirectory() ? 'directory' : 'other';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
}

/** A directory of a stored artifact: true if it is one, false if missing; a link is refused. */
async function isRealDirectory(path: string, label: string, shown: string): Promise<boolean> {
  const kind = await kindOf(path);
  if (kind === 'link') throw corrupt(label, `${shown} is a symbolic link (refused)`);
  if (kind === 'other') throw corrupt(label, `${shown} is not a directory`);
  return kind === 'directory';
}

/** The artifact directory `<store>/<sha>/<profile>`: no link on the way from the store. */
export async function checkArtifactDir(
  store: string,
  sha: string,
  profile: string,
  label: string,
): Promise<boolean> {
  return (
    (await isRealDirectory(pathUnder(store, sha), label, `${store}/${sha}`)) &&
    isRealDirectory(pathUnder(store, sha, profile), label, `${store}/${sha}/${profile}`)
  );
}

/** Opens the manifest entry `name` inside `dir` for reading, following no link on the way. */
export async function openEntry(dir: string, name: string, label: string): Promise<FileHandle> {
  const segments = name.split('/');
  for (let depth = 1; depth < segments.length; depth++) {
    const sub = segments.slice(0, depth);
    if (!(await isRealDirectory(pathUnder(dir, ...sub), label, `${sub.join('/')}/`)))
      throw corrupt(label, `${name} is missing`);
  }
  let handle: FileHandle;
  try {
    handle = await open(
      pathUnder(dir, ...segments),
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw corrupt(label, `${name} is missing`);
    if (code === 'ELOOP') throw corrupt(label, `${name} is a symbolic link (refused)`);
    throw error;
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw corrupt(label, `${name} is not a regular file`);
  }
  return handle;
}

/** Size and sha256 of what `from` holds, written to `to` as it is read when there is one. */
export async function digest(
  from: FileHandle,
  to?: FileHandle,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK);
  let size = 0;
  for (;;) {
    const { bytesRead } = await from.read(buffer, 0, CHUNK, size);
    if (bytesRead === 0) break;
    const chunk = buffer.subarray(0, bytesRead);
    hash.update(chunk);
    for (let written = 0; to && written < chunk.length; )
      written += (await to.write(chunk, written)).bytesWritten;
    size += bytesRead;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Checks one entry against its manifest record; the corrupt error names what differs. */
export function checkDigest(
  label: string,
  file: { name: string; size: number; sha256: string },
  got: { size: number; sha256: string },
): void {
  if (got.size === file.size && got.sha256 === file.sha256) return;
  throw corrupt(
    label,
    `${file.name} is corrupt (sha256 ${got.sha256.slice(0, 12)}…, manifest says ${file.sha256.slice(0, 12)}…)`,
  );
}

/**
 * A new file for `name` under `root`, to be renamed over its target once it is complete: the
 * directories on the way are created, and one that is a symbolic link is refused.
 */
export async function stageCopy(
  root: string,
  name: string,
): Promise<{ temp: string; target: string; handle: FileHandle }> {
  const segments = name.split('/');
  for (let depth = 1; depth < segments.length; depth++) {
    const sub = pathUnder(root, ...segments.slice(0, depth));
    const kind = await kindOf(sub);
    if (kind === 'missing') await mkdir(sub);
    else if (kind !== 'directory')
      throw new HutError(
        'INPUT',
        `${sub} is ${kind === 'link' ? 'a symbolic link' : 'not a directory'}; hutctl does not write through it`,
        { hint: 'copy the artifact to a new directory' },
      );
  }
  const target = pathUnder(root, ...segments);
  const temp = `${dirname(target)}/.${segments.at(-1)}.${process.pid}.${randomHex(8)}.tmp`;
  return { temp, target, handle: await open(temp, 'wx', 0o644) };
}

/** Renames each staged copy over its target, or removes them all. */
export async function finishCopies(
  staged: Array<{ temp: string; target: string }>,
  keep: boolean,
): Promise<void> {
  for (const { temp, target } of staged) {
    if (keep) await rename(temp, target);
    else await unlink(temp).catch(() => {});
  }
}
