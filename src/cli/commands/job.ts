/** `hutctl job run|new|cancel|status|logs`: WS2 jobs, locked, time-bounded, with evidence. */
import { createReadStream } from 'node:fs';
import { lstat, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { type HutConfig, resolveTarget } from '../../config/index.ts';
import {
  checkId,
  type Invocation,
  parseInvocation,
  utcIso,
  utcStamp,
  validateInvocation,
} from '../../contract/index.ts';
import { HutError } from '../../errors/index.ts';
import { randomHex } from '../../files/index.ts';
import {
  EXIT_FOR_STATUS,
  findJobEvidence,
  type JobEvidence,
  ROLE_TIMEOUTS,
  readReport,
  requestCancel,
  runJob,
  runState,
} from '../../jobs/index.ts';
import { transportFor } from '../../transport/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';
import { printOutcome, withCancelOnSignal } from '../job-outcome.ts';
import { wholeNumber } from '../numbers.ts';
import { note, printJson, printLine } from '../output.ts';
import { readInput } from '../read-input.ts';
import { addJobList } from './history.ts';

export function register(program: Command): void {
  const job = program
    .command('job')
    .description('WS2 jobs: run an invocation on a role, follow it, cancel it');

  withExamples(
    job
      .command('run')
      .description(
        'run a ws2.invocation.v1 job: lock, steps, timeout/cancel, streamed log, ws2.report.v1',
      )
      .argument('[invocation]', 'the invocation JSON file, or - for standard input', '-')
      .option(
        '--target <name>',
        "run on this target instead of the role's configured one (or 'local')",
      )
      .option('--no-wait', 'fail at once (exit 75) when the lock is held, naming the holder')
      .option(
        '--replace',
        'run even though a report for this job_id exists (earlier evidence is kept)',
      )
      .option(
        '--evidence-dir <dir>',
        'where the log and report go (default: paths.evidence_dir, ./evidence)',
      )
      .option('--quiet', "don't copy step output to the terminal (it is always in the log)")
      .option('--json', 'print only the report, as JSON')
      .addHelpText(
        'after',
        `
Exit status: 0 success, 1 failed, 124 timeout, 130 cancelled; 2 bad input, 75 lock busy (--no-wait).

Evidence: <evidence-dir>/<role>_<job_id>_<YYYYMMDD_HHMMSS>_utc.log and .json (written atomically).
Lock: <lock_dir>/codex-<role>-<lock_key>.lock (flock; shared with the runner's flock(1) scripts).
Cancel: 'hutctl job cancel <job_id>' stops before the next step; --now also ends the running one.`,
      ),
    [
      ['hutctl job run job.json', "run the job on its role's target, with a log and a report"],
      [
        'hutctl job new --role runner --lock-key smoke -- uptime | hutctl job run -',
        'write the invocation and run it at once',
      ],
      [
        'hutctl job run --no-wait --target local job.json',
        'run it here; fail at once (exit 75) if the lock is busy',
      ],
    ],
  ).action(async (file: string, options: RunOptions, command: Command) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const { text, source } = await readInput(file);
    const invocation = parseInvocation(text, source);
    const config = await loadFor(globals);
    const target = targetFor(config, invocation, options.target);
    const outcome = await withCancelOnSignal((signal) =>
      runJob({
        invocation,
        source,
        config,
        target,
        transport: transportFor(target, config),
        evidenceDir: options.evidenceDir ?? config.paths.evidenceDir,
        noWait: options.wait === false,
        replace: options.replace === true,
        live: !(options.json || options.quiet),
        progress: options.json ? () => {} : (line) => note(`hutctl: ${line}`),
        signal,
      }),
    );
    await printOutcome(outcome, options.json);
  });

  withExamples(
    job
      .command('new')
      .description(
        'write a ws2.invocation.v1 to standard output (each argument after -- is one step)',
      )
      .argument('<steps...>', 'the steps, each a shell command line run on the target')
      .requiredOption('--role <role>', 'infra or runner')
      .requiredOption('--lock-key <key>', 'jobs with the same role and lock key never overlap')
      .option('--job-id <id>', 'default: <role>-<YYYYMMDD-HHMMSS>-<random>')
      .option('--timeout <sec>', 'default: the role default (infra 600, runner 1800)')
      .option('--workdir <dir>', 'directory on the target')
      .option('--commit-sha <sha>', "the commit this job is about, or 'none'")
      .option('--requested-by <role>', 'who asks', 'arch')
      .option('--notes <text>', 'free text'),
    [
      [
        'hutctl job new --role runner --lock-key smoke -- hostname uptime > job.json',
        'two steps on the runner, for job run',
      ],
      [
        "hutctl job new --role infra --lock-key disk --timeout 120 -- 'df -h /'",
        'one step on infra, two minutes at most',
      ],
    ],
  ).action((steps: string[], options: NewOptions) => {
    const role = options.role;
    if (role !== 'infra' && role !== 'runner') {
      throw new HutError('USAGE', `--role ${role}: expected infra or runner`);
    }
    // Flags are checked as flags, so the message names the flag and quotes the value.
    if (options.jobId !== undefined) checkId('job_id', options.jobId, '--job-id');
    checkId('lock_key', options.lockKey, '--lock-key');
    const now = new Date();
    const draft: Record<string, unknown> = {
      schema_version: 'ws2.invocation.v1',
      job_id: options.jobId ?? `${role}-${utcStamp(now).replace('_', '-')}-${randomHex(4)}`,
      target_role: role,
      requested_by: options.requestedBy,
      request_utc: utcIso(now),
      command: steps,
      timeout_sec:
        options.timeout === undefined
          ? ROLE_TIMEOUTS[role].defaultSec
          : wholeNumber(options.timeout, '--timeout', 1, ROLE_TIMEOUTS[role].maxSec),
      lock_key: options.lockKey,
    };
    if (options.workdir) draft.workdir = options.workdir;
    if (options.commitSha) draft.commit_sha = options.commitSha;
    if (options.notes) draft.notes = options.notes;
    printJson(validateInvocation(draft, 'hutctl job new'));
  });

  withExamples(
    job
      .command('cancel')
      .description(
        'ask a job to stop: before its next step, or with --now also ending the running step',
      )
      .argument('<job_id>', "the job to stop (its invocation's job_id)")
      .option(
        '--now',
        'also interrupt the running step (SIGTERM to its process group, then SIGKILL)',
      )
      .option('--json', 'print the request as JSON'),
    [
      ['hutctl job cancel runner-20260213-101500-9f3a', 'stop the job before its next step'],
      ['hutctl job cancel runner-20260213-101500-9f3a --now', 'also end the step that is running'],
    ],
  ).action(async (jobId: string, options: { now?: boolean; json?: boolean }, command: Command) => {
    checkJobId(jobId);
    const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
    // A job that has ended has nothing left to cancel; one not seen yet may be waiting for
    // its lock (it leaves evidence only once it holds it) or be about to start.
    const last = (await findJobEvidence(config.paths.evidenceDir, jobId)).at(-1);
    const { state: was, record } = last
      ? await runState(last)
      : { state: 'not_started' as const, record: null };
    if (was === 'ended' || was === 'interrupted') {
      const how =
        was === 'ended'
          ? `has already ended: ${last!.reportPath ?? last!.runningPath}`
          : `was interrupted (its executor, pid ${record?.pid ?? '?'}, is gone)`;
      throw new HutError('INPUT', `job ${jobId} ${how}`, {
        hint: `nothing to cancel; 'hutctl job status ${jobId}' shows how it ended`,
      });
    }
    const path = await requestCancel(config.paths.cancelDir, jobId, options.now === true);
    if (options.json)
      return printJson({ job_id: jobId, flag: path, now: options.now === true, state: was });
    const when = options.now ? 'now' : 'before its next step';
    printLine(
      was === 'running'
        ? `cancel requested for ${jobId} (${when}): ${path}`
        : `cancel requested for ${jobId}, which has not started here yet: it will stop before its first step if it runs as this user (or you are root); remove ${path} to withdraw`,
    );
  });

  withExamples(
    job
      .command('status')
      .description("a job's state from its evidence: running, interrupted, or the final report")
      .argument('<job_id>', "the job (its invocation's job_id)")
      .option('--evidence-dir <dir>', 'where to look (default: paths.evidence_dir)')
      .option('--json', 'print as JSON (the report itself when the job has ended)'),
    [
      ['hutctl job status runner-20260213-101500-9f3a', 'running, interrupted, or how it ended'],
      [
        'hutctl job status runner-20260213-101500-9f3a --json',
        'the ws2.report.v1 once the job has ended',
      ],
    ],
  ).action(
    async (jobId: string, options: { evidenceDir?: string; json?: boolean }, command: Command) => {
      const run = await latestRun(jobId, options.evidenceDir, command);
      const { state, record, keptReport } = await runState(run);
      if (run.reportPath || keptReport) {
        const report = keptReport ?? (await readReport(run.reportPath!));
        if (options.json) printJson(report);
        else {
          printLine(
            `${jobId}: ${report.status} (exit ${report.exit_code}) ${report.start_utc} -> ${report.end_utc}, ${report.duration_sec} s on ${report.executor?.user ?? '?'}@${report.executor?.hostname ?? '?'}`,
          );
          printLine(report.human_summary);
          printLine(`log: ${run.logPath ?? '(none)'}`);
          if (keptReport)
            printLine(
              `report: kept in ${run.runningPath} (its own file could not be written when the job ended)`,
            );
        }
        process.exitCode = EXIT_FOR_STATUS[report.status];
        return;
      }
      if (options.json)
        printJson({ job_id: jobId, status: state, executor: record, log_path: run.logPath });
      else {
        printLine(
          state === 'running'
            ? `${jobId}: running since ${record?.start_utc} (pid ${record?.pid} on ${record?.host})`
            : `${jobId}: interrupted — the executor ended without writing a report; the log is kept`,
        );
        printLine(`log: ${run.logPath ?? '(none)'}`);
      }
      process.exitCode = state === 'running' ? 0 : 1;
    },
  );

  withExamples(
    job
      .command('logs')
      .description("print a job's log (the newest run of that job_id)")
      .argument('<job_id>', "the job (its invocation's job_id)")
      .option('--evidence-dir <dir>', 'where to look (default: paths.evidence_dir)')
      .option('-f, --follow', 'keep printing until the job ends'),
    [
      [
        'hutctl job logs runner-20260213-101500-9f3a --follow',
        'print the log as it grows, until the job ends',
      ],
      [
        'hutctl job logs runner-20260213-101500-9f3a --evidence-dir ci/evidence',
        'a job whose evidence is in the CI workspace',
      ],
    ],
  ).action(
    async (
      jobId: string,
      options: { evidenceDir?: string; follow?: boolean },
      command: Command,
    ) => {
      const run = await latestRun(jobId, options.evidenceDir, command);
      if (!run.logPath) throw new HutError('NOT_FOUND', `job ${jobId} has no log yet`);
      // Only a plain file is read: a FIFO planted in its place would block for ever.
      if (!(await lstat(run.logPath)).isFile())
        throw new HutError('IO', `log ${run.logPath} is not a regular file`, {
          hint: 'the evidence was replaced; look at the report with hutctl job status',
        });
      let offset = 0;
      for (;;) {
        const size = (await stat(run.logPath)).size;
        if (size > offset) {
          await new Promise<void>((resolve, reject) => {
            const stream = createReadStream(run.logPath!, { start: offset, end: size - 1 });
            stream.on('error', reject);
            stream.on('end', resolve);
            stream.pipe(process.stdout, { end: false });
          });
          offset = size;
        }
        if (!options.follow) return;
        const runs = await findJobEvidence(dirname(run.logPath), jobId);
        const now = runs.find((r) => r.base === run.base);
        const state = now && !now.reportPath ? (await runState(now)).state : 'ended';
        if (state !== 'running') {
          if ((await stat(run.logPath)).size > offset) continue;
          if (state === 'interrupted') {
            note(`hutctl: job ${jobId} was interrupted: its executor ended without a report`);
            process.exitCode = 1;
          }
          return;
        }
        await sleep(200);
      }
    },
  );
  addJobList(job);
}

