/** What `job run` and `slot run` share on the command line: Ctrl-C as a cancel, and the result. */
import { HutError } from '../errors/index.ts';
import type { JobOutcome } from '../jobs/index.ts';
import { note, printJson } from './output.ts';

/**
 * Runs `work` with SIGINT, SIGTERM and SIGHUP (the terminal gone: a dropped SSH session) turned
 * into an abort (hutctl then cancels the job in order), whose reason says which signal it was.
 * After it, a SIGINT or SIGTERM ends hutctl at once; a SIGHUP never does: a hang-up comes more
 * than once (the kernel's to the terminal's foreground group, then the login shell's to its
 * jobs), and no person sent the second.
 */
export async function withCancelOnSignal<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const listen = (on: boolean, names: readonly NodeJS.Signals[] = STOPPING) => {
    for (const name of names) on ? process.on(name, onSignal) : process.off(name, onSignal);
  };
  const onSignal = (name: NodeJS.Signals) => {
    listen(false, ['SIGINT', 'SIGTERM']);
    if (!controller.signal.aborted)
      controller.abort(new HutError('INTERRUPTED', `interrupted (${name})`));
  };
  listen(true);
  try {
    return await work(controller.signal);
  } finally {
    listen(false);
  }
}

const STOPPING = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Prints the report (JSON) or a two-line summary, and sets the exit status from the status. */
export async function printOutcome(
  outcome: JobOutcome,
  json: boolean | undefined,
  where = '',
): Promise<void> {
  const { EXIT_FOR_STATUS } = await import('../jobs/index.ts');
  const { report } = outcome;
  if (json) printJson(report);
  else {
    note(
      `hutctl: ${report.status} (exit ${report.exit_code})${where} in ${report.duration_sec} s: ${report.human_summary}`,
    );
    if (!outcome.reportError) note(`hutctl: report ${outcome.reportPath}`);
  }
  if (outcome.reportError) {
    // The job ran: its outcome is never lost, even when the evidence directory is full.
    note(`hutctl: ${outcome.reportError}`);
    if (!json) note(JSON.stringify(report));
  }
  process.exitCode = EXIT_FOR_STATUS[report.status];
}
