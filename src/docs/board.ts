/**
 * The workstream board: the main table `| Goal ID | Workstream | Owner | Status | Blockers |
 * Next Action |` (rows with extra cells are real — an evidence column, a trailing `| - |` — and
 * their overflow is kept), the Role Activation Tracker, and `Last updated:`. An edit rewrites only
 * the row it changes and the date line.
 */
import { HutError } from '../errors/index.ts';
import { STATUSES } from './board-states.ts';
import { documentValue } from './values.ts';

export { ACTIVATION, STATUSES } from './board-states.ts';

export interface BoardRow {
  line: number;
  goal: string;
  ws: string;
  title: string;
  owner: string;
  status: string;
  blockers: string;
  next_action: string;
  /** Cells beyond the six declared columns, kept as written. */
  extra: string[];
}

export interface ActivationRow {
  line: number;
  role: string;
  owner: string;
  state: string;
  evidence: string;
  notes: string;
}

export interface Board {
  lastUpdated: { line: number; value: string } | null;
  rows: BoardRow[];
  activation: ActivationRow[];
}

/** Splits a Markdown table row into trimmed cells (a `\|` stays inside its cell). */
export function tableCells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const cells: string[] = [];
  let current = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === '\\' && inner[i + 1] === '|') {
      current += '\\|';
      i++;
    } else if (ch === '|') {
      cells.push(current.trim());
      current = '';
    } else current += ch;
  }
  cells.push(current.trim());
  return cells;
}

const unquote = (cell: string) => cell.replace(/^`(.*)`$/, '$1');

function tableAfter(lines: string[], header: RegExp): Array<{ index: number; cells: string[] }> {
  const at = lines.findIndex((l) => header.test(l));
  if (at < 0) return [];
  const rows: Array<{ index: number; cells: string[] }> = [];
  for (let i = at + 2; i < lines.length && lines[i]!.trim().startsWith('|'); i++)
    rows.push({ index: i, cells: tableCells(lines[i]!) });
  return rows;
}

export function parseBoard(text: string, where: string): Board {
  const lines = text.split('\n');
  const main = tableAfter(lines, /^\|\s*Goal ID\s*\|\s*Workstream\s*\|\s*Owner\s*\|\s*Status\s*\|/);
  if (main.length === 0 && !lines.some((l) => /^\|\s*Goal ID\s*\|/.test(l))) {
    throw new HutError(
      'INPUT',
      `${where}: no workstream table (| Goal ID | Workstream | Owner | Status | Blockers | Next Action |); the file was left untouched`,
    );
  }
  const updated = lines.findIndex((l) => /^Last updated:/.test(l));
  return {
    lastUpdated:
      updated < 0
        ? null
        : { line: updated + 1, value: lines[updated]!.replace(/^Last updated:\s*/, '').trim() },
    rows: main.map(({ index, cells }) => {
      const ws = /^(WS\d+):\s*(.*)$/.exec(cells[1] ?? '');
      return {
        line: index + 1,
        goal: cells[0] ?? '',
        ws: ws?.[1] ?? cells[1] ?? '',
        title: ws?.[2] ?? '',
        owner: cells[2] ?? '',
        status: cells[3] ?? '',
        blockers: cells[4] ?? '',
        next_action: cells[5] ?? '',
        extra: cells.slice(6),
      };
    }),
    activation: tableAfter(lines, /^\|\s*Role\s*\|\s*Owner\s*\|\s*Activation State\s*\|/).map(
      ({ index, cells }) => ({
        line: index + 1,
        role: unquote(cells[0] ?? ''),
        owner: unquote(cells[1] ?? ''),
        state: unquote(cells[2] ?? ''),
        evidence: cells[3] ?? '',
        notes: cells[4] ?? '',
      }),
    ),
  };
}

export function findRow(board: Board, ref: string): BoardRow {
  const match = /^(GOAL-\d{3})\/(WS\d+)$/.exec(ref);
  if (!match) throw new HutError('USAGE', `${ref}: expected GOAL-nnn/WSn, e.g. GOAL-001/WS9`);
  const row = board.rows.find((r) => r.goal === match[1] && r.ws === match[2]);
  if (!row) throw new HutError('NOT_FOUND', `the board has no row for ${ref}`);
  return row;
}

export interface RowChange {
  owner?: string;
  status?: string;
  blockers?: string;
  next_action?: string;
}

/** Checks the board's rules for a change, and returns the edited text (one row, and Last updated). */
export function editRow(
  text: string,
  board: Board,
  ref: string,
  requested: RowChange,
  today: string,
): string {
  const row = findRow(board, ref);
  const given: RowChange = {};
  for (const key of ['owner', 'status', 'blockers', 'next_action'] as const) {
    const value = requested[key];
    if (value !== undefined)
      given[key] = documentValue(`board row ${ref}`, key.replace('_', ' '), value, 'cell');
  }
  const change = given;
  const next = { ...row, ...change };
  if (
    change.owner !== undefined &&
    !/^(arch|infra|runner):[A-Za-z0-9._-]+$|^unassigned$/.test(change.owner)
  ) {
    throw new HutError(
      'INPUT',
      `owner ${JSON.stringify(change.owner)} must be <role>:<id> (arch, infra or runner), e.g. runner:codex`,
    );
  }
  if (!(STATUSES as readonly string[]).includes(next.status))
    throw new HutError('INPUT', `status must be one of ${STATUSES.join(', ')}`);
  if (
    next.status === 'in_progress' &&
    (next.owner.endsWith(':tbd') || next.owner === 'unassigned')
  ) {
    throw new HutError(
      'INPUT',
      `${ref} cannot be in_progress while its owner is ${next.owner}: claim it first`,
    );
  }
  if (next.status === 'blocked' && (!next.blockers || next.blockers === 'none')) {
    throw new HutError('INPUT', `${ref} blocked needs its blockers (--blockers 'DEP:…')`);
  }
  if (
    change.status === 'done' &&
    !/`[^`]+`|evidence/i.test(`${next.next_action} ${next.extra.join(' ')}`)
  ) {
    throw new HutError(
      'INPUT',
      `${ref} done needs evidence: name it in --next-action (a backticked path or SHA)`,
    );
  }
  const lines = text.split('\n');
  // The cells this edit does not own stay exactly as written (`WS9` stays `WS9`).
  const written = tableCells(lines[row.line - 1]!);
  const cells = [
    written[0] ?? next.goal,
    written[1] ?? `${next.ws}: ${next.title}`,
    next.owner,
    next.status,
    next.blockers,
    next.next_action,
    ...next.extra,
  ];
  lines[row.line - 1] = `| ${cells.join(' | ')} |`;
  setLastUpdated(lines, board, today);
  return lines.join('\n');
}

/** Writes `today` into the board's `Last updated:` line, keeping the rest of the line as it is. */
function setLastUpdated(lines: string[], board: Board, today: string): void {
  if (!board.lastUpdated) return;
  const at = board.lastUpdated.line - 1;
  lines[at] = lines[at]!.replace(
    /^(Last updated:[ \t]*)(.*?)([ \t]*)$/,
    (_, key, value, tail) => `${value ? key : 'Last updated: '}${today}${tail}`,
  );
}

/**
 * The board after a new handoff entry of `today`: its `Last updated:` line moves up to that day
 * (hutctl's lint flags a board older than the newest entry); nothing else changes.
 */
export function touchLastUpdated(text: string, where: string, today: string): string {
  const board = parseBoard(text, where);
  if (!board.lastUpdated || board.lastUpdated.value >= today) return text;
  const lines = text.split('\n');
  setLastUpdated(lines, board, today);
  return lines.join('\n');
}
