/**
 * A slot's due health check, run by hutctl itself before the slot's next normal job, under the
 * lock that job holds: nothing can take the slot between the check and the job. A check that
 * passes lets the job run; one that does not makes the slot Bad, and the job goes to another
 * candidate, or is refused with the reason when none is left. The check itself is hil's
 * (HW-BOOT-001 with a known-good artifact), handed in by the caller: slots sit below hil.
 */
import type { HutConfig, Slot } from '../config/index.ts';
import { HutError } from '../errors/index.ts';
import type { LockOwner } from '../locks/index.ts';
import type { CheckArtifact } from '../store/health.ts';
import { healthRefusal, REFUSED_HINT } from './health.ts';
import { acquireSlot, type HeldSlot } from './lock.ts';

/** What the gate reads of a health check's result (a hil result). */
export interface CheckOutcome {
  /** A health check always runs (never `skipped`, which only --skip-passed gives). */
  status: 'pass' | 'fail' | 'blocked' | 'skipped';
  phase: string;
  reason: string;
}

/**
 * Runs HW-BOOT-001 as the health check of `slot`, whose lock the caller holds. It takes no abort
 * signal: a check cut short would say nothing of the board, yet read as a farm failure (a power
 * step "cancelled") and make the slot Bad; it runs to its end (its own timeouts bound it), and a
 * cancel takes effect after it.
 */
export type RunHealthCheck = (slot: Slot, artifact: CheckArtifact) => Promise<CheckOutcome>;

export interface HealthySlotOptions {
  owner: LockOwner;
  noWait?: boolean;
  signal?: AbortSignal;
  onWait?: (message: string) => void;
  /** The check to run when one is due; null: a due check is only said, the job runs. */
  check: RunHealthCheck | null;
  say?: (line: string) => void;
}

/**
 * Takes one of `candidates` (as acquireSlot does) whose health lets a normal job run now: its
 * due health check is run first, with its lock held. The candidates have been routed already
 * (routableSlots); their health is asked again once the lock is held, since it may have changed
 * while the job waited.
 */
export async function acquireHealthySlot(
  config: HutConfig,
  candidates: Slot[],
  options: HealthySlotOptions,
): Promise<HeldSlot> {
  const say = options.say ?? (() => {});
  const refused: string[] = [];
  let left = candidates;
  for (;;) {
    const held = await acquireSlot(config, left, options);
    let refusal: string | null;
    try {
      refusal = await checkFirst(config, held.slot, options.check, say, options.signal);
    } catch (error) {
      await held.lock.release();
      throw error;
    }
    if (refusal === null) return held;
    await held.lock.release();
    refused.push(refusal);
    left = left.filter((slot) => slot.id !== held.slot.id);
    if (left.length === 0) {
      throw new HutError('UNSATISFIABLE', `no healthy slot can run this: ${refused.join('; ')}`, {
        hint: REFUSED_HINT,
        details: { refused },
      });
    }
    say(`skipping ${refusal}`);
  }
}

/** Null when the job may run on `slot` now (after its check, if one was due); else why not. */
async function checkFirst(
  config: HutConfig,
  slot: Slot,
  check: RunHealthCheck | null,
  say: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  if (config.store.engine === 'off') return null;
  const [{ flushLedger, openStore }, { checkArtifact, FARM_PHASES, ROUTABLE, slotHealth }] =
    await Promise.all([import('../store/ledger.ts'), import('../store/health.ts')]);
  let db: Awaited<ReturnType<typeof openStore>>;
  try {
    db = await openStore(config);
  } catch {
    return null; // routing has said so already: without the ledger, every slot may be used
  }
  if (db === null) return null;
  let health: Awaited<ReturnType<typeof slotHealth>>;
  let artifact: Awaited<ReturnType<typeof checkArtifact>>;
  try {
    health = await slotHealth(db, slot.id, config);
    if (!ROUTABLE.includes(health.state)) return healthRefusal(slot.id, health);
    if (!health.check_due) return null;
    artifact = await checkArtifact(db, config, slot.id);
  } finally {
    await db.close();
  }
  const due = `health check due on ${slot.id} (${health.due})`;
  if (check === null) {
    say(`${due}: not run by this caller; the job runs`);
    return null;
  }
  if (artifact === null) {
    say(
      `${due}, but there is nothing to check it with (no health.golden, and it has never passed a test): the job runs, and ${slot.id} stays ${health.state}`,
    );
    return null;
  }
  say(`${due}: running HW-BOOT-001 first (${artifact.sha.slice(0, 12)}, ${artifact.source})`);
  const result = await check(slot, artifact);
  // In the ledger before the lock is let go: the next holder sees this check, not a due one.
  await flushLedger();
  signal?.throwIfAborted();
  if (result.status === 'pass') {
    say(`${slot.id}: health check passed; the job runs`);
    return null;
  }
  if (result.status === 'blocked' && !FARM_PHASES.includes(result.phase)) {
    say(
      `${slot.id}: the health check could not start (${result.phase}: ${result.reason}); the job runs, and ${slot.id} stays ${health.state}`,
    );
    return null;
  }
  return `${slot.id} did not pass its health check (${result.phase}: ${result.reason}); it is bad now`;
}
