/** Cancellation requests: a flag file `/tmp/codex-cancel-<job_id>.flag`, as the WS2 contract says. */
import { readFileSync, rmSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/index.ts';

export interface CancelRequest {
  job_id: string;
  requested_utc: string;
  /** Also interrupt the running step (otherwise the job stops before its next step). */
  now: boolean;
  by: string;
}

export function cancelFlagPath(cancelDir: string, jobId: string): string {
  return join(cancelDir, `codex-cancel-${jobId}.flag`);
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

/** The pending request, or null. A flag that is not ours (plain `touch`) counts as a between-steps cancel. */
export function readCancel(path: string): CancelRequest | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
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

export function clearCancel(path: string): void {
  rmSync(path, { force: true });
}
