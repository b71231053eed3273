/**
 * The ad hoc ticket queue: the 9-column table under `## Queue`, ids `ADHOC-YYYYMMDD-NN`
 * allocated per day without collision (under the document lock), rows edited in place.
 */
import { HutError } from '../errors/index.ts';
import { tableCells } from './board.ts';
import { TICKET_STATUSES } from './ticket-states.ts';
import { documentValue } from './values.ts';

export { TICKET_STATUSES } from './ticket-states.ts';

const HEADER = /^\|\s*Ticket ID\s*\|\s*Requested UTC\s*\|\s*Requested By\s*\|/;
const COLUMNS = [
  'id',
  'requested_utc',
  'requested_by',
  'scope',
  'goal',
  'owner',
  'status',
  'next_action',
  'evidence',
] as const;

export type Ticket = Record<(typeof COLUMNS)[number], string> & { line: number };

function rows(lines: string[], where: string): { header: number; end: number } {
  const header = lines.findIndex((l) => HEADER.test(l));
  if (header < 0)
    throw new HutError(
      'INPUT',
      `${where}: no ticket table (| Ticket ID | Requested UTC | …); the file was left untouched`,
    );
  let end = header + 2;
  while (end < lines.length && lines[end]!.trim().startsWith('|')) end++;
  return { header, end };
}

export function parseTickets(text: string, where: string): Ticket[] {
  const lines = text.split('\n');
  const { header, end } = rows(lines, where);
  return lines.slice(header + 2, end).map((line, i) => {
    const cells = tableCells(line);
    return {
      line: header + 3 + i,
      ...Object.fromEntries(COLUMNS.map((c, k) => [c, cells[k] ?? ''])),
    } as Ticket;
  });
}

const cell = (name: string, value: string) =>
  documentValue('ticket', name.replace('_', ' '), value, 'cell');

/** Appends a ticket with the next free id of that day; returns the new text and the id. */
export function addTicket(
  text: string,
  where: string,
  t: {
    requested_by: string;
    scope: string;
    goal: string;
    owner: string;
    next_action: string;
    evidence?: string;
    now?: Date;
  },
): { text: string; id: string } {
  const lines = text.split('\n');
  const { end } = rows(lines, where);
  const now = (t.now ?? new Date()).toISOString();
  const day = now.slice(0, 10).replaceAll('-', '');
  const used = parseTickets(text, where)
    .map((x) => new RegExp(`^ADHOC-${day}-(\\d+)$`).exec(x.id)?.[1])
    .filter(Boolean)
    .map(Number);
  const id = `ADHOC-${day}-${String(Math.max(0, ...used) + 1).padStart(2, '0')}`;
  const cells = [
    id,
    `${now.slice(0, 10)} ${now.slice(11, 16)} UTC`,
    t.requested_by,
    t.scope,
    t.goal,
    t.owner,
    'open',
    t.next_action,
    t.evidence ?? '-',
  ].map((c, i) => cell(COLUMNS[i]!, c));
  lines.splice(end, 0, `| ${cells.join(' | ')} |`);
  return { text: lines.join('\n'), id };
}

export function setTicket(
  text: string,
  where: string,
  id: string,
  change: { status?: string; owner?: string; next_action?: string; evidence?: string },
): string {
  const ticket = parseTickets(text, where).find((t) => t.id === id);
  if (!ticket) throw new HutError('NOT_FOUND', `no ticket ${id} in ${where}`);
  if (change.status && !(TICKET_STATUSES as readonly string[]).includes(change.status)) {
    throw new HutError('INPUT', `status must be one of ${TICKET_STATUSES.join(', ')}`);
  }
  // Only the given values are new; the row's other cells (extra ones too) stay as written.
  const lines = text.split('\n');
  const cells = tableCells(lines[ticket.line - 1]!);
  while (cells.length < COLUMNS.length) cells.push('');
  for (const [key, value] of Object.entries(change) as Array<[keyof typeof change, string]>)
    if (value !== undefined) cells[COLUMNS.indexOf(key)] = cell(key, value);
  lines[ticket.line - 1] = `| ${cells.join(' | ')} |`;
  return lines.join('\n');
}
