/** `hutctl goal` and `hutctl gate`: GOAL documents and the Delegation Gate. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { HutError } from '../../errors/index.ts';
import { withExamples } from '../help.ts';
import { printJson, printLine } from '../output.ts';
import { openDocs } from './docs-repo.ts';

export function register(program: Command): void {
  const goal = program
    .command('goal')
    .description('GOAL documents: header, workstreams, deliverables checklist');
  const goalFile = async (dir: string | undefined, id: string) => {
    const d = await openDocs(dir);
    if (!/^GOAL-\d{3}$/.test(id)) throw new HutError('USAGE', `${id}: expected GOAL-nnn`);
    const { readdirSync } = await import('node:fs');
    const name = readdirSync(join(d.root, d.lib.ACTIVE_GOALS)).find(
      (f) => f.startsWith(`${id}-`) && f.endsWith('.md'),
    );
    if (!name) throw new HutError('NOT_FOUND', `no ${id}-*.md in ${d.lib.ACTIVE_GOALS}`);
    return { ...d, rel: `${d.lib.ACTIVE_GOALS}/${name}` };
  };
  withExamples(
    goal
      .command('show')
      .description('a GOAL: title, status, owner, last update, workstreams and the checklist')
      .argument(
        '<GOAL-nnn>',
        'the goal, e.g. GOAL-001 (documentation/short-term/active/GOAL-001-*.md)',
      )
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl goal show GOAL-001', 'status, owner, workstreams, checklist n/m'],
      ['hutctl goal show GOAL-001 --json', 'the same as JSON'],
    ],
  ).action(async (id: string, o: { docs?: string; json?: boolean }) => {
    const { lib, read, rel } = await goalFile(o.docs, id);
    const g = lib.parseGoal(read(rel), rel);
    if (o.json) return printJson(g);
    printLine(
      `${g.id}: ${g.title} — ${g.status ?? '?'}, owner ${g.owner ?? '?'}, last updated ${g.last_updated ?? '?'}`,
    );
    printLine(`workstreams: ${g.workstreams.map((w) => w.ws).join(', ') || '-'}`);
    printLine(`checklist: ${g.checklist.filter((c) => c.checked).length}/${g.checklist.length}`);
    for (const c of g.checklist) printLine(`  [${c.checked ? 'x' : ' '}] ${c.text}`);
  });
  withExamples(
    goal
      .command('tick')
      .description('tick (or --undo) the deliverables checklist item whose text contains <match>')
      .argument('<GOAL-nnn>', 'the goal, e.g. GOAL-001')
      .argument('<match>', "part of the item's text, enough to match one item")
      .option('--undo', 'untick it')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the checklist after the change as JSON'),
    [
      ["hutctl goal tick GOAL-001 'Runner VM provisioned'", 'tick the item that says so'],
      ["hutctl goal tick GOAL-001 'Runner VM provisioned' --undo", 'untick it'],
    ],
  ).action(
    async (id: string, match: string, o: { undo?: boolean; docs?: string; json?: boolean }) => {
      const { lib, root, rel } = await goalFile(o.docs, id);
      const today = new Date().toISOString().slice(0, 10);
      await lib.editDocument(
        join(root, rel),
        (text) => lib.tickChecklist(text, rel, match, !o.undo, today),
        {
          note: {
            repository: root,
            edit: 'goal-checklist',
            summary: `${id}: ${o.undo ? 'unticked' : 'ticked'} ${JSON.stringify(match)}`,
            command: 'goal tick',
          },
        },
      );
      if (o.json) {
        const text = lib.readDocument(join(root, rel));
        return printJson(lib.parseGoal(text, rel).checklist);
      }
      printLine(
        `${id}: ${o.undo ? 'unticked' : 'ticked'} the item matching ${JSON.stringify(match)}`,
      );
    },
  );

  withExamples(
    program
      .command('gate')
      .description('the Delegation Gate')
      .command('check')
      .description(
        'owner, activation state, first role-context handoff, operator gate, executor: each pass/fail; exit 1 when closed',
      )
      .argument('<GOAL-nnn/WSn>', 'the workstream to delegate, e.g. GOAL-001/WS9')
      .option(
        '--stateful',
        'destructive or stateful work: needs activation state >= first_heartbeat',
      )
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl gate check GOAL-001/WS9', 'may GOAL-001/WS9 be delegated; exit 1 when not'],
      ['hutctl gate check GOAL-001/WS9 --stateful', 'for work that changes state on the host'],
    ],
  ).action(async (ref: string, o: { stateful?: boolean; docs?: string; json?: boolean }) => {
    const { lib, read } = await openDocs(o.docs);
    const checks = lib.delegationGate(
      lib.parseBoard(read(lib.BOARD), lib.BOARD),
      lib.parseHandoffLog(read(lib.HANDOFF_LOG), lib.HANDOFF_LOG),
      ref,
      o.stateful === true,
    );
    const open = checks.every((c) => c.pass);
    if (o.json) printJson({ gate: ref, open, checks });
    else {
      for (const c of checks) printLine(`${c.pass ? 'pass' : 'FAIL'}  ${c.check}: ${c.detail}`);
      printLine(`${ref}: gate ${open ? 'open' : 'closed'}`);
    }
    process.exitCode = open ? 0 : 1;
  });
}
