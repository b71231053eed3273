/**
 * Taking a slot: its flock `/var/lock/hut-<id>.lock` (shared with the runner's flock(1)
 * scripts). For a label, the first free matching slot; when none is free, wait on all of them
 * and take whichever frees first.
 */
import { type HutConfig, localTarget, type Slot } from '../config/index.ts';
import { HutError, isHutError } from '../errors/index.ts';
import { acquireLock, describeHolder, type HeldLock, type LockOwner } from '../locks/index.ts';
import { LocalTransport } from '../transport/index.ts';
import { slotLockPath } from './paths.ts';

export interface HeldSlot {
  slot: Slot;
  lock: HeldLock;
}

export interface TakeOptions {
  owner: LockOwner;
  noWait?: boolean;
  signal?: AbortSignal;
  onWait?: (message: string) => void;
}

export async function acquireSlot(
  config: HutConfig,
  candidates: Slot[],
  options: TakeOptions,
): Promise<HeldSlot> {
  const transport = new LocalTransport(localTarget());
  // While it waits, the job is in the queue `serve` shows (with why it is not running).
  let queued: Promise<() => Promise<void>> | null = null;
  const enqueue = (why: string) => {
    queued = import('./waiting.ts').then(({ noteWaiting }) =>
      noteWaiting(config.paths.stateDir, {
        job_id: options.owner.job_id ?? null,
        wants: candidates.map((s) => s.id),
        why,
      }),
    );
  };
  try {
    return await take(config, candidates, options, transport, enqueue);
  } finally {
    if (queued) await (await (queued as Promise<() => Promise<void>>))();
  }
}

async function take(
  config: HutConfig,
  candidates: Slot[],
  options: TakeOptions,
  transport: LocalTransport,
  enqueue: (why: string) => void,
): Promise<HeldSlot> {
  if (candidates.length === 1) {
    const slot = candidates[0]!;
    try {
      const lock = await acquireLock(transport, slotLockPath(config, slot.id), {
        owner: options.owner,
        noWait: options.noWait === true,
        onWait: (holder) => {
          const why = `${slot.id} is held ${describeHolder(holder)}`;
          enqueue(why);
          options.onWait?.(`waiting for ${slot.id} (held ${describeHolder(holder)})`);
        },
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { slot, lock };
    } catch (error) {
      if (isHutError(error) && error.code === 'LOCK_HELD') {
        throw new HutError(
          'LOCK_HELD',
          `slot ${slot.id} is busy: held ${describeHolder((error.details as never) ?? null)}`,
          {
            hint: 'wait for it (run without --no-wait)',
          },
        );
      }
      throw error;
    }
  }
  const busy: string[] = [];
  for (const slot of candidates) {
    try {
      const lock = await acquireLock(transport, slotLockPath(config, slot.id), {
        owner: options.owner,
        noWait: true,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { slot, lock };
    } catch (error) {
      if (!isHutError(error) || error.code !== 'LOCK_HELD') throw error;
      busy.push(`${slot.id} ${describeHolder((error.details as never) ?? null)}`);
    }
  }
  if (options.noWait) {
    throw new HutError(
      'LOCK_HELD',
      `${candidates.length > 1 ? 'every matching slot is' : `slot ${candidates[0]!.id} is`} busy: ${busy.join('; ')}`,
      {
        hint: 'wait for it (run without --no-wait)',
      },
    );
  }
  enqueue(`every matching slot is busy: ${busy.join('; ')}`);
  options.onWait?.(`waiting for ${candidates.map((s) => s.id).join(' or ')} (${busy.join('; ')})`);
  // Wait on every candidate; the first to free wins, the others give up (or let go at once).
  const race = new AbortController();
  const stop = () => race.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', stop, { once: true });
  const attempts = candidates.map((slot) =>
    acquireLock(transport, slotLockPath(config, slot.id), {
      owner: options.owner,
      signal: race.signal,
    }).then((lock) => ({ slot, lock })),
  );
  try {
    const winner = await Promise.any(attempts);
    race.abort(new Error('another slot was taken'));
    for (const attempt of attempts) {
      void attempt.then(
        (other) => (other.lock === winner.lock ? undefined : other.lock.release()),
        () => {},
      );
    }
    return winner;
  } catch (error) {
    if (error instanceof AggregateError) throw error.errors[0];
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', stop);
  }
}
