/**
 * `hil surface --update-docs`: the outcomes recorded where the team keeps them — one handoff
 * entry at the top of the handoff log's entries (newest first, the 9-field form), and the slot
 * rows of the HUT inventory table (`| Slot ID | Serial Path | Platform Profile | Status | Notes |`).
 * Only those lines change; every other byte of both files stays as it was.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ACTIVE_GOALS, editDocument, HANDOFF_LOG, insertHandoff } from '../docs/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import type { HilResult } from './run.ts';

const SLOT_HEADER =
  /^\|\s*Slot ID\s*\|\s*Serial Path\s*\|\s*Platform Profile\s*\|\s*Status\s*\|\s*Notes\s*\|\s*$/;

export interface DocsUpdate {
  handoff_log: string;
  handoff_line: string;
  inventory: string | null;
  rows: number;
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
  const logPath = join(root, HANDOFF_LOG);
  const when = (options.now ?? new Date()).toISOString();
  const stamp = `${when.slice(0, 10)} ${when.slice(11, 16)} UTC`;
  const sha = results[0]?.commit_sha ?? 'unknown';
  const outcomes = results
    .map(
      (r) =>
        `${r.slot} ${r.status}${r.status === 'pass' ? '' : ` (${r.reason.replaceAll('|', '/')})`}`,
    )
    .join(', ');
  const evidence = results.map((r) => `\`${r.evidence[0]}\``).join(', ');
  const failing = results.filter((r) => r.status !== 'pass');
  const summary = `executor=${options.executor} HW-BOOT-001 surfacing for \`${sha.slice(0, 12)}\` on lane local-hil: ${outcomes}; evidence ${evidence}`;
  const next =
    failing.length === 0
      ? 'record the next hardware test for follow-up execution'
      : `investigate ${failing.map((r) => r.slot).join(', ')} and re-run \`hutctl hil surface --sha ${sha.slice(0, 12)}\``;
  const line = [
    stamp,
    options.agent,
    options.goal,
    'runner-live',
    'execute',
    'no',
    summary,
    next,
    'none',
  ].join(' | ');

  await editDocument(logPath, (text) => insertHandoff(text, line, logPath));

  const inventory = findInventory(root);
  let rows = 0;
  if (inventory) {
    const text = readFileSync(inventory, 'utf8');
    const updated = updateSlotRows(text, results, options.slotSerial);
    rows = updated.rows;
    if (updated.text !== text) await writeFileAtomic(inventory, updated.text);
  }
  return {
    handoff_log: logPath,
    handoff_line: line,
    inventory: inventory ? relative(root, inventory) : null,
    rows,
  };
}

function findInventory(root: string): string | null {
  const dir = join(root, ACTIVE_GOALS);
  if (!existsSync(dir)) return null;
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.md')) continue;
    const path = join(dir, name);
    if (
      readFileSync(path, 'utf8')
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
  const cell = (row: string) => row.split('|')[1]?.trim() ?? '';
  const rowFor = (r: HilResult) =>
    `| ${r.slot} | \`${serial(r.slot)}\` | ${r.platform ?? '-'} | ${r.status} | HW-BOOT-001 \`${r.commit_sha.slice(0, 12)}\` ${r.started_utc}: ${r.reason.replaceAll('|', '/')}; evidence \`${r.evidence[0]?.split('/').at(-1)}\` |`;
  const kept = body.filter((row) => cell(row) !== 'pending');
  for (const r of results) {
    const at = kept.findIndex((row) => cell(row) === r.slot);
    if (at >= 0) kept[at] = rowFor(r);
    else kept.push(rowFor(r));
  }
  lines.splice(header + 2, body.length, ...kept);
  return { text: lines.join('\n'), rows: results.length };
}
