/** The ledger's history commands, each added to the command group it belongs to. */
import type { Command } from 'commander';
import { checkId } from '../../contract/ids.ts';
import type { HistoryFilter } from '../../store/queries.ts';
import { withExamples } from '../help.ts';
import {
  type HistoryOptions,
  historyFilter,
  historyOptions,
  printRows,
  STATUSES,
  when,
  withLedger,
} from '../history.ts';

const short = (sha: string | null) => (sha ? sha.slice(0, 12) : '-');

/** `job list`: jobs newest first. */
export function addJobList(job: Command): void {
  withExamples(
    historyOptions(job.command('list').description('jobs from the ledger, newest first'), [
      'slot',
      'sha',
      'status',
      'role',
    ]),
    [
      ['hutctl job list', 'the last 50 jobs'],
      ['hutctl job list --slot hut-02 --since 7d', 'what ran on hut-02 this week'],
      ['hutctl job list --status failed --role runner --json', "the runner's failures, as JSON"],
    ],
  ).action((options: HistoryOptions, command: Command) => {
    let filter: HistoryFilter;
    return withLedger(
      command,
      async (db) => {
        const { listJobs } = await import('../../store/queries.ts');
        const rows = await listJobs(db, filter);
        printRows(
          rows,
          options.json,
          [
            ['STARTED (UTC)', (r) => when(r.start_utc)],
            ['JOB', (r) => r.job_id],
            ['ROLE', (r) => r.role],
            ['STATUS', (r) => `${r.status}${r.exit_code === null ? '' : ` (${r.exit_code})`}`],
            ['SLOT', (r) => r.slot ?? '-'],
            ['SHA', (r) => short(r.sha)],
            ['TIME', (r) => `${r.duration_sec.toFixed(1)} s`],
            ['SUMMARY', (r) => r.summary],
          ],
          'no jobs in the ledger match',
        );
      },
      async () => {
        filter = await historyFilter(options, STATUSES.job);
      },
    );
  });
}

/** `hil history`: hardware results newest first. */
export function addHilHistory(hil: Command): void {
  withExamples(
    historyOptions(
      hil.command('history').description('hardware test results from the ledger, newest first'),
      ['slot', 'sha', 'status'],
    ),
    [
      ['hutctl hil history --sha 3f2c1ab', 'every result for one commit'],
      ['hutctl hil history --slot hut-03 --status blocked', "hut-03's farm problems"],
    ],
  ).action((options: HistoryOptions, command: Command) => {
    let filter: HistoryFilter;
    return withLedger(
      command,
      async (db) => {
        const { hilHistory } = await import('../../store/queries.ts');
        const rows = await hilHistory(db, filter);
        printRows(
          rows,
          options.json,
          [
            ['STARTED (UTC)', (r) => when(r.started_utc)],
            ['SHA', (r) => short(r.sha)],
            ['SLOT', (r) => r.slot],
            ['TEST', (r) => r.test_id],
            ['STATUS', (r) => `${r.status} (${r.phase})`],
            ['BOOTED', (r) => r.app_version ?? '-'],
            ['REASON', (r) => r.reason],
          ],
          'no hardware results in the ledger match',
        );
      },
      async () => {
        filter = await historyFilter(options, STATUSES.hil);
      },
    );
  });
}

/** `power history <slot>`: every cycle, switch and cold boot of a slot's relay. */
export function addPowerHistory(power: Command): void {
  withExamples(
    historyOptions(
      power
        .command('history')
        .description("a slot's power events from the ledger (cycles, switches, hil's cold boots)")
        .argument('<slot>', 'the slot id'),
      ['status'],
    ),
    [
      ['hutctl power history hut-01', "hut-01's last 50 power events"],
      ['hutctl power history hut-01 --status ha_error --since 30d', 'relay failures this month'],
    ],
  ).action((slot: string, options: HistoryOptions, command: Command) => {
    let filter: HistoryFilter;
    return withLedger(
      command,
      async (db) => {
        const { powerHistory } = await import('../../store/queries.ts');
        const rows = await powerHistory(db, filter);
        printRows(
          rows,
          options.json,
          [
            ['STARTED (UTC)', (r) => when(r.started_utc)],
            ['ACTION', (r) => r.action],
            ['STATUS', (r) => r.status],
            ['ATTEMPTS', (r) => String(r.attempts)],
            ['TIME', (r) => `${Math.round(r.total_ms)} ms`],
            ['JOB', (r) => r.job_id ?? '-'],
            ['ERROR', (r) => r.error ?? ''],
          ],
          `no power events for ${slot} in the ledger match`,
        );
      },
      async () => {
        filter = { ...(await historyFilter(options, STATUSES.power)), slot: checkId('slot', slot) };
      },
    );
  });
}