interface RunOptions {
  target?: string;
  wait?: boolean;
  replace?: boolean;
  evidenceDir?: string;
  quiet?: boolean;
  json?: boolean;
}

interface NewOptions {
  role: string;
  lockKey: string;
  jobId?: string;
  timeout?: string;
  workdir?: string;
  commitSha?: string;
  requestedBy: string;
  notes?: string;
}

function checkJobId(jobId: string): void {
  checkId('job_id', jobId);
}

async function latestRun(
  jobId: string,
  evidenceDir: string | undefined,
  command: Command,
): Promise<JobEvidence> {
  checkJobId(jobId);
  const dir =
    evidenceDir ?? (await loadFor(command.optsWithGlobals<GlobalOptions>())).paths.evidenceDir;
  const run = (await findJobEvidence(dir, jobId)).at(-1);
  if (!run) {
    throw new HutError('NOT_FOUND', `no evidence for job ${jobId} in ${dir}`, {
      hint: 'check the job_id, or pass --evidence-dir',
    });
  }
  return run;
}

function targetFor(config: HutConfig, invocation: Invocation, override: string | undefined) {
  if (override !== undefined) return resolveTarget(config, override);
  const target = config.targets[invocation.target_role];
  if (target) return target;
  throw new HutError(
    'CONFIG',
    `no target is configured for role ${invocation.target_role}${config.file ? ` in ${config.file}` : ' (no hutctl.yaml found)'}`,
    {
      hint: `add targets: {${invocation.target_role}: {transport: ssh, host: HOST, user: USER}} to hutctl.yaml, or pass --target local to run here`,
    },
  );
}
