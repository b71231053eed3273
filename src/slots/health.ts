/**
 * Routing by health: normal jobs go to slots that are Good or Unknown (one whose health check is
 * due gets it first, health-gate.ts). A slot that is not is passed over with its reason; when
 * none of the candidates is, the request is refused at once with every reason (it would
 * otherwise wait for a slot nobody will hand it). Without a ledger (off, or unreachable) every
 * candidate stays: health needs history, and a farm must still work.
 */
import type { HutConfig, Slot } from '../config/index.ts';
import { HutError } from '../errors/index.ts';
import type { Db } from '../store/db.ts';
import type { SlotHealth } from '../store/health.ts';

export const REFUSED_HINT =
  "a person returns a slot with 'hutctl slot health set <slot> good --reason …' (after 'hutctl slot health check <slot>')";

/** Why a slot that is not Good or Unknown takes no normal job. */
export function healthRefusal(
  slot: string,
  health: Pick<SlotHealth, 'state' | 'since' | 'reason'>,
): string {
  return `${slot} is ${health.state}${health.since ? ` since ${health.since}` : ''}: ${health.reason}`;
}

/**
 * The candidates that may take a normal job. `ledger`: a ledger the caller keeps open (serve),
 * used and left open; without it the configured one is opened for this question.
 */
export async function routableSlots(
  config: HutConfig,
  candidates: Slot[],
  say: (line: string) => void = () => {},
  ledger?: Db | null,
): Promise<Slot[]> {
  if (config.store.engine === 'off') return candidates;
  const [{ openStore }, { ROUTABLE, slotHealth }] = await Promise.all([
    import('../store/ledger.ts'),
    import('../store/health.ts'),
  ]);
  let db: Db | null;
  try {
    db = ledger === undefined ? await openStore(config) : ledger;
  } catch (error) {
    say(
      `health unknown (the ledger cannot be read: ${(error as Error).message}); every slot may be used`,
    );
    return candidates;
  }
  if (db === null) return candidates;
  try {
    const kept: Slot[] = [];
    const refused: string[] = [];
    for (const slot of candidates) {
      const health = await slotHealth(db, slot.id, config);
      if (ROUTABLE.includes(health.state)) kept.push(slot);
      else refused.push(healthRefusal(slot.id, health));
    }
    if (kept.length === 0) {
      throw new HutError('UNSATISFIABLE', `no healthy slot can run this: ${refused.join('; ')}`, {
        hint: REFUSED_HINT,
        details: { refused },
      });
    }
    for (const line of refused) say(`skipping ${line}`);
    return kept;
  } finally {
    if (ledger === undefined) await db.close();
  }
}
