/** `hutctl hil run|surface`: the hardware lane's HW-BOOT-001, with CI outputs. */
import type { Command } from 'commander';
import { type HutConfig, profileNames } from '../../config/index.ts';
import { checkId } from '../../contract/ids.ts';
import { EXIT_STATUS, HutError, isHutError, oneLine } from '../../errors/index.ts';
import { fsReason } from '../../files/reason.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';
import { withCancelOnSignal } from '../job-outcome.ts';
import { note, printJson, printLine } from '../output.ts';
import { addHilHistory } from './history.ts';

interface HilCliOptions {
  sha?: string;
  slot?: string;
  label?: string;
  profile?: string;
  test?: string;
  junit?: string;
  summary?: string;
  evidenceDir?: string;
  updateDocs?: boolean;
  docs?: string;
  agent?: string;
  executor?: string;
  goal?: string;
  json?: boolean;
  healthCheck?: boolean;
  skipPassed?: boolean;
}

const SKIP_PASSED =
  'do not run a test that already passed on the slot for this SHA and the same artifact (a CI re-run): report it as skipped';

const OUTPUTS = `
Results: pass (exit 0), fail — the firmware (exit 1), blocked — the farm: artifact, device, flash
or power, with the phase named (exit 3); with --skip-passed, skipped — it passed before for this
SHA and artifact, the reason names that result (exit 0, nothing written). Evidence: runner_hil_hw-boot-001_<slot>_<sha12>_<YYYYMMDD_HHMMSS>_utc.log
and .json (the hardware result summary: commit, lane local-hil, slot, platform, test, result,
power cycles, recovery events). --summary defaults to $GITHUB_STEP_SUMMARY when that is set.
A slot whose health check is due gets it first, under the same lock (HW-BOOT-001 with the golden
or its last passing artifact); one that does not pass it is bad and takes no test (exit 2 when no
slot is left).`;

