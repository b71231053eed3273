/** `hil surface`: HW-BOOT-001 on every mapped slot at once — different slots in parallel, each under its own lock. */
import { routableSlots } from '../slots/health.ts';
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
  return Promise.all(slots.map((slot) => runHil({ ...options, slot, healthChecked: true })));
}
