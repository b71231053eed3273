/**
 * `--skip-passed` (a CI re-run): a test that already passed on a slot for the same commit, the
 * same platform profile and the same artifact — the digest of what is stored now equals the one
 * the passing result flashed — is not run again; it is reported as `skipped`, naming the result
 * it rests on. The ledger is what remembers: without one (off, or unreachable) everything runs,
 * and the caller is told so.
 */
import type { HutConfig, Slot } from '../config/index.ts';
import { storedArtifactDigest } from './artifacts.ts';
import { type HilResult, newResult } from './run.ts';

export interface PassedBefore {
  /** The passing result's evidence file. */
  evidence: string;
  platform: string | null;
  digest: string;
}

/**
 * Which of `slots` passed `test` for `sha` with the artifact stored now, by slot id; null when
 * there is no ledger to ask (`say` has been told why).
 */
export async function passedBefore(
  config: HutConfig,
  slots: readonly Slot[],
  want: { sha: string; test: string; profile?: string },
  say: (line: string) => void,
): Promise<Map<string, PassedBefore> | null> {
  if (config.store.engine === 'off') {
    say('--skip-passed: the ledger is off (store.engine: off), so every test runs');
    return null;
  }
  const [{ openStore }, queries] = await Promise.all([
    import('../store/ledger.ts'),
    import('../store/queries.ts'),
  ]);
  let db: Awaited<ReturnType<typeof openStore>>;
  try {
    db = await openStore(config);
  } catch (error) {
    say(
      `--skip-passed: the ledger cannot be read (${(error as Error).message}), so every test runs`,
    );
    return null;
  }
  if (db === null) return null;
  const found = new Map<string, PassedBefore>();
  try {
    for (const slot of slots) {
      const platform = want.profile ?? slot.profile ?? null;
      const profile =
        platform !== null && Object.hasOwn(config.profiles, platform)
          ? config.profiles[platform]
          : undefined;
      if (!profile) continue;
      const digest = await storedArtifactDigest(config.artifacts.store, want.sha, profile.artifact);
      if (digest === null) continue;
      const row = await queries.passedBefore(db, {
        sha: want.sha,
        slot: slot.id,
        test_id: want.test,
        platform,
        digest,
      });
      if (row) found.set(slot.id, { evidence: row.evidence_path, platform, digest });
    }
  } finally {
    await db.close();
  }
  return found;
}

/** The result of a test not run because it passed before. */
export function skippedResult(
  slot: string,
  sha: string,
  test: string,
  passed: PassedBefore,
  now = new Date(),
): HilResult {
  return {
    ...newResult(slot, sha, test, passed.platform, now),
    status: 'skipped',
    phase: 'ledger',
    reason: `passed before: ${passed.evidence}`,
    artifact_digest: passed.digest,
    evidence: [passed.evidence],
  };
}
