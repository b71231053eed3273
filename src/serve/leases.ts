/**
 * Leases: how an agent holds a board across tool calls. A lease is the slot's own flock, held
 * by this process for one holder (an MCP session), with a time to live that every use renews.
 * It ends when the holder releases it, when its session ends, or when the TTL passes unused —
 * and, since it is a flock, when this process dies: never a lock that outlives its holder. While
 * leased, the slot is busy to everyone else exactly as if a job held it.
 */
import { hostname } from 'node:os';
import type { HutConfig, Slot } from '../config/index.ts';
import { HutError } from '../errors/index.ts';
import { randomHex } from '../files/index.ts';
import type { HeldSlot } from '../slots/lock.ts';
import type { Db } from '../store/db.ts';

export interface Lease {
  id: string;
  slot: Slot;
  holder: string;
  ttlMs: number;
  held: HeldSlot;
  expiresAt: number;
  expiresUtc(): string;
  /** The job running on it now (its output is the slot's live output), or null. */
  job: string | null;
}

export const DEFAULT_TTL_SEC = 600;
export const MIN_TTL_SEC = 2;
export const MAX_TTL_SEC = 24 * 3600;

/** A lease with its bookkeeping: the expiry timer, work under way, and an end put off by it. */
interface Entry extends Lease {
  timer: NodeJS.Timeout | undefined;
  busy: number;
  ending: string | null;
}

/** Told of each lease taken or ended; what it returns (the action log's write) is waited for. */
type OnChange = (lease: Lease, event: 'taken' | 'ended', why: string) => unknown;

export class Leases {
  readonly #bySlot = new Map<string, Entry>();
  readonly #work = new Set<Promise<unknown>>();
  /** Aborted when the server stops: what runs on a leased slot ends in order. */
  readonly stopping = new AbortController();
  readonly #config: HutConfig;
  readonly #ledger: Db | null;
  readonly #onChange: OnChange;

  /**
   * `ledger`: the server's open ledger, which health is read from; `onChange` is told when a
   * lease begins or ends (`why`: released, expired, session ended).
   */
  constructor(config: HutConfig, ledger: Db | null, onChange: OnChange = () => {}) {
    this.#config = config;
    this.#ledger = ledger;
    this.#onChange = onChange;
  }

  of(slot: string): Lease | null {
    return this.#bySlot.get(slot) ?? null;
  }

