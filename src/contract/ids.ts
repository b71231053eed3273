/** Identifiers that end up in file names, and the evidence file names built from them. */
import * as z from 'zod/mini';
import './zod.ts';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A job_id or lock_key: it names files, so it may never reach outside its directory. */
export const safeId = (what: string) =>
  z.string().check(
    z.regex(SAFE_ID, {
      error: `${what} may hold only letters, digits, '.', '_' and '-', must start with a letter or digit, and be at most 128 characters (it names files)`,
    }),
  );

export const roleName = z.string().check(
  z.regex(/^[a-z][a-z0-9-]{0,31}$/, {
    error: 'a role is lower-case letters, digits and -, starting with a letter',
  }),
);

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
  return `${role}_${jobId}_${utcStamp(start)}_utc`;
}

/** Parses an evidence base name back; null when it is not one. */
export function parseEvidenceBaseName(
  name: string,
): { role: string; jobId: string; stamp: string } | null {
  const match = /^([a-z][a-z0-9-]*)_(.+)_(\d{8}_\d{6})_utc$/.exec(name);
  if (!match) return null;
  return { role: match[1]!, jobId: match[2]!, stamp: match[3]! };
}
