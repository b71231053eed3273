/** `hutctl ticket`: the ad hoc ticket queue, with ids allocated per day. */
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { TICKET_STATUSES } from '../../docs/ticket-states.ts';
import { HutError } from '../../errors/index.ts';
import { withExamples } from '../help.ts';
import { printJson, printLine } from '../output.ts';
import { changes, openDocs } from './docs-repo.ts';

export function register(program: Command): void {
  const ticket = program
    .command('ticket')
    .description('the ad hoc ticket queue (ADHOC-YYYYMMDD-NN)');
  withExamples(
    ticket
      .command('add')
      .description('open a ticket with the next free id of the day')
      .requiredOption('--scope <text>', 'what was asked')
      .requiredOption('--goal <goal/ws>', 'linked goal/workstream, e.g. GOAL-001/governance')
      .requiredOption('--owner <role:id>', 'who owns it')
      .requiredOption('--next <text>', 'next action')
      .option('--requested-by <who>', 'operator, user, …', 'operator')
      .option('--evidence <text>', 'evidence pointers', '-')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the ticket as JSON'),
    [
      [
        "hutctl ticket add --scope 'Wire the relay of hut-03' --goal GOAL-001/WS9 --owner runner:codex --next 'order relay'",
        'open ADHOC-<today>-NN',
      ],
    ],
  ).action(
    async (o: {
      scope: string;
      goal: string;
      owner: string;
      next: string;
      requestedBy: string;
      evidence: string;
      docs?: string;
      json?: boolean;
    }) => {
      const { lib, root, read } = await openDocs(o.docs);
      let id = '';
      const note = {
        repository: root,
        edit: 'ticket-add',
        summary: `${o.goal}: ${o.scope}`,
        command: 'ticket add',
      };
      await lib.editDocument(
        join(root, lib.TICKETS),
        (text) => {
          const added = lib.addTicket(text, lib.TICKETS, {
            requested_by: o.requestedBy,
            scope: o.scope,
            goal: o.goal,
            owner: o.owner,
            next_action: o.next,
            evidence: o.evidence,
          });
          id = added.id;
          note.summary = `${id} opened for ${o.goal}: ${o.scope}`;
          return added.text;
        },
        { note },
      );
      const t = lib.parseTickets(read(lib.TICKETS), lib.TICKETS).find((x) => x.id === id)!;
      if (o.json) printJson(t);
      else printLine(`${id} opened (put ticket_id=${id} in the handoff summary)`);
    },
  );
  withExamples(
    ticket
      .command('set')
      .description("change a ticket's status, owner, next action or evidence")
      .argument('<id>', 'the ticket, ADHOC-YYYYMMDD-NN')
      .addOption(new Option('--status <status>', 'the new status').choices(TICKET_STATUSES))
      .option('--owner <role:id>', 'the new owner')
      .option('--next <text>', 'the next action')
      .option('--evidence <text>', 'evidence pointers (log paths, commit SHAs)')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the updated ticket as JSON'),
    [
      [
        'hutctl ticket set ADHOC-20260212-01 --status in_progress',
        'work on the ticket has started',
      ],
      [
        'hutctl ticket set ADHOC-20260212-01 --status done --evidence 3f2c1ab',
        'done, with its evidence',
      ],
    ],
  ).action(
    async (
      id: string,
      o: {
        status?: string;
        owner?: string;
        next?: string;
        evidence?: string;
        docs?: string;
        json?: boolean;
      },
    ) => {
      const { lib, root, read } = await openDocs(o.docs);
      const change = {
        ...(o.status ? { status: o.status } : {}),
        ...(o.owner ? { owner: o.owner } : {}),
        ...(o.next ? { next_action: o.next } : {}),
        ...(o.evidence ? { evidence: o.evidence } : {}),
      };
      if (Object.keys(change).length === 0)
        throw new HutError(
          'USAGE',
          'nothing to change: pass --status, --owner, --next or --evidence',
        );
      await lib.editDocument(
        join(root, lib.TICKETS),
        (text) => lib.setTicket(text, lib.TICKETS, id, change),
        {
          note: {
            repository: root,
            edit: 'ticket-set',
            summary: `${id}: ${changes(change)}`,
            command: 'ticket set',
          },
        },
      );
      if (o.json) {
        return printJson(lib.parseTickets(read(lib.TICKETS), lib.TICKETS).find((t) => t.id === id));
      }
      printLine(`${id} updated`);
    },
  );
  withExamples(
    ticket
      .command('list')
      .description('the tickets')
      .addOption(new Option('--status <status>', 'only this status').choices(TICKET_STATUSES))
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl ticket list --status open', 'the open tickets'],
      ['hutctl ticket list --json', 'every ticket, as JSON'],
    ],
  ).action(async (o: { status?: string; docs?: string; json?: boolean }) => {
    const { lib, read } = await openDocs(o.docs);
    const tickets = lib
      .parseTickets(read(lib.TICKETS), lib.TICKETS)
      .filter((t) => !o.status || t.status === o.status);
    if (o.json) return printJson(tickets);
    for (const t of tickets)
      printLine(`${t.id}  ${t.status.padEnd(11)} ${t.owner.padEnd(12)} ${t.scope.slice(0, 90)}`);
  });
}
