/** `hutctl board`: the workstream board, shown, and a row claimed or moved by its rules. */
import { type Command, Option } from 'commander';
import { STATUSES } from '../../docs/board-states.ts';
import { HutError } from '../../errors/index.ts';
import { withExamples } from '../help.ts';
import { printJson, printLine } from '../output.ts';
import { changes, openDocs } from './docs-repo.ts';

export function register(program: Command): void {
  const board = program
    .command('board')
    .description('the workstream board: show it, claim a workstream, move its status');
  withExamples(
    board
      .command('show')
      .description('the workstream rows and the role activation tracker')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl board show', 'every workstream: status, owner, title; role activation'],
      [
        'hutctl board show --docs ~/src/squeezelite-esp32 --json',
        "another repository's board, as JSON",
      ],
    ],
  ).action(async (o: { docs?: string; json?: boolean }) => {
    const { lib, read } = await openDocs(o.docs);
    const parsed = lib.parseBoard(read(lib.BOARD), lib.BOARD);
    if (o.json) return printJson(parsed);
    printLine(`Last updated: ${parsed.lastUpdated?.value ?? '(none)'}`);
    for (const r of parsed.rows)
      printLine(
        `${`${r.goal}/${r.ws}`.padEnd(14)} ${r.status.padEnd(12)} ${r.owner.padEnd(13)} ${r.title}${r.extra.length ? `  [${r.extra.length} extra cell(s)]` : ''}`,
      );
    for (const a of parsed.activation) printLine(`role ${a.role}: ${a.owner} ${a.state}`);
  });
  const setter = (name: string, description: string) =>
    board
      .command(name)
      .description(description)
      .argument('<GOAL-nnn/WSn>', 'the workstream, e.g. GOAL-001/WS9')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the row as JSON');
  withExamples(
    setter('claim', 'set the owner of a workstream').argument(
      '<owner>',
      'the new owner, <role>:<id>, e.g. runner:codex',
    ),
    [['hutctl board claim GOAL-002/WS1 runner:codex', 'runner:codex owns GOAL-002/WS1']],
  ).action(async (ref: string, owner: string, o: { docs?: string; json?: boolean }) => {
    await changeRow('board claim', o.docs, ref, { owner }, o.json);
  });
  withExamples(
    setter(
      'set',
      'move status (blocked needs --blockers, done needs evidence in --next-action), owner, next action',
    )
      .addOption(new Option('--status <status>', 'the new status').choices(STATUSES))
      .option('--owner <owner>', '<role>:<id>')
      .option('--blockers <text>', "none, or DEP:<what> (joined with ' + ')")
      .option('--next-action <text>', 'the next action (for done: the evidence)'),
    [
      [
        "hutctl board set GOAL-001/WS9 --status blocked --blockers 'DEP:relay wiring'",
        'blocked, and on what',
      ],
      ['hutctl board set GOAL-001/WS9 --status in_progress', 'work has started'],
      [
        "hutctl board set GOAL-001/WS9 --status done --next-action '`3f2c1ab`'",
        'done; its evidence is commit 3f2c1ab',
      ],
    ],
  ).action(
    async (
      ref: string,
      o: {
        docs?: string;
        json?: boolean;
        status?: string;
        owner?: string;
        blockers?: string;
        nextAction?: string;
      },
    ) => {
      await changeRow(
        'board set',
        o.docs,
        ref,
        {
          ...(o.status ? { status: o.status } : {}),
          ...(o.owner ? { owner: o.owner } : {}),
          ...(o.blockers ? { blockers: o.blockers } : {}),
          ...(o.nextAction ? { next_action: o.nextAction } : {}),
        },
        o.json,
      );
    },
  );
}

async function changeRow(
  command: string,
  dir: string | undefined,
  ref: string,
  change: Record<string, string>,
  json?: boolean,
): Promise<void> {
  const { lib, boardPath, read, root } = await openDocs(dir);
  if (Object.keys(change).length === 0)
    throw new HutError(
      'USAGE',
      'nothing to change: pass --status, --owner, --blockers or --next-action',
    );
  const today = new Date().toISOString().slice(0, 10);
  await lib.editDocument(
    boardPath,
    (text) => lib.editRow(text, lib.parseBoard(text, lib.BOARD), ref, change, today),
    {
      note: {
        repository: root,
        edit: 'board-row',
        summary: `${ref}: ${changes(change)}`,
        command,
      },
    },
  );
  const row = lib.findRow(lib.parseBoard(read(lib.BOARD), lib.BOARD), ref);
  if (json) printJson(row);
  else
    printLine(
      `${ref}: ${row.status}, owner ${row.owner}, blockers ${row.blockers}; next: ${row.next_action}`,
    );
}
