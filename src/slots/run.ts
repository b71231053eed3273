/**
 * `slot run`: a job on one board. The slot's lock instead of the role lock, `{port}`, `{slot}`
 * and `{sha}` filled in once the slot is known (after its health check, when one is due), the
 * serial link watched for re-enumeration, and optionally one recovery by power cycle when the
 * step times out or the board panics or loops.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type HutConfig, localTarget, type Slot } from '../config/index.ts';
import { checkId, type Invocation, utcIso, utcStamp } from '../contract/index.ts';
import { HutError } from '../errors/index.ts';
import { randomHex } from '../files/index.ts';
import { type JobOutcome, type JobProgress, ROLE_TIMEOUTS, runJob } from '../jobs/index.ts';
import type { HeldLock } from '../locks/index.ts';
import { backendFor, powerCycle } from '../power/index.ts';
import { LocalTransport, shellQuote } from '../transport/index.ts';
import { routableSlots } from './health.ts';
import { acquireHealthySlot, type RunHealthCheck } from './health-gate.ts';
import type { HeldSlot } from './lock.ts';
import { readBootLog } from './recovery.ts';
import { candidateSlots, recordSeen } from './slots.ts';
import { type LinkWatch, ttyOf, watchLink } from './watch.ts';

export interface SlotRunOptions {
  config: HutConfig;
  slot?: string;
  label?: string;
  argv: string[];
  /** Where the step runs (default: the current directory). */
  workdir?: string;
  sha?: string;
  jobId?: string;
  timeoutSec?: number;
  recover?: boolean;
  noWait?: boolean;
  replace?: boolean;
  evidenceDir?: string;
  /** Shows the step's stdout and stderr on this process's own, as they come. */
  live?: boolean;
  progress?: JobProgress;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /**
   * A slot already held (an MCP lease): the job runs under that lock, takes no other, and leaves
   * it held when it ends. Its health was checked when it was taken.
   */
  held?: HeldSlot;
  /**
   * The slot's health check (hil's `healthCheckOn`), run first, under the job's lock, when one
   * is due; without it a due check is only said.
   */
  healthCheck?: RunHealthCheck;
}

/** How long a slot's serial link may take to (re)appear before the step runs anyway. */
const LINK_WAIT_MS = 5000;

