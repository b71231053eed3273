/**
 * `slot selftest`: proves on the real lock files that two jobs on one slot never overlap and
 * jobs on two slots do, and writes the timings to `runner_hil_topo_lock_selftest_<ts>_utc.log`.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type HutConfig, localTarget, type Slot } from '../config/index.ts';
import { utcStamp } from '../contract/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { acquireLock } from '../locks/index.ts';
import { LocalTransport } from '../transport/index.ts';
import { slotLockPath } from './paths.ts';

export interface Interval {
  slot: string;
  start_ms: number;
  end_ms: number;
}

export interface SelftestResult {
  slots: [string, string];
  hold_ms: number;
  same_slot: { intervals: Interval[]; overlap_ms: number; serialized: boolean };
  different_slots: { intervals: Interval[]; overlap_ms: number; concurrent: boolean };
  passed: boolean;
  log_path: string;
}

export async function lockSelftest(
  config: HutConfig,
  slots: [Slot, Slot],
  evidenceDir: string,
  holdMs = 300,
): Promise<SelftestResult> {
  const transport = new LocalTransport(localTarget());
  const t0 = performance.now();
  const hold = async (slot: Slot): Promise<Interval> => {
    const lock = await acquireLock(transport, slotLockPath(config, slot.id), {
      owner: {
        job_id: 'lock-selftest',
        pid: process.pid,
        host: hostname(),
        since: new Date().toISOString(),
      },
    });
    const start = performance.now() - t0;
    await sleep(holdMs);
    const end = performance.now() - t0;
    await lock.release();
    return { slot: slot.id, start_ms: Math.round(start), end_ms: Math.round(end) };
  };
  const overlap = ([a, b]: Interval[]) =>
    Math.max(0, Math.min(a!.end_ms, b!.end_ms) - Math.max(a!.start_ms, b!.start_ms));
  const same = await Promise.all([hold(slots[0]), hold(slots[0])]);
  const different = await Promise.all([hold(slots[0]), hold(slots[1])]);
  const started = new Date();
  const logPath = join(evidenceDir, `runner_hil_topo_lock_selftest_${utcStamp(started)}_utc.log`);
  const result: SelftestResult = {
    slots: [slots[0].id, slots[1].id],
    hold_ms: holdMs,
    same_slot: { intervals: same, overlap_ms: overlap(same), serialized: overlap(same) === 0 },
    different_slots: {
      intervals: different,
      overlap_ms: overlap(different),
      concurrent: overlap(different) > 0,
    },
    passed: false,
    log_path: logPath,
  };
  result.passed = result.same_slot.serialized && result.different_slots.concurrent;
  const line = (i: Interval) =>
    `  ${i.slot} held ${i.start_ms}..${i.end_ms} ms (${slotLockPath(config, i.slot)})`;
  const text = [
    `# hutctl slot selftest ${started.toISOString()} on ${hostname()}, each holder keeps the lock ${holdMs} ms`,
    `same slot (${slots[0].id} twice):`,
    ...same.map(line),
    `  overlap ${result.same_slot.overlap_ms} ms -> ${result.same_slot.serialized ? 'serialized: PASS' : 'OVERLAPPED: FAIL'}`,
    `different slots (${slots[0].id}, ${slots[1].id}):`,
    ...different.map(line),
    `  overlap ${result.different_slots.overlap_ms} ms -> ${result.different_slots.concurrent ? 'concurrent: PASS' : 'not concurrent: FAIL'}`,
    `result: ${result.passed ? 'PASS' : 'FAIL'}`,
    '',
  ].join('\n');
  await writeFileAtomic(logPath, text);
  return result;
}
