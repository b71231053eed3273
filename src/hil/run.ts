/**
 * `hil run`: HW-BOOT-001 ("cold boot to operational state, no panic/reset loop") on one slot
 * for one commit: take the slot (and run its health check first when one is due), fetch and
 * verify that SHA's artifact, flash it, power-cycle, capture and judge the boot log, recover
 * once by power cycle on a hang, and write the hardware result summary (on-slot.ts). `fail` is
 * the firmware's; `blocked` is the farm's (artifact, device, flash, power), with the phase that
 * stopped it.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { HutConfig } from '../config/index.ts';
import { checkId, utcIso } from '../contract/index.ts';
import { HutError } from '../errors/index.ts';
import { prepareEvidenceDir } from '../jobs/index.ts';
import {
  acquireHealthySlot,
  acquireSlot,
  candidateSlots,
  type HeldSlot,
  routableSlots,
} from '../slots/index.ts';
import { checkSha } from './artifacts.ts';
import { healthCheckOn } from './health-check.ts';
import { runOnSlot } from './on-slot.ts';
import type { RecoveryEvent } from './recover.ts';
import { passedBefore, skippedResult } from './skip.ts';

export const TESTS = ['HW-BOOT-001'] as const;

export interface HilResult {
  schema_version: 'hutctl.hil-result.v1';
  commit_sha: string;
  lane: 'local-hil';
  slot: string;
  platform: string | null;
  test_id: string;
  /** `skipped`: not run, because it passed before for this SHA and artifact (--skip-passed). */
  status: 'pass' | 'fail' | 'blocked' | 'skipped';
  /** Where it stopped; `ledger` for a skipped test (the ledger said it had passed). */
  phase: 'lock' | 'artifact' | 'device' | 'flash' | 'power' | 'boot' | 'flash-verify' | 'ledger';
  reason: string;
  power_cycles: number;
  /** Resets after a silent boot that did something (serial resets and power cycles). */
  recovery_events: number;
  /** Each recovery tried, in order, with what the boot did after it. */
  recoveries: RecoveryEvent[];
  reset_reason: string | null;
  /** The app version the board printed as it booted, when it did. */
  app_version: string | null;
  /** The version the artifact's `esp_app_desc_t` holds, when it has one. */
  expected_version: string | null;
  /**
   * The artifact that was flashed, as one digest (hil/artifacts.ts artifactDigest), once it was
   * fetched and verified; results written before hutctl recorded it have none.
   */
  artifact_digest?: string;
  flash_ms: number | null;
  boot_ms: number | null;
  evidence: string[];
  /** Set when the result file could not be written (the result itself is complete). */
  evidence_error?: string;
  /** A health check (slot health check, or run by hutctl before a job on a slot that is due one). */
  health_check?: boolean;
  started_utc: string;
  ended_utc: string;
  duration_sec: number;
}

/**
 * A result with nothing done yet: `blocked` at `artifact` with no reason, no evidence, started
 * and ended at `at` — what a run fills in as it goes, and what a test that never ran reports.
 */
export function newResult(
  slot: string,
  sha: string,
  test: string,
  platform: string | null,
  at = new Date(),
): HilResult {
  return {
    schema_version: 'hutctl.hil-result.v1',
    commit_sha: sha,
    lane: 'local-hil',
    slot,
    platform,
    test_id: test,
    status: 'blocked',
    phase: 'artifact',
    reason: '',
    power_cycles: 0,
    recovery_events: 0,
    recoveries: [],
    reset_reason: null,
    app_version: null,
    expected_version: null,
    flash_ms: null,
    boot_ms: null,
    evidence: [],
    started_utc: utcIso(at),
    ended_utc: utcIso(at),
    duration_sec: 0,
  };
}

export interface HilRunOptions {
  config: HutConfig;
  sha: string;
  slot?: string;
  label?: string;
  profile?: string;
  test?: string;
  evidenceDir?: string;
  progress?: (line: string) => void;
  signal?: AbortSignal;
  /** Run as a health check: marked so in the result, and allowed on a slot that is not healthy. */
  healthCheck?: boolean;
  /** The artifact must be this one (its digest): what passed before, for a health check. */
  artifactDigest?: string | null;
  /** The caller has already passed over slots that are not healthy (hil surface); a due health check still runs first. */
  healthChecked?: boolean;
  /** A slot already held (an MCP lease): run under that lock and leave it held. */
  held?: HeldSlot;
  /** Do not run a test that passed before for this SHA and artifact (hil/skip.ts). */
  skipPassed?: boolean;
  /** What the caller must hear even when quiet (--json): why --skip-passed could not skip. */
  notice?: (line: string) => void;
}

/** Where a run keeps its copy of what it flashes, `<sha>-<slot>/` (`store gc` removes old ones). */
export function firmwareCopiesDir(config: HutConfig): string {
  return join(config.paths.stateDir, 'hil');
}

export async function runHil(options: HilRunOptions): Promise<HilResult> {
  const { config } = options;
  const sha = checkSha(options.sha);
  if (options.profile !== undefined) checkId('profile', options.profile, '--profile');
  const test = options.test ?? 'HW-BOOT-001';
  if (!(TESTS as readonly string[]).includes(test))
    throw new HutError('USAGE', `unknown test ${test} (known: ${TESTS.join(', ')})`);
  const progress = options.progress ?? (() => {});
  if (options.held) {
    const evidenceDir = options.evidenceDir ?? config.paths.evidenceDir;
    prepareEvidenceDir(evidenceDir, config.paths.shareGroup, true);
    return runOnSlot(options, options.held.slot, sha, test, evidenceDir, progress);
  }
  const named = candidateSlots(config, {
    ...(options.slot ? { slot: options.slot } : {}),
    ...(options.label ? { label: options.label } : {}),
  });
  if (options.skipPassed) {
    if (options.healthCheck)
      throw new HutError('USAGE', '--skip-passed: a health check always runs; drop one of them');
    const passed = await passedBefore(
      config,
      named,
      { sha, test, ...(options.profile ? { profile: options.profile } : {}) },
      options.notice ?? progress,
    );
    const slot = named.find((s) => passed?.has(s.id));
    if (slot) {
      progress(`${slot.id}: ${test} passed before for ${sha.slice(0, 12)} with this artifact`);
      return skippedResult(slot.id, sha, test, passed!.get(slot.id)!);
    }
  }
  // A health check may go where normal tests may not (an Unknown, Bad or Looping slot).
  const candidates =
    options.healthCheck || options.healthChecked
      ? named
      : await routableSlots(config, named, progress);
  const evidenceDir = options.evidenceDir ?? config.paths.evidenceDir;
  // Evidence that cannot be written stops the run before it takes a slot.
  prepareEvidenceDir(evidenceDir, config.paths.shareGroup, true);
  const owner = {
    job_id: `hil-${sha.slice(0, 12)}-${test}`,
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
  };
  const take = {
    owner,
    onWait: progress,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  // A normal test gets the slot's due health check first, under the same lock.
  const { slot, lock } = options.healthCheck
    ? await acquireSlot(config, candidates, take)
    : await acquireHealthySlot(config, candidates, {
        ...take,
        check: healthCheckOn(config, {
          evidenceDir,
          progress,
          ...(options.signal ? { signal: options.signal } : {}),
        }),
        say: progress,
      });
  try {
    return await runOnSlot(options, slot, sha, test, evidenceDir, progress);
  } finally {
    await lock.release();
  }
}
