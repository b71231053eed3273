/**
 * The local fast path of a lock: `flock -F <lock> cat` started directly, no shell. We write one
 * newline; cat echoes it once flock holds the lock (it only runs then). Closing cat's stdin —
 * or our death — ends cat and with it the lock. hutctl writes the holder record itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HutError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import type { AcquireOptions, HeldLock, LockOwner } from './index.ts';

export async function acquireLocalLock(
  path: string,
  ownerPath: string,
  options: AcquireOptions,
  holdLock: (child: ChildProcess, path: string, host: string, user: string) => HeldLock,
  describeHolder: (holder: LockOwner | null) => string,
): Promise<HeldLock> {
  mkdirSync(dirname(path), { recursive: true });
  const first = await attempt(path, false, options.signal);
  let child = first.child;
  if (!first.locked) {
    if (options.noWait) {
      const holder = await readHolder(ownerPath);
      throw new HutError('LOCK_HELD', `lock ${path} is held ${describeHolder(holder)}`, {
        hint: 'wait for it to finish (run without --no-wait), or cancel that job',
        details: holder,
      });
    }
    // Start waiting at once; who holds it is looked up alongside, for the message only.
    const second = attempt(path, true, options.signal);
    let waiting = true;
    void readHolder(ownerPath).then((holder) => waiting && options.onWait?.(holder));
    const got = await second.finally(() => {
      waiting = false;
    });
    if (!got.locked) throw new HutError('IO', `lock ${path}: unexpected conflict while waiting`);
    child = got.child;
  }
  // The record is for diagnostics only: written after the lock is ours, off the hand-off path.
  void writeFileAtomic(ownerPath, `${child.pid}\n${JSON.stringify(options.owner)}\n`, {
    durable: false,
  }).catch(() => {});
  return holdLock(child, path, hostname(), userInfo().username);
}

function attempt(
  path: string,
  wait: boolean,
  signal: AbortSignal | undefined,
): Promise<{ locked: boolean; child: ChildProcess }> {
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

/** A lock's `<lock>.owner` record (holding pid, then JSON), or null when absent or its holder is gone. */
export function readLockHolder(ownerPath: string): LockOwner | null {
  try {
    const [pid, record] = readFileSync(ownerPath, 'utf8').split('\n');
    if (!pid || !/^\d+$/.test(pid) || !existsSync(`/proc/${pid}`) || !record) return null;
    return JSON.parse(record) as LockOwner;
  } catch {
    return null;
  }
}
