/**
 * The job executor: lock -> steps -> timeout / cancel -> log -> report. Every outcome, including
 * a lost connection, ends in a ws2.report.v1 written atomically next to the streamed log.
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { HutConfig, Target } from '../config/index.ts';
import {
  evidenceBaseName,
  type Invocation,
  type Report,
  type ReportStatus,
  type StepResult,
  utcIso,
} from '../contract/index.ts';
import { HutError, isHutError } from '../errors/index.ts';
import {
  checkWritableDir,
  fsReason,
  privateDir,
  writeFileAtomic,
  writeMarkerAtomicSync,
} from '../files/index.ts';
import { acquireLock, describeHolder, type HeldLock, type LockOwner } from '../locks/index.ts';
import { collectSecrets, redact as redactText } from '../secrets/index.ts';
import { noteEvidence } from '../store/ledger.ts';
import type { Transport } from '../transport/index.ts';
import { cancelFlagPath, clearCancel, readCancel } from './cancel.ts';
import { executorAlive, findJobEvidence, type RunningRecord, readRunning } from './evidence.ts';
import { EvidenceLog } from './evidence-log.ts';
import { checkTimeout, jobLockPath } from './policy.ts';
import { type StepOutput, startStep, WORKDIR_MISSING } from './step.ts';

export type JobProgress = (line: string) => void;

export interface RunJobOptions {
  invocation: Invocation;
  /** Where the invocation came from, for messages (a file name or "stdin"). */
  source: string;
  config: HutConfig;
  target: Target;
  transport: Transport;
  evidenceDir: string;
  noWait?: boolean;
  replace?: boolean;
  /**
   * Shows the steps' output as it comes: their stdout on this process's stdout, their stderr on
   * its stderr (it is in the log either way).
   */
  live?: boolean;
  progress?: JobProgress;
  /** Aborting it cancels the job now (SIGINT/SIGTERM of hutctl itself). */
  signal?: AbortSignal;
  /** How often the cancel flag is looked at while a step runs. */
  pollMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Takes the job's lock another way (a slot's lock); default: the WS2 role + lock_key lock. */
  acquire?: (request: AcquireRequest) => Promise<HeldLock>;
  /** The steps to run once the lock is held (e.g. with {port} filled in); default: `command`. */
  stepsFor?: (lock: HeldLock) => string[];
  /** Asked when a step fails or times out; `retry` runs that step once more, with a fresh timeout. */
  recover?: (failure: StepFailure) => Promise<{ retry: boolean; note: string }>;
  /** Fields added to the report (optional additions to ws2.report.v1). */
  reportExtras?: (lock: HeldLock | null) => Record<string, unknown>;
}

export interface AcquireRequest {
  owner: LockOwner;
  noWait: boolean;
  signal: AbortSignal;
  progress: JobProgress;
}

export interface StepFailure {
  index: number;
  command: string;
  reason: 'timeout' | 'failed';
  /** The step's own output (its tail, at most 64 KiB), to look for a panic or a boot loop. */
  output: string;
}

export interface JobOutcome {
  report: Report;
  reportPath: string;
  logPath: string;
  /** Set when the report could not be written where configured (the report is still here). */
  reportError?: string;
}

export const EXIT_FOR_STATUS: Record<ReportStatus, number> = {
  success: 0,
  failed: 1,
  timeout: 124,
  cancelled: 130,
};