export function register(program: Command): void {
  const hil = program
    .command('hil')
    .description("the hardware lane: HW-BOOT-001 on slots for a commit's artifact");

  withExamples(
    hil
      .command('run')
      .description(
        "take a slot, verify and flash the SHA's artifact, power-cycle, judge the boot log, recover once on a hang",
      )
      .option('--sha <sha>', 'the commit whose artifact to test (required)')
      .option('--slot <id>', 'the slot')
      .option('--label <label>', 'or the first free slot with this label')
      .option('--profile <name>', "platform profile (default: the slot's)")
      .option('--test <id>', 'the hardware test', 'HW-BOOT-001')
      .option('--junit <file>', 'write JUnit XML')
      .option('--summary <file>', 'append a Markdown summary')
      .option('--evidence-dir <dir>', 'where the evidence goes')
      .option(
        '--health-check',
        "run as the slot's health check: allowed on an Unknown, Bad or Looping slot; a pass makes it Good, anything else Bad",
      )
      .option('--skip-passed', SKIP_PASSED)
      .option('--json', 'print the result summary as JSON')
      .addHelpText('after', OUTPUTS),
    [
      ['hutctl hil run --sha 3f2c1ab --slot hut-01', "HW-BOOT-001 of 3f2c1ab's artifact on hut-01"],
      ['hutctl hil run --sha 3f2c1ab --slot hut-01 --skip-passed', 'unless it passed there before'],
      [
        'hutctl hil run --sha 3f2c1ab --label esp32 --junit hil.xml',
        'on the first free esp32 board, JUnit for CI',
      ],
    ],
  ).action((options: HilCliOptions, command: Command) =>
    junitOnError(options, async (signal) => {
      if (!options.sha) throw new HutError('USAGE', "required option '--sha <sha>' not specified");
      if (!options.slot === !options.label)
        throw new HutError('USAGE', 'pass exactly one of --slot or --label');
      const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
      await checkBeforeBoards(options, config, false);
      const { runHil } = await import('../../hil/index.ts');
      const result = await runHil({
        config,
        ...pick(options),
        ...(options.healthCheck ? { healthCheck: true } : {}),
        progress: options.json ? undefined : (l) => note(`hutctl: ${l}`),
        signal,
      });
      await report([result], options, true, signal, config);
    }),
  );

  withExamples(
    hil
      .command('surface')
      .description(
        'HW-BOOT-001 on every mapped slot at once (different slots in parallel, one table)',
      )
      .option('--sha <sha>', 'the commit whose artifact to test (required)')
      .option('--test <id>', 'the hardware test', 'HW-BOOT-001')
      .option('--junit <file>', 'write JUnit XML')
      .option('--summary <file>', 'append a Markdown summary')
      .option('--evidence-dir <dir>', 'where the evidence goes')
      .option(
        '--update-docs',
        'record the outcomes: a handoff-log entry and the slot rows of the HUT inventory table',
      )
      .option(
        '--docs <dir>',
        'the repository with documentation/short-term/ (default: found from here upward)',
      )
      .option('--agent <role:id>', "the handoff entry's agent", 'runner:hutctl')
      .option(
        '--executor <how>',
        "the handoff entry's executor= tag: ssh_direct (hutctl ran it; the default) or remote_codex (a Codex turn did)",
        'ssh_direct',
      )
      .option('--goal <goal/ws>', "the handoff entry's goal/workstream", 'GOAL-002/WS3')
      .option('--skip-passed', SKIP_PASSED)
      .option('--json', 'print the results as JSON')
      .addHelpText('after', OUTPUTS),
    [
      ['hutctl hil surface --sha 3f2c1ab', 'HW-BOOT-001 on every mapped slot, one table'],
      [
        'hutctl hil surface --sha 3f2c1ab --junit hil.xml --update-docs',
        'also record the outcomes in the documents',
      ],
    ],
  ).action((options: HilCliOptions, command: Command) =>
    junitOnError(options, async (signal) => {
      const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
      if (Object.keys(config.slots).length === 0)
        throw new HutError('CONFIG', 'no slots are configured', {
          hint: "see 'hutctl slot scan --propose'",
        });
      const docsRoot = await checkBeforeBoards(options, config, true);
      const { surface } = await import('../../hil/index.ts');
      const results = await surface({
        config,
        ...pick(options),
        progress: options.json ? undefined : (l) => note(`hutctl: ${l}`),
        signal,
      });
      // A skipped test ran nothing: the documents keep what its earlier run recorded.
      const ran = results.filter((r) => r.status !== 'skipped');
      if (options.updateDocs && signal.aborted)
        note('hutctl: interrupted: the documents are unchanged');
      else if (options.updateDocs && ran.length === 0)
        note('hutctl: every test was skipped (passed before); the documents are unchanged');
      else if (options.updateDocs) {
        const { recordSurface } = await import('../../hil/index.ts');
        const { collectSecrets } = await import('../../secrets/index.ts');
        collectSecrets(config);
        const update = await recordSurface(docsRoot!, ran, {
          agent: options.agent ?? 'runner:hutctl',
          executor: options.executor ?? 'ssh_direct',
          goal: options.goal ?? 'GOAL-002/WS3',
          slotSerial: (slot) =>
            Object.hasOwn(config.slots, slot) ? config.slots[slot]!.serial : '?',
        });
        note(
          `hutctl: handoff entry added to ${update.handoff_log}${update.inventory ? `; ${update.rows} slot row(s) in ${update.inventory}` : ' (no HUT inventory table found)'}${update.trackers.length ? `; in step: ${update.trackers.join(', ')}` : ''}`,
        );
      }
      await report(results, options, false, signal, config);
    }),
  );
  addHilHistory(hil);
}

/**
 * Bad input is found before any board is touched (exit 2, nothing flashed): an unknown profile,
 * an output file that cannot be written, and for --update-docs the repository and the handoff
 * entry's agent, executor and goal. Returns the documents' root when --update-docs is given.
 */
