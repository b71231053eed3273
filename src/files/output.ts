/** Files a person names for hutctl's output (`--junit`, `--summary`). */
import { constants, lstatSync, readlinkSync, statSync } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HutError } from '../errors/index.ts';
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
