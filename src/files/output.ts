/** Files a person names for hutctl's output (`--junit`, `--summary`). */
import { accessSync, constants, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HutConfig } from '../config/index.ts';
import { HutError } from '../errors/index.ts';
import { makeDirs } from './dirs.ts';
import { writeFileAtomic } from './index.ts';

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
  // A lock file replaced while held frees its slot for a second holder.
  if (target.endsWith('.lock'))
    throw new HutError('USAGE', `${path} is a lock file: never written as output`);
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
 * Why output `file` cannot be written, or null, checked before a run: its directory is made now
 * (as the write would make it) and must be one this user may write; `file` itself (its links
 * followed) may not be a directory, a loop of links, a file with other names (hard links), or
 * one of hutctl's own files — a lock, the ledger and state, an artifact, an evidence file, the
 * config and the files it names (writing there would free a held slot or lose a record).
 */
export function outputProblem(file: string, config: HutConfig): string | null {
  let path: string;
  try {
    // Absolute but not normalised: `x/../y.xml` is written where the kernel takes it (through x,
    // which must exist and may be a link), so it is checked there too.
    path = outputTarget(isAbsolute(file) ? file : `${process.cwd()}/${file}`);
  } catch (error) {
    return (error as Error).message;
  }
  try {
    const info = statSync(path);
    if (info.isDirectory()) return 'is a directory';
    // Another name of the same file (a hard link to the config, a key): appended to or written
    // through, that file would change too, and no path check sees it.
    if (info.isFile() && info.nlink > 1)
      return `has ${info.nlink - 1} other name(s) (hard links): writing there changes that file too; give a path of its own`;
  } catch {}
  let where: string;
  try {
    makeDirs(dirname(path));
    accessSync(dirname(path), constants.W_OK);
    where = join(realpathSync(dirname(path)), basename(path));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'EEXIST' || e.code === 'ENOTDIR') return `${e.path} is not a directory`;
    return `${e.path ?? dirname(path)} cannot be written (${e.code ?? e.message})`;
  }
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  const inside = (dir: string) => where.startsWith(`${real(dir)}/`);
  const { paths } = config;
  // The files hutctl.yaml names for hutctl to read: keys, known_hosts, the Home Assistant token.
  const named = [
    config.file,
    config.homeAssistant?.tokenFile,
    ...Object.values(config.targets).flatMap((t) => [t.identityFile, t.knownHosts]),
    ...Object.values(config.vms).flatMap((vm) => [vm.identityFile, vm.sshPublicKey]),
  ].filter((f): f is string => typeof f === 'string');
  if (
    where.endsWith('.lock') ||
    inside(paths.stateDir) ||
    inside(paths.slotLockDir) ||
    inside(config.artifacts.store) ||
    (inside(paths.evidenceDir) && /_utc\.(json|log)$/.test(where)) ||
    named.some((f) => where === real(f))
  )
    return "is one of hutctl's own files (a lock, the ledger, an artifact, evidence, the config or a file it names): give another path";
  return null;
}
