/**
 * HW-BOOT-001 as a slot's health check: the result is marked as one, and the slot's health
 * follows it (docs/store.md). Run by hutctl before a normal job when one is due (the slots'
 * health gate calls `healthCheckOn`), or by a person: once, or again and again on a Looping slot
 * (`checkSlot` with `times`), all under one hold of the slot's lock.
 */
import { hostname } from 'node:os';
import type { HutConfig } from '../config/index.ts';
import { prepareEvidenceDir } from '../jobs/index.ts';
import { acquireSlot, getSlot, type RunHealthCheck } from '../slots/index.ts';
import type { CheckArtifact } from '../store/health.ts';
import { checkSha } from './artifacts.ts';
import { runOnSlot } from './on-slot.ts';
import type { HilResult } from './run.ts';

export interface CheckOptions {
  evidenceDir?: string;
  progress?: (line: string) => void;
  /** Stops the check in order (Ctrl-C): its result is then `blocked`, interrupted. */
  signal?: AbortSignal;
}

/** The health check of a slot whose lock the caller holds. */
export function healthCheckOn(
  config: HutConfig,
  options: CheckOptions = {},
): (...args: Parameters<RunHealthCheck>) => Promise<HilResult> {
  return async (slot, artifact) => {
    const evidenceDir = options.evidenceDir ?? config.paths.evidenceDir;
    prepareEvidenceDir(evidenceDir, config.paths.shareGroup, true);
    const sha = checkSha(artifact.sha);
    return runOnSlot(
      {
        config,
        sha,
        healthCheck: true,
        ...(artifact.profile ? { profile: artifact.profile } : {}),
        ...(artifact.digest ? { artifactDigest: artifact.digest } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      slot,
      sha,
      'HW-BOOT-001',
      evidenceDir,
      options.progress ?? (() => {}),
    );
  };
}

/**
 * `times` health checks of `slot` in a row with `artifact`, its lock held throughout (no job
 * comes between them); each result is handed to `onResult` as it comes. An abort of `signal`
 * stops the loop after the check under way (a check is never cut short: RunHealthCheck).
 */
export async function checkSlot(
  config: HutConfig,
  slotId: string,
  artifact: CheckArtifact,
  options: CheckOptions & {
    times?: number;
    signal?: AbortSignal;
    onResult?: (result: HilResult, index: number) => void;
  } = {},
): Promise<HilResult[]> {
  const slot = getSlot(config, slotId);
  checkSha(artifact.sha);
  prepareEvidenceDir(
    options.evidenceDir ?? config.paths.evidenceDir,
    config.paths.shareGroup,
    true,
  );
  const { lock } = await acquireSlot(config, [slot], {
    owner: {
      job_id: `health-check-${slot.id}`,
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    },
    ...(options.progress ? { onWait: options.progress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    const check = healthCheckOn(config, options);
    const results: HilResult[] = [];
    for (let i = 0; i < (options.times ?? 1) && !options.signal?.aborted; i++) {
      const result = await check(slot, artifact);
      results.push(result);
      options.onResult?.(result, i);
    }
    return results;
  } finally {
    await lock.release();
  }
}