export async function runJob(options: RunJobOptions): Promise<JobOutcome> {
  const { invocation: inv, config, evidenceDir } = options;
  const progress = options.progress ?? (() => {});
  checkTimeout(inv, options.source);
  // Before any lock is taken: evidence that cannot be written stops the job here, holding nothing.
  prepareEvidenceDir(evidenceDir, config.paths.shareGroup);
  await refuseDuplicate(evidenceDir, inv.job_id, options.replace === true);

  const secrets = collectSecrets(config, options.env);
  const cancelPath = cancelFlagPath(config.paths.cancelDir, inv.job_id);
  const lockPath = jobLockPath(config.paths.lockDir, inv.target_role, inv.lock_key);
  const owner: LockOwner = {
    job_id: inv.job_id,
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
  };

  // Wait for the lock, still cancellable (flag file or our own signal).
  const waitAbort = new AbortController();
  const stopWatch = watchCancel(cancelPath, options.pollMs ?? 200, options.signal, () =>
    waitAbort.abort(new CancelledWhileWaiting()),
  );
  let lock: HeldLock | null = null;
  let early: { status: ReportStatus; exitCode: number; summary: string } | null = null;
  try {
    await options.transport.connect(waitAbort.signal);
    lock = options.acquire
      ? await options.acquire({
          owner,
          noWait: options.noWait === true,
          signal: waitAbort.signal,
          progress,
        })
      : await acquireLock(options.transport, lockPath, {
          owner,
          noWait: options.noWait === true,
          signal: waitAbort.signal,
          onWait: (holder) =>
            progress(`waiting for lock ${lockPath} held ${describeHolder(holder)}`),
        });
  } catch (error) {
    if (error instanceof CancelledWhileWaiting) {
      early = {
        status: 'cancelled',
        exitCode: 130,
        summary: 'Cancelled while waiting for the lock; no step ran.',
      };
    } else if (isHutError(error) && error.code === 'CONNECT') {
      early = {
        status: 'failed',
        exitCode: 255,
        summary: `Could not reach the ${inv.target_role} target: ${error.message}${error.hint ? ` (${error.hint})` : ''}`,
      };
    } else {
      throw error;
    }
  } finally {
    stopWatch();
  }

  try {
    return await runLocked(options, lock, early, { lockPath, cancelPath, secrets, progress });
  } finally {
    await lock?.release();
  }
}

interface LockedContext {
  lockPath: string;
  cancelPath: string;
  secrets: string[];
  progress: JobProgress;
}

