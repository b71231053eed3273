/** Where a job's evidence lives and how to find it again: log, report, and in-flight record. */
import { readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseEvidenceBaseName, type Report, reportSchema } from '../contract/index.ts';
import { issuesOf } from '../contract/validate.ts';
import { HutError, quoteValue } from '../errors/index.ts';
import { FileReadError, readTextFile } from '../files/index.ts';

export interface RunningRecord {
  job_id: string;
  pid: number;
  host: string;
  start_utc: string;
  log_path: string;
  /** The commit it works on, when it names one (`store gc` keeps that commit's artifacts). */
  commit_sha?: string;
  /** The final report, when it could not be written to its own file (a full disk). */
  report?: Report;
}

export interface JobEvidence {
  base: string;
  role: string;
  jobId: string;
  stamp: string;
  logPath: string | null;
  reportPath: string | null;
  runningPath: string | null;
}

/** Every run of `jobId` found in `dir`, oldest first. */
export async function findJobEvidence(dir: string, jobId: string): Promise<JobEvidence[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    // No directory yet means no runs; one this user may not read is a problem to report.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const byBase = new Map<string, JobEvidence>();
  for (const name of names) {
    const match = /^(.*)\.(log|json|running)$/.exec(name);
    if (!match) continue;
    const parsed = parseEvidenceBaseName(match[1]!);
    if (!parsed || parsed.jobId !== jobId) continue;
    const entry = byBase.get(match[1]!) ?? {
      base: match[1]!,
      ...parsed,
      logPath: null,
      reportPath: null,
      runningPath: null,
    };
    const path = join(dir, name);
    if (match[2] === 'log') entry.logPath = path;
    else if (match[2] === 'json') entry.reportPath = path;
    else entry.runningPath = path;
    byBase.set(match[1]!, entry);
  }
  return [...byBase.values()].sort((a, b) => a.stamp.localeCompare(b.stamp));
}

/** Reports and running records are small (a record holds at most its reserve): a cap for the rest. */
const EVIDENCE_RECORD_MAX_BYTES = 64 * 1024 * 1024;

/** A report as written, or one line that says why the file is not one (never a hang on a FIFO). */
export async function readReport(path: string): Promise<Report> {
  let value: unknown;
  try {
    value = JSON.parse(readTextFile(path, EVIDENCE_RECORD_MAX_BYTES));
  } catch (error) {
    const why = error instanceof FileReadError ? error.reason : 'not JSON';
    throw new HutError('IO', `report ${path} cannot be read: ${why}`, {
      hint: 'the evidence file is damaged or was replaced; the log next to it is kept',
    });
  }
  const parsed = reportSchema.safeParse(value);
  if (!parsed.success) {
    const first = issuesOf(parsed.error)[0]!;
    throw new HutError(
      'IO',
      `report ${path} is not a valid ws2.report.v1: ${first.path}: ${quoteValue(first.message, 120)}`,
      { hint: 'the evidence file is damaged or was replaced; the log next to it is kept' },
    );
  }
  return parsed.data;
}

export async function readRunning(path: string): Promise<RunningRecord | null> {
  try {
    const record = JSON.parse(readTextFile(path, EVIDENCE_RECORD_MAX_BYTES)) as RunningRecord;
    return record && typeof record === 'object' && typeof record.pid === 'number' ? record : null;
  } catch {
    return null;
  }
}

/**
 * Where a run stands: `ended` (it has a report), `running` (its executor is alive, or lives on
 * another host), or `interrupted` (the executor died without a report).
 */
export async function runState(run: JobEvidence): Promise<{
  state: 'ended' | 'running' | 'interrupted';
  record: RunningRecord | null;
  /** The report kept in the running record when its own file could not be written. */
  keptReport?: Report;
}> {
  if (run.reportPath) return { state: 'ended', record: null };
  const record = run.runningPath ? await readRunning(run.runningPath) : null;
  if (record?.report) {
    const kept = reportSchema.safeParse(record.report);
    if (kept.success) return { state: 'ended', record, keptReport: kept.data };
  }
  const alive = record ? executorAlive(record) : false;
  return { state: alive === false ? 'interrupted' : 'running', record };
}

/** Whether the executor named by a running record is still alive (only knowable on its host). */
export function executorAlive(record: RunningRecord): boolean | null {
  if (record.host !== hostname()) return null;
  try {
    process.kill(record.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