/** `slot history <slot>`: leases (jobs), tests, power and recoveries, merged by time. */
export function addSlotHistory(slotGroup: Command): void {
  withExamples(
    historyOptions(
      slotGroup
        .command('history')
        .description("a slot's jobs, hardware tests, power events and recoveries, newest first")
        .argument('<slot>', 'the slot id'),
      [],
    ),
    [
      ['hutctl slot history hut-02', 'what happened on hut-02, newest first'],
      ['hutctl slot history hut-02 --since 24h --json', 'the last day, as JSON'],
    ],
  ).action((slot: string, options: HistoryOptions, command: Command) => {
    let filter: HistoryFilter & { slot: string };
    return withLedger(
      command,
      async (db) => {
        const { slotHistory } = await import('../../store/queries.ts');
        const rows = await slotHistory(db, filter);
        printRows(
          rows,
          options.json,
          [
            ['AT (UTC)', (r) => when(r.at_utc)],
            ['KIND', (r) => r.kind],
            ['STATUS', (r) => r.status],
            ['WHAT', (r) => r.what],
          ],
          `nothing recorded for ${slot} in the ledger`,
        );
      },
      async () => {
        filter = { ...(await historyFilter(options)), slot: checkId('slot', slot) };
      },
    );
  });
}

/** `threads history`: each delegation (a turn of a role's Codex) with its thread and tokens. */
export function addThreadsHistory(threads: Command): void {
  withExamples(
    historyOptions(
      threads
        .command('history')
        .description(
          'delegations from the ledger, newest first: role, outcome, thread, turns, tokens',
        ),
      ['status', 'role'],
    ),
    [
      ['hutctl threads history', 'the last 50 delegations'],
      ['hutctl threads history --role runner --since 7d --json', "this week's turns of the runner"],
    ],
  ).action((options: HistoryOptions, command: Command) => {
    let filter: HistoryFilter;
    return withLedger(
      command,
      async (db) => {
        const { delegationHistory } = await import('../../store/queries.ts');
        const rows = await delegationHistory(db, filter);
        const tokens = (n: number | null) => (n === null ? '-' : String(n));
        printRows(
          rows,
          options.json,
          [
            ['STARTED (UTC)', (r) => when(r.started_utc)],
            ['ROLE', (r) => r.role],
            ['STATUS', (r) => r.status],
            ['TURNS', (r) => String(r.turns)],
            ['TOKENS IN/OUT', (r) => `${tokens(r.tokens_in)}/${tokens(r.tokens_out)}`],
            ['GOAL', (r) => r.goal ?? '-'],
            ['THREAD', (r) => r.thread_ref ?? '-'],
          ],
          'no delegations in the ledger match',
        );
      },
      async () => {
        filter = await historyFilter(options, STATUSES.job);
      },
    );
  });
}

/** `docs history`: the edits hutctl made to the team's documents. */
export function addDocsHistory(docs: Command): void {
  withExamples(
    historyOptions(
      docs
        .command('history')
        .description(
          'the edits hutctl made to the documents (handoff log, board, tickets, …), from the ledger',
        ),
      ['role', 'sha'],
    ),
    [
      ['hutctl docs history', 'the last 50 edits: which document, what, by whom'],
      ['hutctl docs history --role runner --since 7d', "the runner's edits this week"],
    ],
  ).action((options: HistoryOptions, command: Command) => {
    let filter: HistoryFilter;
    return withLedger(
      command,
      async (db) => {
        const { docEditHistory } = await import('../../store/queries.ts');
        const rows = await docEditHistory(db, filter);
        printRows(
          rows,
          options.json,
          [
            ['AT (UTC)', (r) => when(r.at_utc)],
            ['DOCUMENT', (r) => r.document],
            ['EDIT', (r) => r.edit],
            ['BY', (r) => r.by_agent],
            ['LINES', (r) => `+${r.lines_added}/-${r.lines_removed}`],
            ['SUMMARY', (r) => r.summary],
          ],
          'no document edits in the ledger match',
        );
      },
      async () => {
        filter = await historyFilter(options);
      },
    );
  });
}