  heldBy(holder: string): Lease[] {
    return [...this.#bySlot.values()].filter((l) => l.holder === holder);
  }

  /** Takes a free, healthy slot by id or label, or says why not (at once: an agent does not hang). */
  async take(
    holder: string,
    want: { slot?: string; label?: string },
    ttlSec = DEFAULT_TTL_SEC,
  ): Promise<Lease> {
    if (!Number.isInteger(ttlSec) || ttlSec < MIN_TTL_SEC || ttlSec > MAX_TTL_SEC)
      throw new HutError(
        'USAGE',
        `ttl_sec must be a whole number from ${MIN_TTL_SEC} to ${MAX_TTL_SEC}`,
      );
    const { candidateSlots } = await import('../slots/slots.ts');
    const { routableSlots } = await import('../slots/health.ts');
    const named = candidateSlots(this.#config, want);
    const mine = named.find((s) => this.#bySlot.get(s.id)?.holder === holder);
    if (mine) return this.renew(holder, mine.id);
    const candidates = await routableSlots(this.#config, named, undefined, this.#ledger);
    const id = `lease-${randomHex(8)}`;
    // A slot whose health check is due gets it first, under the lease's lock, as a job's does.
    const { acquireHealthySlot } = await import('../slots/health-gate.ts');
    const { healthCheckOn } = await import('../hil/health-check.ts');
    const held = await acquireHealthySlot(this.#config, candidates, {
      owner: {
        job_id: id,
        by: holder,
        pid: process.pid,
        host: hostname(),
        since: new Date().toISOString(),
      },
      noWait: true,
      check: healthCheckOn(this.#config),
    });
    const lease: Entry = {
      id,
      slot: held.slot,
      holder,
      ttlMs: ttlSec * 1000,
      held,
      expiresAt: 0,
      timer: undefined,
      busy: 0,
      ending: null,
      job: null,
      expiresUtc() {
        return new Date(this.expiresAt).toISOString();
      },
    };
    this.#bySlot.set(held.slot.id, lease);
    this.#arm(lease);
    // The lease is in the action log before the agent hears it has it.
    await this.#onChange(lease, 'taken', 'leased');
    return lease;
  }

  /** The holder's lease of `slot`, renewed; an error that says so when there is none. */
  renew(holder: string, slot: string): Lease {
    return this.#renew(holder, slot);
  }

  #renew(holder: string, slot: string): Entry {
    const lease = this.#bySlot.get(slot);
    if (!lease || lease.holder !== holder)
      throw new HutError(
        'INPUT',
        lease
          ? `slot ${slot} is leased by someone else (${lease.holder})`
          : `you hold no lease on ${slot}`,
        { hint: 'lease it first (the lease tool), then use it' },
      );
    this.#arm(lease);
    return lease;
  }

  /**
   * Runs `work` on the holder's leased slot. The lease cannot expire while the work runs (a
   * flash may take longer than the TTL); its TTL starts again when the work ends.
   */
  async using<T>(holder: string, slot: string, work: (lease: Lease) => Promise<T>): Promise<T> {
    const lease = this.#renew(holder, slot);
    // A slot a person has taken out of service since it was leased is not used any more.
    const { routableSlots } = await import('../slots/health.ts');
    await routableSlots(this.#config, [lease.slot], undefined, this.#ledger);
    clearTimeout(lease.timer);
    lease.busy += 1;
    const running = work(lease);
    this.#work.add(running);
    try {
      return await running;
    } finally {
      this.#work.delete(running);
      lease.busy -= 1;
      if (lease.busy === 0 && this.#bySlot.get(slot) === lease) {
        if (lease.ending) await this.#end(lease, lease.ending);
        else this.#arm(lease);
      }
    }
  }

  async release(holder: string, slot: string, why = 'released'): Promise<Lease> {
    const lease = this.#renew(holder, slot);
    await this.#end(lease, why);
    return lease;
  }

  /** A person takes the slot back: its lease ends (when the run under way, if any, ends). */
  async revoke(slot: string, why: string): Promise<void> {
    const lease = this.#bySlot.get(slot);
    if (lease) await this.#end(lease, why);
  }

  /** Ends every lease of `holder` (its session ended, or it is done); returns their slots. */
  async releaseAll(holder: string, why = 'session ended'): Promise<string[]> {
    const ended: string[] = [];
    for (const lease of [...this.#bySlot.values()])
      if (lease.holder === holder) {
        await this.#end(lease, why);
        ended.push(lease.slot.id);
      }
    return ended;
  }

  /**
   * Ends every lease. Work under way is told to stop (`stopping`: a run cancels in order, with
   * its report) and waited for first.
   */
  async closeAll(why = 'server stopped'): Promise<void> {
    this.stopping.abort(new Error(why));
    await Promise.allSettled([...this.#work]);
    for (const lease of [...this.#bySlot.values()]) await this.#end(lease, why);
  }

  #arm(lease: Entry): void {
    clearTimeout(lease.timer);
    lease.expiresAt = Date.now() + lease.ttlMs;
    lease.timer = setTimeout(() => void this.#end(lease, 'expired unused'), lease.ttlMs);
    lease.timer.unref();
  }

  async #end(lease: Entry, why: string): Promise<void> {
    if (this.#bySlot.get(lease.slot.id) !== lease) return;
    clearTimeout(lease.timer);
    // Work under way keeps the slot until it ends (it is bounded by its own timeout).
    if (lease.busy > 0) {
      lease.ending = why;
      return;
    }
    this.#bySlot.delete(lease.slot.id);
    await lease.held.lock.release();
    // In the action log before `release_slot` / `release_all` answer: the delegation that asked
    // ends its agent (and this process) right after.
    await this.#onChange(lease, 'ended', why);
  }
}
