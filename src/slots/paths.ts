/** Lock file names for slots: `/var/lock/hut-<id>.lock` as the runner's flock scripts use them. */

import type { HutConfig } from '../config/index.ts';
import { checkId } from '../contract/ids.ts';
import { pathUnder } from '../files/index.ts';

/** `hut-01` -> `<slot_lock_dir>/hut-01.lock`; any other id gets the `hut-` prefix. */
export function slotLockPath(
  config: HutConfig,
  slotId: string,
  kind: 'slot' | 'power' = 'slot',
): string {
  const id = checkId('slot', slotId);
  const base = id.startsWith('hut-') ? id : `hut-${id}`;
  return pathUnder(
    config.paths.slotLockDir,
    kind === 'slot' ? `${base}.lock` : `${base}.power.lock`,
  );
}
