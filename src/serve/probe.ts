/**
 * Slot lock states for `serve`, kept: each slot's lock is probed (flock, in parallel) when it is
 * first asked for and again only after its lock file or owner record changed (the watch says
 * which), so a page refresh costs no process at all and a slot taken costs one probe. A probe
 * older than a minute is done again, in case a change went unseen.
 */
import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import type { LockProbe } from '../slots/status.ts';

const FRESH_MS = 60_000;

export class LockStates {
  readonly #known = new Map<string, { locked: Promise<boolean>; at: number }>();
  readonly #freshMs: number;

  /** `freshMs`: how long an answer is kept without a change seen (0: probe every time). */
  constructor(freshMs = FRESH_MS) {
    this.#freshMs = freshMs;
  }

  /** The probe to hand to slotStatus. */
  readonly probe: LockProbe = (path) => {
    const known = this.#known.get(path);
    if (known && Date.now() - known.at < this.#freshMs) return known.locked;
    const locked = new Promise<boolean>((resolve) => {
      execFile('flock', ['-n', '-s', path, 'true'], (error) =>
        resolve((error as { code?: number } | null)?.code === 1),
      );
    });
    this.#known.set(path, { locked, at: Date.now() });
    return locked;
  };

  /** A file in the lock directory changed: that slot's lock is probed again when next asked. */
  changed(name: string): void {
    const lock = name.replace(/\.owner$/, '');
    for (const path of this.#known.keys()) if (basename(path) === lock) this.#known.delete(path);
  }
}
