/**
 * hutctl's one id grammar. Every id that names a file or reaches a program — job_id, lock_key,
 * task id, thread_ref, slot, commit SHA, profile — is checked here, at the edge, whatever its
 * source (argv, an invocation, hutctl.yaml, an answer from Codex), before anything uses it.
 */
import { HutError, quoteValue } from '../errors/index.ts';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SAFE_ID_RULE =
  "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128 characters (it names files)";

export const ID_GRAMMAR = {
  job_id: { pattern: SAFE_ID, rule: SAFE_ID_RULE },
  lock_key: { pattern: SAFE_ID, rule: SAFE_ID_RULE },
  task_id: { pattern: SAFE_ID, rule: SAFE_ID_RULE },
  thread_ref: { pattern: SAFE_ID, rule: SAFE_ID_RULE },
  slot: {
    pattern: /^[a-z][a-z0-9-]{0,31}$/,
    rule: "lower-case letters, digits and '-', starting with a letter, at most 32 characters (such as hut-01)",
  },
  sha: { pattern: /^[0-9a-fA-F]{7,64}$/, rule: 'a commit SHA: 7 to 64 hexadecimal digits' },
  profile: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    rule: "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters",
  },
  label: {
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
    rule: "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters",
  },
} as const;

export type IdKind = keyof typeof ID_GRAMMAR;

/** The id itself (a SHA in lower case), or an INPUT error naming the id, its source and the rule. */
export function checkId(kind: IdKind, value: string, source?: string): string {
  const { pattern, rule } = ID_GRAMMAR[kind];
  if (!pattern.test(value)) {
    throw new HutError(
      'INPUT',
      `${source ? `${source}: ` : ''}${kind} ${quoteValue(value)} is not valid: ${rule}`,
    );
  }
  return kind === 'sha' ? value.toLowerCase() : value;
}

export function isValidId(kind: IdKind, value: string): boolean {
  return ID_GRAMMAR[kind].pattern.test(value);
}

export function isSafeId(value: string): boolean {
  return SAFE_ID.test(value);
}

/** `YYYYMMDD_HHMMSS` of an instant, in UTC. */
export function utcStamp(date: Date): string {
  const iso = date.toISOString(); // 2026-02-12T15:30:00.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** ISO 8601 UTC without milliseconds, as the spec's examples write it. */
export function utcIso(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The base name (no extension) of a job's evidence files: `<role>_<job_id>_<YYYYMMDD_HHMMSS>_utc`. */
export function evidenceBaseName(role: string, jobId: string, start: Date): string {
  return `${role}_${checkId('job_id', jobId)}_${utcStamp(start)}_utc`;
}

/** Any evidence file hutctl writes, `<role>_…_utc.{json,log,running}`: its base name and kind. */
export const EVIDENCE_FILE = /^([a-z][a-z0-9-]*_.+_utc)\.(log|json|running)$/;

/** Parses an evidence base name back; null when it is not one. */
export function parseEvidenceBaseName(
  name: string,
): { role: string; jobId: string; stamp: string } | null {
  const match = /^([a-z][a-z0-9-]*)_(.+)_(\d{8}_\d{6})_utc$/.exec(name);
  if (!match) return null;
  return { role: match[1]!, jobId: match[2]!, stamp: match[3]! };
}