async function checkBeforeBoards(
  options: HilCliOptions,
  config: HutConfig,
  surface: boolean,
): Promise<string | null> {
  // Checked here rather than by the option parser, so the JUnit file still says why.
  if (!options.sha) throw new HutError('USAGE', "required option '--sha <sha>' not specified");
  if (options.profile && !Object.hasOwn(config.profiles, options.profile))
    throw new HutError(
      'USAGE',
      `--profile ${options.profile}: no such platform profile (profiles: ${profileNames(config)})`,
    );
  // Bad input first (exit 2), then the configuration.
  checkId('sha', options.sha);
  // A named slot that cannot run the test at all: said before its lock or a due health check
  // touches the board.
  const named =
    options.slot && Object.hasOwn(config.slots, options.slot) ? config.slots[options.slot]! : null;
  if (named && !options.profile) {
    const profiles = profileNames(config);
    if (!named.profile)
      throw new HutError(
        'CONFIG',
        `slot ${named.id} has no platform profile (${named.source}); nothing was run`,
        {
          hint: `give it one (profile: in its entry; profiles: ${profiles}), or pass --profile`,
        },
      );
    if (!Object.hasOwn(config.profiles, named.profile))
      throw new HutError(
        'CONFIG',
        `slot ${named.id}'s platform profile '${named.profile}' is not under profiles: (${profiles}; ${named.source}); nothing was run`,
        { hint: "run 'hutctl config check'" },
      );
  }
  // The boot markers this run will match, as `config check` checks them: before any board.
  const { markerProblems } = await import('../../hil/marker.ts');
  const used = options.profile
    ? [options.profile]
    : named
      ? [named.profile ?? '']
      : Object.values(config.slots).map((slot) => slot.profile ?? '');
  const unusable = markerProblems(config, used);
  if (unusable.length > 0) {
    const { formatProblem } = await import('../../config/index.ts');
    throw new HutError(
      'CONFIG',
      `${formatProblem(unusable[0]!)}${unusable.length > 1 ? ` (and ${unusable.length - 1} more)` : ''}; nothing was run`,
      { hint: "run 'hutctl config check'" },
    );
  }
  const { outputProblem } = await import('../../files/output.ts');
  // What CI names in the environment is checked as what a person names on the command line.
  for (const [flag, file] of outputFiles(options)) {
    if (file) {
      const problem = outputProblem(file, config);
      if (problem)
        throw new HutError('USAGE', `${flag} ${file}: ${problem}; nothing was run`, {
          details: { flag },
        });
    }
  }
  if (!surface || !options.updateDocs) return null;
  const docsLib = await import('../../docs/index.ts');
  let root: string;
  try {
    root = docsLib.findDocsRoot(options.docs ?? process.cwd());
  } catch (error) {
    throw new HutError('USAGE', `--update-docs: ${(error as Error).message}; nothing was run`);
  }
  // The entry is formatted (and so checked) now, with the values the real one will have.
  try {
    docsLib.formatHandoff(
      {
        agent: options.agent ?? 'runner:hutctl',
        goal: options.goal ?? 'GOAL-002/WS3',
        context: 'runner-live',
        action_type: 'execute',
        operator_required: 'no',
        summary: 'check',
        next_action: 'check',
        tags: { executor: options.executor ?? 'ssh_direct' },
      },
      () => null,
    );
  } catch (error) {
    throw new HutError('USAGE', `${(error as Error).message}; nothing was run`);
  }
  return root;
}

/** The files a run writes its results to besides evidence, by the flag (or variable) that names them. */
function outputFiles(options: HilCliOptions): Array<[string, string | undefined]> {
  return [
    ['--junit', options.junit],
    options.summary !== undefined
      ? ['--summary', options.summary]
      : ['$GITHUB_STEP_SUMMARY', process.env.GITHUB_STEP_SUMMARY],
    ['$GITHUB_OUTPUT', process.env.GITHUB_OUTPUT],
  ];
}

