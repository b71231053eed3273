/**
 * `hil surface --update-docs`: the outcomes recorded where the team keeps them — one handoff
 * entry at the top of the handoff log's entries (newest first, the 9-field form), and the slot
 * rows of the HUT inventory table (`| Slot ID | Serial Path | Platform Profile | Status | Notes |`).
 * Only those lines change; every other byte of both files stays as it was (docs editDocument).
 * Text from the run (a boot log's reason) is flattened to one line before it goes in.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  ACTIVE_GOALS,
  docPaths,
  documentValue,
  editDocument,
  flattenValue,
  formatHandoff,
  insertHandoff,
  readDocument,
  touchLastUpdated,
} from '../docs/index.ts';
import type { HilResult } from './run.ts';
import { MATRIX, type RunSummary, updateMatrix, updateWorklist, WORKLIST } from './trackers.ts';

const SLOT_HEADER =
  /^\|\s*Slot ID\s*\|\s*Serial Path\s*\|\s*Platform Profile\s*\|\s*Status\s*\|\s*Notes\s*\|\s*$/;

export interface DocsUpdate {
  handoff_log: string;
  handoff_line: string;
  inventory: string | null;
  rows: number;
  /** The worklist and hardware matrix brought in step (repository-relative). */
  trackers: string[];
}

export async function recordSurface(
  root: string,
  results: HilResult[],
  options: {
    agent: string;
    executor: string;
    goal: string;
    slotSerial: (slot: string) => string;
    now?: Date;
  },
): Promise<DocsUpdate> {
  const paths = docPaths(root);
  const logPath = join(root, paths.handoffLog);
  const sha = flattenValue(results[0]?.commit_sha ?? 'unknown', 'field');
  const outcomes = results
    .map(
      (r) =>
        `${r.slot} ${r.status}${r.status === 'pass' ? '' : ` (${flattenValue(r.reason, 'field')})`}`,
    )
    .join(', ');
  const evidence = results
    .map((r) => `\`${flattenValue(r.evidence[0] ?? '-', 'field')}\``)
    .join(', ');
  const failing = results.filter((r) => r.status !== 'pass');
  const summary = `HW-BOOT-001 surfacing for \`${sha.slice(0, 12)}\` on lane local-hil: ${outcomes}; evidence ${evidence}`;
  const next =
    failing.length === 0
      ? 'record the next hardware test for follow-up execution'
      : `investigate ${failing.map((r) => r.slot).join(', ')} and re-run \`hutctl hil surface --sha ${sha.slice(0, 12)}\``;
  const line = formatHandoff(
    {
      ...(options.now ? { timestamp: options.now } : {}),
      agent: options.agent,
      goal: options.goal,
      context: 'runner-live',
      action_type: 'execute',
      operator_required: 'no',
      summary,
      next_action: next,
      blocker: 'none',
      tags: { executor: options.executor },
    },
    () => null,
  );

  // Each edit is noted for the ledger, as the agent the entry names, with the commit it records.
  const commit = /^[0-9a-f]{7,64}$/.test(sha) ? sha : null;
  const note = (edit: string, what: string) => ({
    note: {
      repository: root,
      edit,
      summary: what,
      by: options.agent,
      command: 'hil surface --update-docs',
      commit_sha: commit,
      evidence: results[0]?.evidence.find((path) => path.endsWith('.json')) ?? null,
    },
  });
  await editDocument(
    logPath,
    (text) => insertHandoff(text, line, logPath),
    note('handoff-entry', `HW-BOOT-001 ${sha.slice(0, 12)}: ${outcomes}`),
  );
  // The board's `Last updated:` follows its newest handoff entry (as hutctl's lint expects).
  const boardPath = join(root, paths.board);
  if (existsSync(boardPath)) {
    const today = (options.now ?? new Date()).toISOString().slice(0, 10);
    await editDocument(
      boardPath,
      (text) => touchLastUpdated(text, paths.board, today),
      note('board-date', `Last updated: ${today}`),
    );
  }

  const inventory = findInventory(root);
  let rows = 0;
  if (inventory) {
    await editDocument(
      inventory,
      (text) => {
        const updated = updateSlotRows(text, results, options.slotSerial);
        rows = updated.rows;
        return updated.text;
      },
      note('inventory', `slot rows: ${outcomes}`),
    );
  }
  // GOAL-002 WS4: the worklist and the hardware matrix say what the slot table says.
  const run: RunSummary = {
    test: results[0]?.test_id ?? 'HW-BOOT-001',
    sha,
    day: (options.now ?? new Date()).toISOString().slice(0, 10),
    agent: options.agent,
    outcomes,
    evidence: results
      .map((r) => `\`${flattenValue(r.evidence[0]?.split('/').at(-1) ?? '-', 'cell')}\``)
      .join(', '),
    next,
    cell: (name, value) => documentValue('tracker row', name, flattenValue(value, 'cell'), 'cell'),
  };
  const trackers: string[] = [];
  for (const [rel, update] of [
    [WORKLIST, updateWorklist],
    [MATRIX, updateMatrix],
  ] as const) {
    const path = join(root, rel);
    if (!existsSync(path)) continue;
    await editDocument(
      path,
      (text) => update(text, results, run),
      note('tracker', `HW-BOOT-001 ${sha.slice(0, 12)}: ${outcomes}`),
    );
    trackers.push(rel);
  }
  return {
    handoff_log: logPath,
    handoff_line: line,
    inventory: inventory ? relative(root, inventory) : null,
    rows,
    trackers,
  };
}

function findInventory(root: string): string | null {
  const dir = join(root, ACTIVE_GOALS);
  if (!existsSync(dir)) return null;
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.md')) continue;
    const path = join(dir, name);
    if (
      readDocument(path)
        .split('\n')
        .some((l) => SLOT_HEADER.test(l))
    )
      return path;
  }
  return null;
}

/** Replaces each surfaced slot's row (or adds it), dropping the `pending` placeholder row. */
export function updateSlotRows(
  text: string,
  results: HilResult[],
  serial: (slot: string) => string,
): { text: string; rows: number } {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => SLOT_HEADER.test(l));
  if (header < 0) return { text, rows: 0 };
  let end = header + 2;
  while (end < lines.length && lines[end]!.trim().startsWith('|')) end++;
  const body = lines.slice(header + 2, end);
  // The table is written in markdownlint's compact style, its delimiter row too.
  lines[header + 1] = `|${' --- |'.repeat(5)}`;
  const slotOf = (row: string) => row.split('|')[1]?.trim() ?? '';
  const cell = (name: string, value: string) =>
    documentValue(`HUT inventory row`, name, flattenValue(value, 'cell'), 'cell');
  const rowFor = (r: HilResult) =>
    `| ${[
      cell('slot', r.slot),
      `\`${cell('serial path', serial(r.slot))}\``,
      cell('platform', r.platform ?? '-'),
      cell('status', r.status),
      cell(
        'notes',
        `HW-BOOT-001 \`${r.commit_sha.slice(0, 12)}\` ${r.started_utc}: ${r.reason}; evidence \`${r.evidence[0]?.split('/').at(-1)}\``,
      ),
    ].join(' | ')} |`;
  const kept = body.filter((row) => slotOf(row) !== 'pending');
  for (const r of results) {
    const at = kept.findIndex((row) => slotOf(row) === r.slot);
    if (at >= 0) kept[at] = rowFor(r);
    else kept.push(rowFor(r));
  }
  lines.splice(header + 2, body.length, ...kept);
  return { text: lines.join('\n'), rows: results.length };
}
