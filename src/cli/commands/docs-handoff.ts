/** `hutctl handoff`: the handoff log, with entries validated before they are added. */
import type { Command } from 'commander';
import { HutError } from '../../errors/index.ts';
import { withExamples } from '../help.ts';
import { printJson, printLine } from '../output.ts';
import { collect, openDocs } from './docs-repo.ts';

export function register(program: Command): void {
  const handoff = program
    .command('handoff')
    .description('the handoff log: add validated entries, list them');
  withExamples(
    handoff
      .command('add')
      .description(
        'add an entry at the top of the log (all nine fields validated; executor= required for execute)',
      )
      .requiredOption('--agent <role:id>', 'who: arch:codex, runner:codex, infra:agent, …')
      .requiredOption('--goal <GOAL-nnn/WSn>', 'goal/workstream')
      .requiredOption('--context <context>', 'arch-local | infra-live | runner-live')
      .requiredOption('--action <type>', 'scaffold | delegate | execute | replan')
      .requiredOption('--operator-required <yes|no>', 'whether the operator must act')
      .requiredOption('--summary <text>', 'what was done (commit SHAs, evidence paths)')
      .requiredOption('--next <text>', 'the concrete next step')
      .option('--blocker <text>', "none, or DEP:<what> (joined with ' + ')", 'none')
      .option('--executor <how>', 'remote_codex | ssh_direct (required for execute)')
      .option(
        '--tag <key=value>',
        'more tags: thread_ref=…, ticket_id=…, ticket_tracking=declined (repeatable)',
        collect,
      )
      .option('--docs <dir>', 'the repository (default: found from here upward)')
      .option('--json', 'print the entry as JSON'),
    [
      [
        "hutctl handoff add --agent arch:codex --goal GOAL-001/WS9 --context arch-local --action scaffold --operator-required no --summary 'WS9 board rows' --next 'runner: claim WS9'",
        'record a step of the work',
      ],
      [
        "hutctl handoff add --agent runner:codex --goal GOAL-001/WS9 --context runner-live --action execute --operator-required no --executor ssh_direct --summary 'power cycle hut-01: ok' --next 'arch: review'",
        'an execute entry names its executor',
      ],
    ],
  ).action(async (o: AddOptions) => {
    const { lib, root, read } = await openDocs(o.docs);
    const tags: Record<string, string> = {};
    if (o.executor) tags.executor = o.executor;
    for (const tag of o.tag ?? []) {
      const [key, ...rest] = tag.split('=');
      if (!key || rest.length === 0)
        throw new HutError('USAGE', `--tag ${tag}: expected key=value`);
      tags[key] = rest.join('=');
    }
    const { addHandoff } = await import('../../docs/add-handoff.ts');
    const { path: logPath, line } = await addHandoff(
      root,
      {
        agent: o.agent,
        goal: o.goal,
        context: o.context,
        action_type: o.action,
        operator_required: o.operatorRequired,
        summary: o.summary,
        next_action: o.next,
        blocker: o.blocker,
        tags,
      },
      {
        repository: root,
        edit: 'handoff-entry',
        summary: `${o.goal} ${o.action}: ${o.summary}`,
        by: o.agent,
        command: 'handoff add',
      },
    );
    if (o.json) printJson(lib.parseHandoffLog(read(lib.HANDOFF_LOG), lib.HANDOFF_LOG)[0]);
    else printLine(`added to ${logPath}:\n${line}`);
  });
  withExamples(
    handoff
      .command('list')
      .description('the entries, newest first, with filters')
      .option('--goal <prefix>', 'goal/workstream, e.g. GOAL-001 or GOAL-001/WS8')
      .option('--agent <agent>', 'exact agent')
      .option('--action <type>', 'action_type')
      .option('--since <date>', 'on or after this UTC date or instant')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      [
        'hutctl handoff list --goal GOAL-001/WS8 --since 2026-02-13',
        "one workstream's entries since a day",
      ],
      ['hutctl handoff list --agent runner:codex --action execute', 'what runner:codex executed'],
    ],
  ).action(
    async (o: {
      goal?: string;
      agent?: string;
      action?: string;
      since?: string;
      docs?: string;
      json?: boolean;
    }) => {
      const { lib, read } = await openDocs(o.docs);
      const since = o.since ? Date.parse(o.since) : null;
      if (o.since && Number.isNaN(since))
        throw new HutError('USAGE', `--since ${o.since}: expected a date such as 2026-02-13`);
      const entries = lib
        .parseHandoffLog(read(lib.HANDOFF_LOG), lib.HANDOFF_LOG)
        .filter(
          (e) =>
            (!o.goal ||
              e.goal === o.goal ||
              e.goal.startsWith(`${o.goal}/`) ||
              e.goal.startsWith(`${o.goal}-`)) &&
            (!o.agent || e.agent === o.agent) &&
            (!o.action || e.action_type === o.action) &&
            (since === null || (e.utc !== null && Date.parse(e.utc) >= since)),
        );
      if (o.json) return printJson(entries);
      for (const e of entries)
        printLine(
          `${e.timestamp}  ${e.agent.padEnd(13)} ${e.goal.padEnd(16)} ${(e.action_type ?? 'legacy').padEnd(9)} ${e.summary.slice(0, 100)}`,
        );
    },
  );
}

interface AddOptions {
  agent: string;
  goal: string;
  context: string;
  action: string;
  operatorRequired: string;
  summary: string;
  next: string;
  blocker: string;
  executor?: string;
  tag?: string[];
  docs?: string;
  json?: boolean;
}
