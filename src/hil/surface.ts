/** `hil surface`: HW-BOOT-001 on every mapped slot at once — different slots in parallel, each under its own lock. */
import { type HilResult, type HilRunOptions, runHil } from './run.ts';

export async function surface(
  options: Omit<HilRunOptions, 'slot' | 'label'>,
): Promise<HilResult[]> {
  const slots = Object.keys(options.config.slots).sort();
  return Promise.all(slots.map((slot) => runHil({ ...options, slot })));
}