/**
 * CI reads the JUnit file whatever happened: a run that could not start (bad input, no config)
 * still writes one, with one errored case that says why, before the error is reported. Ctrl-C
 * or SIGTERM stops the run in order (withCancelOnSignal): what was under way ends `blocked`,
 * its result and the JUnit file are written, and hutctl exits 130.
 */
async function junitOnError(
  options: HilCliOptions,
  work: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  try {
    await withCancelOnSignal(work);
  } catch (error) {
    // Not when the JUnit path itself is what was refused.
    const refused = isHutError(error) && (error.details as { flag?: string })?.flag === '--junit';
    if (options.junit && !refused) {
      const { junitForError } = await import('../../hil/index.ts');
      const { writeOutputFile } = await import('../../files/output.ts');
      const message = error instanceof Error ? error.message : String(error);
      await writeOutputFile(
        options.junit,
        junitForError(options.test ?? 'HW-BOOT-001', message),
      ).catch(() => {});
    }
    throw error;
  }
}

function pick(options: HilCliOptions) {
  return {
    sha: options.sha ?? '',
    ...(options.skipPassed
      ? { skipPassed: true, notice: (line: string) => note(`hutctl: ${line}`) }
      : {}),
    ...(options.slot ? { slot: options.slot } : {}),
    ...(options.label ? { label: options.label } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.test ? { test: options.test } : {}),
    ...(options.evidenceDir ? { evidenceDir: options.evidenceDir } : {}),
  };
}

async function report(
  results: import('../../hil/index.ts').HilResult[],
  options: HilCliOptions,
  single: boolean,
  signal: AbortSignal,
  config: HutConfig,
): Promise<void> {
  const {
    EXIT_BLOCKED,
    exitStatus,
    githubAnnotations,
    githubOutputs,
    junitXml,
    markdownSummary,
    resultTable,
    wasInterrupted,
  } = await import('../../hil/index.ts');
  const { outputProblem, writeOutputFile } = await import('../../files/output.ts');
  // The results first: a JUnit or summary file that cannot be written must not hide them.
  if (options.json) printJson(single ? results[0] : results);
  else for (const line of resultTable(results)) printLine(line);
  for (const r of results) if (r.evidence_error) note(`hutctl: ${r.slot}: ${r.evidence_error}`);
  // 130 when the signal stopped a run (its result says so); a signal that came after every
  // verdict changes nothing.
  process.exitCode =
    signal.aborted && results.some(wasInterrupted) ? EXIT_STATUS.INTERRUPTED : exitStatus(results);
  // Every slot passed, but hutctl could not keep what shows it (a disk that filled during the
  // run, a FIFO nobody read): the farm's problem (3), never the firmware's (1) nor a pass (0).
  let kept = !results.some((r) => r.evidence_error);
  const write = async (flag: string, file: string, data: string, append = false) => {
    // Checked again where it leads now: a link changed during the run (to the config, a token)
    // is refused, not followed.
    const problem = outputProblem(file, config);
    if (problem) {
      kept = false;
      note(`hutctl: ${flag} ${file} was not written: ${problem}`);
      return;
    }
    try {
      await writeOutputFile(file, data, { append });
    } catch (error) {
      kept = false;
      note(`hutctl: ${flag} ${file} was not written: ${oneLine(fsReason(error))}`);
    }
  };
  const [junit, summary, outputs] = outputFiles(options).map(
    ([flag, file]) => file && { flag, file },
  );
  if (junit) await write(junit.flag, junit.file, junitXml(results));
  if (summary) await write(summary.flag, summary.file, markdownSummary(results), true);
  // On GitHub Actions: an annotation per failing or blocked slot (not into --json's output), and
  // the counts as step outputs.
  if (process.env.GITHUB_ACTIONS === 'true' && !options.json)
    for (const line of githubAnnotations(results)) printLine(line);
  if (outputs) await write(outputs.flag, outputs.file, githubOutputs(results), true);
  if (!kept && process.exitCode === 0) process.exitCode = EXIT_BLOCKED;
}
