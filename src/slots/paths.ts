/** Lock file names for slots: `/var/lock/hut-<id>.lock` as the runner's flock scripts use them. */
import { join } from 'node:path';
import type { HutConfig } from '../config/index.ts';

/** `hut-01` -> `<slot_lock_dir>/hut-01.lock`; any other id gets the `hut-` prefix. */
export function slotLockPath(
  config: HutConfig,
  slotId: string,
  kind: 'slot' | 'power' = 'slot',
): string {
  const base = slotId.startsWith('hut-') ? slotId : `hut-${slotId}`;
  return join(config.paths.slotLockDir, kind === 'slot' ? `${base}.lock` : `${base}.power.lock`);
}
