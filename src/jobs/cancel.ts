/** Cancellation requests: a flag file `/tmp/codex-cancel-<job_id>.flag`, as the WS2 contract says. */
import { closeSync, constants, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { checkId } from '../contract/ids.ts';
import { pathUnder, writeFileAtomic } from '../files/index.ts';

export interface CancelRequest {
  job_id: string;
  requested_utc: string;
  /** Also interrupt the running step (otherwise the job stops before its next step). */
  now: boolean;
  by: string;
}

export function cancelFlagPath(cancelDir: string, jobId: string): string {
  return pathUnder(cancelDir, `codex-cancel-${checkId('job_id', jobId)}.flag`);
}

export async function requestCancel(
  cancelDir: string,
  jobId: string,
  now: boolean,
): Promise<string> {
  const path = cancelFlagPath(cancelDir, jobId);
  const request: CancelRequest = {
    job_id: jobId,
    requested_utc: new Date().toISOString(),
    now,
    by: `${userInfo().username}@${hostname()} pid ${process.pid}`,
  };
  await writeFileAtomic(path, `${JSON.stringify(request)}\n`);
  return path;
}

/**
 * The pending request, or null. The cancel directory is shared (/tmp), so a flag counts only
 * when it is a plain file owned by this user or root: another user can neither cancel our job
 * nor pre-cancel one. A flag that is not ours in format (plain `touch`) is a between-steps cancel.
 */
export function readCancel(path: string): CancelRequest | null {
  let text: string;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const stat = fstatSync(fd);
    const me = process.getuid?.() ?? 0;
    if (!stat.isFile() || (stat.uid !== me && stat.uid !== 0) || stat.size > 4096) return null;
    const buffer = Buffer.alloc(stat.size);
    text = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
  try {
    const value = JSON.parse(text) as Partial<CancelRequest>;
    return {
      job_id: String(value.job_id ?? ''),
      requested_utc: String(value.requested_utc ?? ''),
      now: value.now === true,
      by: String(value.by ?? 'unknown'),
    };
  } catch {
    return { job_id: '', requested_utc: '', now: false, by: 'a flag file' };
  }
}

/** Removes our flag; one another user left in a shared directory is not ours to remove. */
export function clearCancel(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {}
}
