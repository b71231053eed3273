/**
 * Locks on this host, taken by the keeper (src/keeper) with no process per lock. Without the
 * keeper, by `flock -F <lock> cat` started directly, no shell: we write one newline, and cat
 * echoes it once flock holds the lock (it only runs then); closing cat's stdin — or our death —
 * ends cat and with it the lock. hutctl writes the holder record itself, and removes it on
 * release while the lock is still held (so it never names a later holder).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, lstatSync, openSync, unlinkSync } from 'node:fs';
import { hostname, constants as osConstants, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HutError } from '../errors/index.ts';
import { makeDirs } from '../files/dirs.ts';
import { readTextFile, writeFileAtomic } from '../files/index.ts';
import { localKeeper, lockFileError } from '../keeper/index.ts';
import { heldLock, releaseByStdin } from './held.ts';
import type { AcquireOptions, HeldLock, LockOwner } from './index.ts';

export async function acquireLocalLock(
  path: string,
  ownerPath: string,
  options: AcquireOptions,
  describeHolder: (holder: LockOwner | null) => string,
): Promise<HeldLock> {
  if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
  makeDirs(dirname(path));
  const keeper = await localKeeper();
  let holder: { pid: number; release: () => Promise<void> } | null = null;
  // Who holds it is looked up alongside the wait, for the message only.
  let waiting = true;
  const onBusy = () => void readHolder(ownerPath).then((held) => waiting && options.onWait?.(held));
  if (keeper) {
    const release = await keeper
      .lock(path, {
        wait: options.noWait !== true,
        onBusy,
        ...(options.signal ? { signal: options.signal } : {}),
      })
      .finally(() => {
        waiting = false;
      });
    if (release) holder = { pid: keeper.pid, release };
  } else {
    const first = await attempt(path, false, options.signal);
    if (first.locked) holder = { pid: first.child.pid!, release: releaseByStdin(first.child) };
    else if (!options.noWait) {
      onBusy();
      const got = await attempt(path, true, options.signal).finally(() => {
        waiting = false;
      });
      if (!got.locked) throw new HutError('IO', `lock ${path}: unexpected conflict while waiting`);
      holder = { pid: got.child.pid!, release: releaseByStdin(got.child) };
    }
  }
  if (!holder) {
    const held = await readHolder(ownerPath);
    throw new HutError('LOCK_HELD', `lock ${path} is held ${describeHolder(held)}`, {
      hint: 'wait for it to finish (run without --no-wait), or cancel that job',
      details: held,
    });
  }
  // The record is for diagnostics only: written after the lock is ours, off the hand-off path.
  const record = `${holder.pid}\n${JSON.stringify(options.owner)}\n`;
  const written =
    options.ownerRecord === false
      ? Promise.resolve(false)
      : writeFileAtomic(ownerPath, record, { durable: false }).then(
          () => true,
          () => false,
        );
  const { release } = holder;
  return heldLock(path, hostname(), userInfo().username, async () => {
    if ((await written) && readText(ownerPath) === record) {
      try {
        unlinkSync(ownerPath);
      } catch {}
    }
    await release();
  });
}

/**
 * Makes sure the lock file is a plain file before flock(1) opens it (flock(1) follows symlinks
 * and creates what is missing): created here without following anything, or refused.
 */
function ensureLockFile(path: string): void {
  const { O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;
  try {
    closeSync(openSync(path, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, 0o644));
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') throw lockFileError(path, osConstants.errno[code as 'EACCES'] ?? 0);
  }
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) throw lockFileError(path, osConstants.errno.ELOOP);
  if (!stat.isFile() && !stat.isDirectory()) throw lockFileError(path, 0);
}

function attempt(
  path: string,
  wait: boolean,
  signal: AbortSignal | undefined,
): Promise<{ locked: boolean; child: ChildProcess }> {
  ensureLockFile(path);
  const args = ['-x', ...(wait ? [] : ['-n']), '-E', '75', '-F', '--', path, 'cat'];
  const child = spawn('flock', args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    let stderr = '';
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
      child.stdin?.destroy();
      finish(() => reject(signal?.reason ?? new Error('aborted')));
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdin!.on('error', () => {});
    child.stdin!.write('\n');
    child.stdout!.once('data', () => finish(() => resolve({ locked: true, child })));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(() =>
        reject(
          error.code === 'ENOENT'
            ? new HutError('IO', 'flock(1) is not installed', { hint: 'install util-linux' })
            : error,
        ),
      ),
    );
    child.on('exit', (code) => {
      if (code === 75) finish(() => resolve({ locked: false, child }));
      else
        finish(() =>
          reject(
            new HutError(
              'IO',
              `cannot take lock ${path}: ${stderr.trim() || `flock exited ${code}`}`,
              { hint: 'check that the lock directory is writable' },
            ),
          ),
        );
    });
  });
}

/** The holder's record, if it names a live process (a holder that has just started may not have written it yet). */
async function readHolder(ownerPath: string): Promise<LockOwner | null> {
  for (let tries = 0; tries < 3; tries++) {
    const holder = readLockHolder(ownerPath);
    if (holder) return holder;
    await sleep(20);
  }
  return null;
}

/** A holder record is a pid and a line of JSON: a few hundred bytes. */
const OWNER_MAX_BYTES = 64 * 1024;

/**
 * A holder record's text, or null. It lies in a directory every user may write (/tmp,
 * /var/lock): what another user left at its name — a FIFO, a device, a huge file — is passed
 * over, never waited on or read to its end.
 */
function readText(path: string): string | null {
  try {
    return readTextFile(path, OWNER_MAX_BYTES);
  } catch {
    return null;
  }
}

/** A lock's `<lock>.owner` record (holding pid, then JSON), or null when absent or its holder is gone. */
export function readLockHolder(ownerPath: string): LockOwner | null {
  try {
    const [pid, record] = (readText(ownerPath) ?? '').split('\n');
    if (!pid || !/^\d+$/.test(pid) || !existsSync(`/proc/${pid}`) || !record) return null;
    return JSON.parse(record) as LockOwner;
  } catch {
    return null;
  }
}
