/** `hil surface`: HW-BOOT-001 on every mapped slot at once — different slots in parallel, each under its own lock. */
import { HutError, isHutError } from '../errors/index.ts';
import { REFUSED_HINT, routableSlots } from '../slots/index.ts';
import { type HilResult, type HilRunOptions, runHil } from './run.ts';

export async function surface(
  options: Omit<HilRunOptions, 'slot' | 'label'>,
): Promise<HilResult[]> {
  // Health first, for all of them: a slot that is not Good or Unknown is passed over (with its
  // reason) before any board is touched; with none left, nothing runs.
  const healthy = await routableSlots(
    options.config,
    Object.values(options.config.slots),
    options.progress,
  );
  const slots = healthy.map((slot) => slot.id).sort();
  // A slot whose due health check does not pass (run first, under its lock) is passed over too.
  const refused: string[] = [];
  const results = await Promise.all(
    slots.map((slot) =>
      runHil({ ...options, slot, healthChecked: true }).catch((error) => {
        if (!isHutError(error) || error.code !== 'UNSATISFIABLE') throw error;
        const why = (error.details as { refused?: string[] } | undefined)?.refused ?? [];
        for (const line of why) options.progress?.(`skipping ${line}`);
        refused.push(...why);
        return null;
      }),
    ),
  );
  const ran = results.filter((r) => r !== null);
  if (ran.length === 0)
    throw new HutError('UNSATISFIABLE', `no healthy slot can run this: ${refused.join('; ')}`, {
      hint: REFUSED_HINT,
    });
  return ran;
}
