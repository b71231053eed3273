/**
 * The history commands (`job list`, `hil history`, `power history`, `slot history`): the same
 * filters, the ledger opened the same way, a table for people and `--json` for tools.
 */
import type { Command } from 'commander';
import type { HutConfig } from '../config/index.ts';
import { checkId } from '../contract/ids.ts';
import { HutError } from '../errors/index.ts';
import type { Db, Row } from '../store/db.ts';
import type { HistoryFilter } from '../store/queries.ts';
import { loadFor } from './context.ts';
import { wholeNumber } from './numbers.ts';
import { printJson, printLine } from './output.ts';

export interface HistoryOptions {
  since?: string;
  slot?: string;
  sha?: string;
  status?: string;
  role?: string;
  limit: string;
  json?: boolean;
}

type Filter = 'slot' | 'sha' | 'status' | 'role';

/** Adds --since, --limit, --json and the filters named. */
export function historyOptions(command: Command, filters: readonly Filter[]): Command {
  command.option('--since <when>', 'only since then: 7d, 24h, 90m, or a UTC date (2026-11-01)');
  if (filters.includes('slot')) command.option('--slot <slot>', 'only this slot');
  if (filters.includes('sha'))
    command.option('--sha <sha>', 'only this commit (a prefix of 7+ hex digits)');
  if (filters.includes('status')) command.option('--status <status>', 'only this status');
  if (filters.includes('role'))
    command.option('--role <role>', 'only this role (runner, infra, arch)');
  return command
    .option('--limit <n>', 'at most this many, newest first', '50')
    .option('--json', 'print as JSON');
}

/** The statuses each history command knows. */
export const STATUSES = {
  job: ['success', 'failed', 'timeout', 'cancelled'],
  hil: ['pass', 'fail', 'blocked'],
  power: ['ok', 'ha_error', 'timeout', 'cancelled', 'error'],
} as const;

export async function historyFilter(
  options: HistoryOptions,
  statuses: readonly string[] = [],
): Promise<HistoryFilter> {
  const { sinceInstant } = await import('../store/queries.ts');
  const filter: HistoryFilter = { limit: wholeNumber(options.limit, '--limit', 1, 100_000) };
  if (options.since !== undefined) filter.since = sinceInstant(options.since);
  if (options.slot !== undefined) filter.slot = checkId('slot', options.slot, '--slot');
  if (options.sha !== undefined) {
    if (!/^[0-9a-fA-F]{7,64}$/.test(options.sha))
      throw new HutError('USAGE', `--sha ${options.sha}: expected 7 to 64 hex digits`);
    filter.sha = options.sha.toLowerCase();
  }
  if (options.status !== undefined) {
    if (!statuses.includes(options.status))
      throw new HutError(
        'USAGE',
        `--status ${options.status}: expected one of ${statuses.join(', ')}`,
      );
    filter.status = options.status;
  }
  if (options.role !== undefined) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(options.role))
      throw new HutError(
        'USAGE',
        `--role ${options.role}: expected a role such as runner or infra`,
      );
    filter.role = options.role;
  }
  return filter;
}

/**
 * Opens the ledger for a command, or says why there is none. `check` sees the config first and
 * refuses bad input before the ledger is opened (opening creates it), so bad input changes
 * nothing.
 */
export async function withLedger<T>(
  command: Command,
  work: (db: Db, config: HutConfig) => Promise<T>,
  check: (config: HutConfig) => unknown = () => {},
): Promise<T> {
  const config = await loadFor(command.optsWithGlobals());
  await check(config);
  const { openStore } = await import('../store/ledger.ts');
  const db = await openStore(config);
  if (db === null) {
    throw new HutError('CONFIG', 'the ledger is off (store.engine: off in hutctl.yaml)', {
      hint: 'set store.engine to sqlite (the default) or postgres to keep history',
    });
  }
  try {
    return await work(db, config);
  } finally {
    await db.close();
  }
}

/** Rows as JSON, or as aligned columns (the last column left unpadded). */
export function printRows<T extends Row>(
  rows: T[],
  json: boolean | undefined,
  columns: Array<[header: string, cell: (row: T) => string]>,
  empty: string,
): void {
  if (json) {
    printJson(rows);
    return;
  }
  if (rows.length === 0) {
    printLine(empty);
    return;
  }
  // The last column (a reason, an error) is cut at REASON_SHOWN characters: one run's long
  // reason must not bury the table (--json keeps it whole).
  const cells = rows.map((row) =>
    columns.map(([, cell], i) => {
      const text = printable(cell(row));
      if (i < columns.length - 1) return text;
      const chars = [...text];
      return chars.length > REASON_SHOWN ? `${chars.slice(0, REASON_SHOWN - 1).join('')}…` : text;
    }),
  );
  const widths = columns.map(([header], i) =>
    Math.max(header.length, ...cells.map((line) => line[i]!.length)),
  );
  const line = (values: string[]) =>
    values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  printLine(line(columns.map(([header]) => header)));
  for (const values of cells) printLine(line(values));
}

const REASON_SHOWN = 200;

/**
 * Text from evidence as a terminal may show it: control characters (an escape sequence in a
 * board's output, a line break in a reason) and bidirectional overrides become `?`.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '?');
}

/** An ISO instant as people read it in a table: `2026-11-28 15:30:00`. */
export const when = (iso: string) => iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
