/** A held lock as callers see it, whichever process holds it for us. */
import type { ChildProcess } from 'node:child_process';
import type { HeldLock } from './index.ts';

/** A lock whose `release` runs once, however often it is called (or disposed). */
export function heldLock(
  path: string,
  host: string,
  user: string,
  release: () => Promise<void>,
): HeldLock {
  let released: Promise<void> | null = null;
  const once = () => {
    released ??= release();
    return released;
  };
  return { path, host, user, release: once, [Symbol.asyncDispose]: once };
}

/** Letting go of a lock held by a process that holds it until its stdin closes (flock(1) + cat). */
export function releaseByStdin(child: ChildProcess): () => Promise<void> {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return async () => {
    child.stdin!.end();
    await exited;
  };
}
