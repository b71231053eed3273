/** `hutctl hil run|surface`: the hardware lane's HW-BOOT-001, with CI outputs. */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { HutError } from '../../errors/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { note, printJson, printLine } from '../output.ts';

interface HilCliOptions {
  sha: string;
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
}

const OUTPUTS = `
Results: pass (exit 0), fail — the firmware (exit 1), blocked — the farm: artifact, device, flash
or power, with the phase named (exit 3). Evidence: runner_hil_hw-boot-001_<slot>_<sha12>_<YYYYMMDD_HHMMSS>_utc.log
and .json (the hardware result summary: commit, lane local-hil, slot, platform, test, result,
power cycles, recovery events). --summary defaults to $GITHUB_STEP_SUMMARY when that is set.`;

export function register(program: Command): void {
  const hil = program
    .command('hil')
    .description("the hardware lane: HW-BOOT-001 on slots for a commit's artifact");

  hil
    .command('run')
    .description(
      "take a slot, verify and flash the SHA's artifact, power-cycle, judge the boot log, recover once on a hang",
    )
    .requiredOption('--sha <sha>', 'the commit whose artifact to test')
    .option('--slot <id>', 'the slot')
    .option('--label <label>', 'or the first free slot with this label')
    .option('--profile <name>', "platform profile (default: the slot's)")
    .option('--test <id>', 'the hardware test', 'HW-BOOT-001')
    .option('--junit <file>', 'write JUnit XML')
    .option('--summary <file>', 'append a Markdown summary')
    .option('--evidence-dir <dir>', 'where the evidence goes')
    .option('--json', 'print the result summary as JSON')
    .addHelpText('after', OUTPUTS)
    .action((options: HilCliOptions, command: Command) =>
      junitOnError(options, async () => {
        if (!options.slot === !options.label)
          throw new HutError('USAGE', 'pass exactly one of --slot or --label');
        const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
        const { runHil } = await import('../../hil/index.ts');
        const result = await runHil({
          config,
          ...pick(options),
          progress: options.json ? undefined : (l) => note(`hutctl: ${l}`),
        });
        await report([result], options, true);
      }),
    );

  hil
    .command('surface')
    .description(
      'HW-BOOT-001 on every mapped slot at once (different slots in parallel, one table)',
    )
    .requiredOption('--sha <sha>', 'the commit whose artifact to test')
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
    .option('--json', 'print the results as JSON')
    .addHelpText('after', OUTPUTS)
    .action((options: HilCliOptions, command: Command) =>
      junitOnError(options, async () => {
        const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
        if (Object.keys(config.slots).length === 0)
          throw new HutError('CONFIG', 'no slots are configured', {
            hint: "see 'hutctl slot scan --propose'",
          });
        const { surface } = await import('../../hil/index.ts');
        const results = await surface({
          config,
          ...pick(options),
          progress: options.json ? undefined : (l) => note(`hutctl: ${l}`),
        });
        if (options.updateDocs) {
          const { recordSurface } = await import('../../hil/index.ts');
          const { collectSecrets } = await import('../../secrets/index.ts');
          collectSecrets(config);
          const { findDocsRoot } = await import('../../docs/index.ts');
          const root = findDocsRoot(options.docs ?? process.cwd());
          const update = await recordSurface(root, results, {
            agent: options.agent ?? 'runner:hutctl',
            executor: options.executor ?? 'remote_codex',
            goal: options.goal ?? 'GOAL-002/WS3',
            slotSerial: (slot) =>
              Object.hasOwn(config.slots, slot) ? config.slots[slot]!.serial : '?',
          });
          note(
            `hutctl: handoff entry added to ${update.handoff_log}${update.inventory ? `; ${update.rows} slot row(s) in ${update.inventory}` : ' (no HUT inventory table found)'}${update.trackers.length ? `; in step: ${update.trackers.join(', ')}` : ''}`,
          );
        }
        await report(results, options, false);
      }),
    );
}

/**
 * CI reads the JUnit file whatever happened: a run that could not start (bad input, no config)
 * still writes one, with one errored case that says why, before the error is reported.
 */
async function junitOnError(options: HilCliOptions, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (options.junit) {
      const { junitForError } = await import('../../hil/index.ts');
      const { writeFileAtomic } = await import('../../files/index.ts');
      const message = error instanceof Error ? error.message : String(error);
      await writeFileAtomic(
        options.junit,
        junitForError(options.test ?? 'HW-BOOT-001', message),
      ).catch(() => {});
    }
    throw error;
  }
}

function pick(options: HilCliOptions) {
  return {
    sha: options.sha,
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
): Promise<void> {
  const { exitStatus, githubAnnotations, githubOutputs, junitXml, markdownSummary, resultTable } =
    await import('../../hil/index.ts');
  const { writeFileAtomic } = await import('../../files/index.ts');
  // The results first: a JUnit or summary file that cannot be written must not hide them.
  if (options.json) printJson(single ? results[0] : results);
  else for (const line of resultTable(results)) printLine(line);
  for (const r of results) if (r.evidence_error) note(`hutctl: ${r.slot}: ${r.evidence_error}`);
  process.exitCode = exitStatus(results);
  if (options.junit) await writeFileAtomic(options.junit, junitXml(results));
  const summary = options.summary ?? process.env.GITHUB_STEP_SUMMARY;
  if (summary) writeFileSync(summary, markdownSummary(results), { flag: 'a' });
  // On GitHub Actions: an annotation per failing or blocked slot (not into --json's output), and
  // the counts as step outputs.
  if (process.env.GITHUB_ACTIONS === 'true' && !options.json)
    for (const line of githubAnnotations(results)) printLine(line);
  if (process.env.GITHUB_OUTPUT)
    writeFileSync(process.env.GITHUB_OUTPUT, githubOutputs(results), { flag: 'a' });
}
