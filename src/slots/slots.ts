/** Slots as the user sees them: which exist, which match a label, what their state is. */
import { readFile } from 'node:fs/promises';
import type { HutConfig, Slot } from '../config/index.ts';
import { checkId } from '../contract/index.ts';
import { HutError, quoteValue } from '../errors/index.ts';
import { pathUnder, writeFileAtomic } from '../files/index.ts';

export function getSlot(config: HutConfig, id: string): Slot {
  checkId('slot', id);
  const slot = Object.hasOwn(config.slots, id) ? config.slots[id] : undefined;
  if (slot) return slot;
  const known = Object.keys(config.slots);
  // A slot that does not exist is the caller's mistake (exit 2), not a broken farm.
  throw new HutError(
    'INPUT',
    `no slot '${id}' is configured${config.file ? ` in ${config.file}` : ''}`,
    {
      hint: known.length
        ? `configured slots: ${known.join(', ')}`
        : "add slots: to hutctl.yaml (see 'hutctl slot scan --propose' or 'hutctl slot import')",
    },
  );
}

/** The slots a request may use: one by id, or all with a label. Unsatisfiable is an error at once. */
export function candidateSlots(
  config: HutConfig,
  request: { slot?: string; label?: string },
): Slot[] {
  if (request.slot) return [getSlot(config, request.slot)];
  const label = checkId('label', request.label!, '--label');
  const matching = Object.values(config.slots).filter((slot) => slot.labels.includes(label));
  if (matching.length === 0) {
    const labels = [...new Set(Object.values(config.slots).flatMap((s) => s.labels))].sort();
    throw new HutError(
      'UNSATISFIABLE',
      `no slot has the label ${quoteValue(label)}, so no slot could ever run this`,
      {
        hint: labels.length ? `labels in use: ${labels.join(', ')}` : 'no slot has any label yet',
      },
    );
  }
  return matching;
}

/** The tty a slot's link pointed to when hutctl last looked (to notice re-enumeration). */
export interface SlotSeen {
  slot: string;
  tty: string | null;
  seen_utc: string;
}

const seenPath = (stateDir: string, slot: string) =>
  pathUnder(stateDir, 'slots', `${checkId('slot', slot)}.json`);

export async function readSeen(stateDir: string, slot: string): Promise<SlotSeen | null> {
  try {
    return JSON.parse(await readFile(seenPath(stateDir, slot), 'utf8')) as SlotSeen;
  } catch {
    return null;
  }
}

// What this process last recorded, so a run of jobs on one slot writes the record once.
const recorded = new Map<string, string>();

export async function recordSeen(
  stateDir: string,
  slot: string,
  tty: string | null,
): Promise<void> {
  const path = seenPath(stateDir, slot);
  if (tty === null || recorded.get(path) === tty) return;
  const seen: SlotSeen = { slot, tty, seen_utc: new Date().toISOString() };
  await writeFileAtomic(path, `${JSON.stringify(seen)}\n`, { durable: false });
  recorded.set(path, tty);
}