/** Evidence, steps and report, with the lock held (or after an early end): nothing is lost. */
async function runLocked(
  options: RunJobOptions,
  lock: HeldLock | null,
  early: { status: ReportStatus; exitCode: number; summary: string } | null,
  { lockPath, cancelPath, secrets, progress }: LockedContext,
): Promise<JobOutcome> {
  const { invocation: inv, evidenceDir } = options;
  const start = new Date();
  const base = evidenceBaseName(inv.target_role, inv.job_id, start);
  const logPath = join(evidenceDir, `${base}.log`);
  const reportPath = join(evidenceDir, `${base}.json`);
  const runningPath = join(evidenceDir, `${base}.running`);
  prepareEvidenceDir(evidenceDir, options.config.paths.shareGroup, true);
  let log: EvidenceLog;
  try {
    log = EvidenceLog.create(logPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new HutError(
      'DUPLICATE_JOB',
      `evidence ${logPath} already exists (job ${inv.job_id} started twice in one second)`,
      { hint: 'wait a second and run it again' },
    );
  }
  const running: RunningRecord = {
    job_id: inv.job_id,
    pid: process.pid,
    host: hostname(),
    start_utc: utcIso(start),
    log_path: logPath,
    ...(inv.commit_sha ? { commit_sha: inv.commit_sha } : {}),
  };
  try {
    // The running record also reserves the space the report will need: on a disk that fills up
    // while the job runs, the outcome is written over it in place (no new blocks needed).
    writeMarkerAtomicSync(runningPath, padTo(`${JSON.stringify(running)}\n`, reserveFor(inv)));
  } catch (error) {
    // Nothing has run: leave no evidence of a run that never was.
    await log.close().catch(() => {});
    rmSync(logPath, { force: true });
    throw new HutError('IO', `cannot keep evidence in ${evidenceDir}: ${fsReason(error)}`, {
      hint: 'free some space there, or set paths.evidence_dir (or --evidence-dir) elsewhere; no step ran',
    });
  }
  const say = (line: string) => void log.line(redactText(line, secrets));

  let result: StepsResult;
  try {
    say(
      `# hutctl job ${inv.job_id}: role ${inv.target_role}, target ${options.target.name} (${options.transport.describe()}), lock ${lock?.path ?? lockPath}`,
    );
    if (early || !lock) {
      say(`# ${early!.summary}`);
      result = { ...early!, steps: [], signal: null, recoveries: [] };
    } else {
      const commands = options.stepsFor ? options.stepsFor(lock) : inv.command;
      say(
        `# executor ${lock.user}@${lock.host}, timeout ${inv.timeout_sec} s, ${commands.length} step(s)`,
      );
      result = await runSteps(options, commands, { log, say, secrets, cancelPath, progress });
    }
  } catch (error) {
    // hutctl's own fault mid-job: the job still ends with a report that says so.
    result = {
      status: 'failed',
      exitCode: 1,
      summary: `hutctl failed while running the job: ${(error as Error).message}`,
      signal: null,
      steps: [],
      recoveries: [],
    };
  } finally {
    await lock?.release();
  }

  const end = new Date();
  const artifacts = [logPath];
  if (lock && inv.expected_artifacts?.length) {
    artifacts.push(...(await existingArtifacts(options, inv.expected_artifacts)));
  }
  const report: Report = {
    schema_version: 'ws2.report.v1',
    job_id: inv.job_id,
    agent_role: inv.target_role,
    status: result.status,
    start_utc: utcIso(start),
    end_utc: utcIso(end),
    duration_sec: Math.round(end.getTime() - start.getTime()) / 1000,
    exit_code: result.exitCode,
    lock_key: inv.lock_key,
    executor: {
      hostname: lock?.host ?? 'unknown',
      user: lock?.user ?? 'unknown',
      transport: options.target.transport,
      target: options.target.name,
    },
    ...(inv.commit_sha ? { commit_sha: inv.commit_sha } : {}),
    artifact_paths: artifacts,
    human_summary: redactText(result.summary, secrets),
    next_action: nextAction(result.status, logPath),
    signal: result.signal,
    steps: result.steps.map((step) => ({ ...step, command: redactText(step.command, secrets) })),
    log_path: logPath,
    ...(result.recoveries.length > 0 || options.recover
      ? { recovery_events: result.recoveries.length, recoveries: result.recoveries }
      : {}),
    ...(options.reportExtras ? options.reportExtras(lock) : {}),
  };
  say(`# ${report.status}: ${report.human_summary}`);
  await log.close();
  if (log.error) {
    report.human_summary += ` (the log could not be written completely: ${log.error.message})`;
  }
  const text = `${JSON.stringify(report, null, 2)}\n`;
  let reportError: string | null = null;
  try {
    await writeFileAtomic(reportPath, text);
    noteEvidence(options.config, reportPath);
    rmSync(runningPath, { force: true });
  } catch (error) {
    reportError = `the report could not be written to ${reportPath}: ${fsReason(error)}`;
    try {
      overwriteInPlace(runningPath, `${JSON.stringify({ ...running, report })}\n`);
      reportError += `; it is kept in ${runningPath}`;
    } catch {}
  }
  try {
    clearCancel(cancelPath);
  } catch {}
  return { report, reportPath, logPath, ...(reportError ? { reportError } : {}) };
}

/**
 * Checks, creating nothing yet, that the evidence directory can be written; with `create`, also
 * makes it (private, or shared with the team's group).
 */
export function prepareEvidenceDir(dir: string, group: number | null, create = false): void {
  try {
    if (create) privateDir(dir, group);
    checkWritableDir(dir);
  } catch (error) {
    throw new HutError('IO', `cannot keep evidence in ${dir}: ${fsReason(error)}`, {
      hint: 'set paths.evidence_dir in hutctl.yaml (or pass --evidence-dir) to a directory this user may write',
    });
  }
}

/** Room for the report: its steps and summary, with plenty to spare. */
function reserveFor(inv: Invocation): number {
  const commands = inv.command.reduce((n, step) => n + Buffer.byteLength(step), 0);
  return Math.max(16 * 1024, 2 * commands + 8 * 1024);
}

function padTo(text: string, size: number): string {
  const bytes = Buffer.byteLength(text);
  return bytes >= size ? text : text + ' '.repeat(size - bytes);
}

/**
 * Writes `text` over the start of an existing file without growing it (blocks it already has,
 * so it works on a full disk); what is left of the old content becomes spaces.
 */
function overwriteInPlace(path: string, text: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_NOFOLLOW);
  try {
    const size = fstatSync(fd).size;
    const data = Buffer.from(text);
    if (data.length > size) throw new Error('the reserved space is too small');
    const padded = Buffer.alloc(size, 0x20);
    data.copy(padded);
    writeSync(fd, padded, 0, size, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

class CancelledWhileWaiting extends Error {}

interface StepsResult {
  status: ReportStatus;
  exitCode: number;
  summary: string;
  signal: string | null;
  steps: StepResult[];
  recoveries: string[];
}

interface StepContext {
  log: EvidenceLog;
  say: (line: string) => void;
  secrets: string[];
  cancelPath: string;
  progress: JobProgress;
}

async function runSteps(
  options: RunJobOptions,
  commands: string[],
  ctx: StepContext,
): Promise<StepsResult> {
  const inv = options.invocation;
  const total = commands.length;
  let deadline = Date.now() + inv.timeout_sec * 1000;
  const steps: StepResult[] = [];
  const recoveries: string[] = [];
  const label = (i: number) =>
    `step ${i + 1}/${total} \`${redactText(commands[i]!, ctx.secrets)}\``;
  const end = (status: ReportStatus, exitCode: number, signal: string | null, summary: string) => ({
    status,
    exitCode,
    signal,
    steps,
    summary,
    recoveries,
  });

  for (let i = 0; i < total; i++) {
    const pending = options.signal?.aborted ? { now: true } : readCancel(ctx.cancelPath);
    if (pending) {
      return end(
        'cancelled',
        130,
        null,
        `Cancelled before ${label(i)}; ${i} of ${total} step(s) had completed.`,
      );
    }
    const run = await runStep(options, commands[i]!, label(i), deadline, ctx);
    steps.push({
      index: i,
      command: commands[i]!,
      exit_code: run.exitCode,
      signal: run.signal,
      duration_sec: run.duration,
    });

    if (run.stopReason === 'cancelled') {
      return end(
        'cancelled',
        130,
        run.signal,
        `Cancelled during ${label(i)}; its process group was ended with ${run.signal}.`,
      );
    }
    const failed = run.stopReason === 'timeout' || run.exitCode !== 0;
    if (failed && options.recover && recoveries.length === 0) {
      const reason = run.stopReason === 'timeout' ? 'timeout' : 'failed';
      const decision = await options.recover({
        index: i,
        command: commands[i]!,
        reason,
        output: run.output,
      });
      if (decision.retry) {
        recoveries.push(decision.note);
        ctx.say(`# recovery: ${decision.note}; running ${label(i)} again`);
        ctx.progress(`recovery: ${decision.note}`);
        deadline = Date.now() + inv.timeout_sec * 1000;
        i--;
        continue;
      }
      ctx.say(`# no recovery: ${decision.note}`);
    }
    if (run.stopReason === 'timeout') {
      return end(
        'timeout',
        124,
        run.signal,
        `Timed out after ${inv.timeout_sec} s in ${label(i)}; its process group was ended with ${run.signal}.`,
      );
    }
    if (run.exitCode !== 0) {
      const code = run.exitCode ?? 128;
      const why =
        code === WORKDIR_MISSING
          ? ' (the workdir does not exist on the target)'
          : code === 255 && options.target.transport === 'ssh'
            ? ' (ssh connection failure, or the step itself exited 255)'
            : '';
      const rest = i + 1 < total ? `; ${total - i - 1} later step(s) not run` : '';
      return end(
        'failed',
        code,
        run.signal,
        `${label(i)} exited ${code}${why} after ${run.duration.toFixed(1)} s${rest}.`,
      );
    }
  }
  const host = options.target.transport === 'local' ? 'this host' : options.transport.describe();
  const after = recoveries.length > 0 ? ` after ${recoveries.length} recovery` : '';
  return end(
    'success',
    0,
    null,
    `All ${total} step(s) succeeded on ${options.target.name} (${host})${after}.`,
  );
}

interface StepRun {
  exitCode: number | null;
  signal: string | null;
  duration: number;
  stopReason: 'timeout' | 'cancelled' | null;
  output: string;
}

/** Runs one step until it ends, times out (at `deadline`) or is cancelled. */
async function runStep(
  options: RunJobOptions,
  command: string,
  label: string,
  deadline: number,
  ctx: StepContext,
): Promise<StepRun> {
  const graceMs = options.config.jobs.killGraceSec * 1000;
  // Output goes into the log, through a redacting filter when there are secrets.
  const output: StepOutput = {
    fd: ctx.log.fd,
    path: ctx.log.path,
    sink: () => ctx.log.sink(),
    ...(ctx.secrets.length > 0 ? { redact: ctx.secrets } : {}),
    ...(options.live ? { live: true } : {}),
  };
  ctx.say(`# ${label} started ${new Date().toISOString()}`);
  ctx.progress(label);
  const from = await ctx.log.size();
  const began = Date.now();
  const step = await startStep({
    transport: options.transport,
    command,
    workdir: options.invocation.workdir ?? options.target.workdir,
    loginShell: options.target.loginShell,
    output,
  });

  let stopReason: 'timeout' | 'cancelled' | null = null;
  let sentSignal: string | null = null;
  const timers: NodeJS.Timeout[] = [];
  const escalate = (reason: 'timeout' | 'cancelled') => {
    if (stopReason) return;
    stopReason = reason;
    sentSignal = 'SIGTERM';
    ctx.say(
      `# ${reason === 'timeout' ? `timeout after ${options.invocation.timeout_sec} s` : 'cancel requested'}: SIGTERM to the step's process group`,
    );
    step.signal('TERM');
    timers.push(
      setTimeout(() => {
        sentSignal = 'SIGKILL';
        ctx.say(`# still running after ${graceMs / 1000} s: SIGKILL`);
        step.signal('KILL');
      }, graceMs),
      setTimeout(() => step.abandon(), graceMs + 3000),
    );
  };
  timers.push(setTimeout(() => escalate('timeout'), Math.max(0, deadline - Date.now())));
  const stopWatch = watchCancel(ctx.cancelPath, options.pollMs ?? 200, options.signal, (now) => {
    if (now) escalate('cancelled');
  });
  const { exitCode, signal } = await step.done;
  stopWatch();
  for (const timer of timers) clearTimeout(timer);
  const to = await ctx.log.size();
  const duration = (Date.now() - began) / 1000;
  ctx.say(
    `# ${label} ended: ${exitCode === null ? `signal ${signal}` : `exit ${exitCode}`} after ${duration.toFixed(3)} s`,
  );
  return {
    exitCode,
    signal: signal ?? sentSignal,
    duration,
    stopReason,
    output: options.recover ? await ctx.log.read(Math.max(from, to - 65536), to) : '',
  };
}

/** Polls the cancel flag (and our own abort signal); calls back once with whether it is "now". */
function watchCancel(
  path: string,
  pollMs: number,
  signal: AbortSignal | undefined,
  onCancel: (now: boolean) => void,
): () => void {
  let fired = false;
  const fire = (now: boolean) => {
    if (fired) return;
    if (now) fired = true;
    onCancel(now);
  };
  const onAbort = () => fire(true);
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const timer = setInterval(() => {
    if (fired) return;
    const request = readCancel(path);
    if (request) fire(request.now);
  }, pollMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  };
}

async function refuseDuplicate(dir: string, jobId: string, replace: boolean): Promise<void> {
  const runs = await findJobEvidence(dir, jobId);
  for (const run of runs) {
    if (run.runningPath) {
      const record = await readRunning(run.runningPath);
      if (record && executorAlive(record) === true) {
        throw new HutError(
          'DUPLICATE_JOB',
          `job ${jobId} is running now (pid ${record.pid}, since ${record.start_utc})`,
          {
            hint: `wait for it, or 'hutctl job cancel ${jobId}'`,
          },
        );
      }
    }
  }
  const done = runs.filter((run) => run.reportPath);
  if (done.length > 0 && !replace) {
    throw new HutError(
      'DUPLICATE_JOB',
      `job ${jobId} already has a report: ${done.at(-1)!.reportPath}`,
      {
        hint: 'use a new job_id, or --replace to run it again (earlier evidence is kept)',
      },
    );
  }
}

async function existingArtifacts(options: RunJobOptions, paths: string[]): Promise<string[]> {
  const script = 'for f; do [ -e "$f" ] && printf "%s\\n" "$f"; done; exit 0';
  const child = options.transport.spawn(['sh', '-c', script, 'hutctl-artifacts', ...paths], {
    stdio: ['ignore', 'pipe', 'ignore'],
    ...(options.invocation.workdir ? { cwd: options.invocation.workdir } : {}),
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const ok = await new Promise<boolean>((resolve) => {
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
  return ok ? out.split('\n').filter(Boolean) : [];
}

function nextAction(status: ReportStatus, logPath: string): string {
  switch (status) {
    case 'success':
      return 'none';
    case 'failed':
      return `read the log ${logPath} for the failing step's output`;
    case 'timeout':
      return `read the log ${logPath}; raise timeout_sec or split the work if the step needs longer`;
    case 'cancelled':
      return 'run the job again with --replace when ready';
  }
}
