/** `hil surface`: HW-BOOT-001 on every mapped slot at once — different slots in parallel, each under its own lock. */
import type { Slot } from '../config/index.ts';
import { HutError, isHutError } from '../errors/index.ts';
import { REFUSED_HINT, routableSlots } from '../slots/index.ts';
import { checkSha } from './artifacts.ts';
import { type HilResult, type HilRunOptions, newResult, runHil } from './run.ts';
import { passedBefore, skippedResult } from './skip.ts';

/** The result of a test that never started (stopped while it waited for its slot). */
function notRun(slot: Slot, sha: string, test: string, reason: string): HilResult {
  return { ...newResult(slot.id, sha, test, slot.profile ?? null), phase: 'lock', reason };
}

export async function surface(
  options: Omit<HilRunOptions, 'slot' | 'label'>,
): Promise<HilResult[]> {
  const { config } = options;
  const all = Object.values(config.slots);
  const sha = checkSha(options.sha);
  const test = options.test ?? 'HW-BOOT-001';
  // --skip-passed: slots that passed this SHA's artifact before are not touched (nor judged).
  const passed = options.skipPassed
    ? await passedBefore(
        config,
        all,
        { sha, test, ...(options.profile ? { profile: options.profile } : {}) },
        options.notice ?? options.progress ?? (() => {}),
      )
    : null;
  const skipped = all
    .filter((slot) => passed?.has(slot.id))
    .map((slot) => skippedResult(slot.id, sha, test, passed!.get(slot.id)!));
  for (const r of skipped)
    options.progress?.(
      `${r.slot}: ${test} passed before for ${r.commit_sha.slice(0, 12)} with this artifact`,
    );
  const rest = all.filter((slot) => !passed?.has(slot.id));
  // Health first, for all of them: a slot that is not Good or Unknown is passed over (with its
  // reason) before any board is touched; with none left, nothing runs.
  let healthy = rest;
  if (rest.length > 0) {
    try {
      healthy = await routableSlots(config, rest, options.progress);
    } catch (error) {
      // Some were skipped: the rest being unhealthy is then said, not a refusal of the whole run.
      if (skipped.length === 0 || !isHutError(error) || error.code !== 'UNSATISFIABLE') throw error;
      options.progress?.(error.message);
      healthy = [];
    }
  }
  const slots = healthy.map((slot) => slot.id).sort();
  // A slot whose due health check does not pass (run first, under its lock) is passed over too.
  const refused: string[] = [];
  const results = await Promise.all(
    slots.map((slot) =>
      runHil({ ...options, skipPassed: false, slot, healthChecked: true }).catch((error) => {
        // Interrupted before it took its slot: it did not run, and its result says so.
        if (isHutError(error) && error.code === 'INTERRUPTED')
          return notRun(
            config.slots[slot]!,
            sha,
            test,
            `${error.message} while waiting for ${slot}`,
          );
        if (!isHutError(error) || error.code !== 'UNSATISFIABLE') throw error;
        const why = (error.details as { refused?: string[] } | undefined)?.refused ?? [];
        for (const line of why) options.progress?.(`skipping ${line}`);
        refused.push(...why);
        return null;
      }),
    ),
  );
  const ran = results.filter((r) => r !== null);
  if (ran.length === 0 && skipped.length === 0)
    throw new HutError('UNSATISFIABLE', `no healthy slot can run this: ${refused.join('; ')}`, {
      hint: REFUSED_HINT,
    });
  return [...ran, ...skipped].sort((a, b) => (a.slot < b.slot ? -1 : a.slot > b.slot ? 1 : 0));
}