export async function runSlotJob(options: SlotRunOptions): Promise<JobOutcome> {
  const { config } = options;
  const named = options.held
    ? [options.held.slot]
    : candidateSlots(config, {
        ...(options.slot ? { slot: options.slot } : {}),
        ...(options.label ? { label: options.label } : {}),
      });
  if (options.recover) for (const slot of named) backendFor(config, slot, options.env); // fail early
  if (options.argv.some((arg) => arg.includes('{sha}')) && !options.sha) {
    throw new HutError('USAGE', 'the command uses {sha}; pass --sha <commit>');
  }
  // {sha} is filled into the command, so only a real SHA may reach it.
  const sha = options.sha === undefined ? undefined : checkId('sha', options.sha, '--sha');
  if (options.jobId !== undefined) checkId('job_id', options.jobId, '--job-id');
  // Health needs the ledger: asked only once the input is known to be good.
  const candidates = options.held ? named : await routableSlots(config, named, options.progress);
  const now = new Date();
  const subject = options.held?.slot.id ?? options.slot ?? options.label!;
  const invocation: Invocation = {
    schema_version: 'ws2.invocation.v1',
    job_id: options.jobId ?? `slot-${subject}-${utcStamp(now).replace('_', '-')}-${randomHex(4)}`,
    target_role: 'runner',
    requested_by: 'runner',
    request_utc: utcIso(now),
    command: [options.argv.map(shellQuote).join(' ')],
    timeout_sec: options.timeoutSec ?? ROLE_TIMEOUTS.runner.defaultSec,
    lock_key: subject,
    // The step runs where it was typed, so relative paths (build/, ./flash.sh) mean what they say.
    workdir: options.workdir ?? process.cwd(),
    ...(sha ? { commit_sha: sha } : {}),
  };
  let held: Slot | null = null;
  let watch: LinkWatch | null = null;
  const progress = options.progress ?? (() => {});
  const target = localTarget();
  try {
    return await runSlotSteps();
  } finally {
    // However the job ended (even by a fault), the link is no longer watched.
    (watch as LinkWatch | null)?.stop();
  }

  function runSlotSteps(): Promise<JobOutcome> {
    return runJob({
      invocation,
      source: 'hutctl slot run',
      config,
      target,
      transport: new LocalTransport(target),
      evidenceDir: options.evidenceDir ?? config.paths.evidenceDir,
      noWait: options.noWait === true,
      replace: options.replace === true,
      live: options.live === true,
      progress,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.env ? { env: options.env } : {}),
      acquire: async ({ owner, noWait, signal }) => {
        const { slot, lock } = options.held
          ? { slot: options.held.slot, lock: keptOpen(options.held.lock) }
          : await acquireHealthySlot(config, candidates, {
              owner,
              noWait,
              signal,
              onWait: progress,
              check: options.healthCheck ?? null,
              say: progress,
            });
        try {
          held = slot;
          progress(`slot ${slot.id} (${slot.serial})`);
          for (
            let waited = 0;
            ttyOf(slot.serial) === null && waited < LINK_WAIT_MS;
            waited += 100
          ) {
            if (waited === 0) progress(`waiting for ${slot.serial} to appear`);
            await sleep(100, undefined, { signal });
          }
          watch = watchLink(slot.serial);
          // Only a note for `slot doctor`: a state directory that cannot be written costs no job.
          await recordSeen(config.paths.stateDir, slot.id, ttyOf(slot.serial)).catch((error) =>
            progress(`note: could not record the slot's tty: ${(error as Error).message}`),
          );
          return lock;
        } catch (error) {
          await lock.release();
          throw error;
        }
      },
      stepsFor: () => {
        const slot = held!;
        const fill = (arg: string) =>
          arg
            .replaceAll('{port}', slot.serial)
            .replaceAll('{slot}', slot.id)
            .replaceAll('{sha}', sha ?? '');
        return [options.argv.map((arg) => shellQuote(fill(arg))).join(' ')];
      },
      ...(options.recover
        ? {
            recover: async (failure) => {
              const slot = held!;
              const boot = readBootLog(failure.output);
              const why =
                failure.reason === 'timeout'
                  ? 'the step timed out'
                  : boot.panic
                    ? `the board panicked (${boot.panic})`
                    : boot.bootLoop
                      ? `the board is in a reset loop (${boot.resets} resets)`
                      : null;
              if (!why)
                return {
                  retry: false,
                  note: `exit without a panic or reset loop in the output; no power cycle`,
                };
              progress(`${why}: power-cycling ${slot.id}`);
              const cycle = await powerCycle(
                {
                  config,
                  slot,
                  backend: backendFor(config, slot, options.env),
                  ...(options.signal ? { signal: options.signal } : {}),
                  jobId: invocation.job_id,
                },
                { force: true },
              );
              const note = `${why}; power cycle of ${slot.id}: ${cycle.status} in ${(cycle.total_ms / 1000).toFixed(1)} s${cycle.error ? ` (${cycle.error})` : ''}`;
              return { retry: cycle.status === 'ok', note };
            },
          }
        : {}),
      reportExtras: () => {
        const slot = held as Slot | null;
        const events = (watch as LinkWatch | null)?.stop() ?? [];
        if (!slot) return {};
        const ttys = events.map((e) => e.tty);
        return {
          lock_key: slot.id,
          slot: slot.id,
          port: slot.serial,
          serial_events: events,
          re_enumerated: ttys.length > 1,
        };
      },
    });
  }
}

/** A lock the job uses but does not own: releasing it leaves it held (a lease lets go itself). */
function keptOpen(lock: HeldLock): HeldLock {
  return {
    path: lock.path,
    host: lock.host,
    user: lock.user,
    release: async () => {},
    [Symbol.asyncDispose]: async () => {},
  };
}
