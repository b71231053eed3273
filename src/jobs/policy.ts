/** The WS2 guardrail defaults: timeouts per role, lock and cancel paths. */
import { checkId } from '../contract/ids.ts';
import { type Invocation, ROLE_TIMEOUTS } from '../contract/index.ts';
import { HutError } from '../errors/index.ts';
import { pathUnder } from '../files/index.ts';

export { ROLE_TIMEOUTS } from '../contract/index.ts';

export function jobLockPath(lockDir: string, role: string, lockKey: string): string {
  return pathUnder(lockDir, `codex-${role}-${checkId('lock_key', lockKey)}.lock`);
}

/** Refuses a timeout above the role's maximum (an input error, not a job failure). */
export function checkTimeout(invocation: Invocation, source: string): void {
  const { maxSec } = ROLE_TIMEOUTS[invocation.target_role];
  if (invocation.timeout_sec > maxSec) {
    throw new HutError(
      'INPUT',
      `${source}: $.timeout_sec: ${invocation.timeout_sec} s is above the ${invocation.target_role} maximum of ${maxSec} s`,
      {
        hint: `use at most ${maxSec} (the ${invocation.target_role} default is ${ROLE_TIMEOUTS[invocation.target_role].defaultSec})`,
      },
    );
  }
}
