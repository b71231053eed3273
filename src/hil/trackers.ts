/**
 * GOAL-002 WS4, "tracker and matrix sync": after `hil surface --update-docs`, the team's test
 * worklist (`integration_test_worklist.md`: the test's row in the Priority Work Queue, and a line
 * at the top of the Activity Log) and the hardware matrix (`HARDWARE_TEST_MATRIX.md`: a Slot
 * Coverage table, one row per slot) show the same slot-level reality as the GOAL-002 slot table.
 * Each is a lossless edit of only those lines.
 */
import { tableCells } from '../docs/index.ts';
import type { HilResult } from './run.ts';

export const WORKLIST = 'documentation/agents/integration_test_worklist.md';
export const MATRIX = 'documentation/HARDWARE_TEST_MATRIX.md';

const QUEUE_HEADER = /^\|\s*ID\s*\|\s*Priority\s*\|\s*Status\s*\|\s*Test\s*\|/;
const LOG_HEADER = /^\|\s*Date\s*\|\s*Agent\s*\|\s*Item ID\s*\|\s*Change\s*\|\s*Evidence\s*\|/;
const COVERAGE_HEADING = '## Slot Coverage';
const COVERAGE_HEADER = '| Slot | Platform | Test | Result | Commit | Date | Evidence |';

export interface RunSummary {
  test: string;
  sha: string;
  day: string;
  agent: string;
  /** `hut-01 pass, hut-02 fail (reason)` */
  outcomes: string;
  /** Backticked evidence names, comma-separated. */
  evidence: string;
  next: string;
  /** Cell text for one result (already checked by the caller's document-value rule). */
  cell: (name: string, value: string) => string;
}

/** The worklist status a run means: every slot passed → done; any failure → in_progress; else blocked. */
export function worklistStatus(results: HilResult[]): 'done' | 'in_progress' | 'blocked' {
  if (results.every((r) => r.status === 'pass')) return 'done';
  if (results.some((r) => r.status === 'fail')) return 'in_progress';
  return 'blocked';
}

/** The test's Priority Work Queue row updated and one Activity Log line on top; text unchanged when neither table is there. */
export function updateWorklist(text: string, results: HilResult[], run: RunSummary): string {
  const lines = text.split('\n');
  const queue = lines.findIndex((l) => QUEUE_HEADER.test(l));
  if (queue >= 0) {
    for (let i = queue + 2; i < lines.length && lines[i]!.trim().startsWith('|'); i++) {
      const cells = tableCells(lines[i]!);
      if (cells[0] !== run.test) continue;
      const blockers = results
        .filter((r) => r.status === 'blocked')
        .map((r) => `${r.slot} ${r.phase}`)
        .join(', ');
      cells[2] = worklistStatus(results);
      cells[6] = run.day;
      cells[7] = run.evidence;
      cells[8] = run.cell(
        'notes',
        `Context: ${run.test} surfaced by hutctl for \`${run.sha.slice(0, 12)}\` on lane local-hil. Done: ${run.outcomes}. Next: ${run.next}. Risks: none recorded. Blockers: ${blockers || 'none'}.`,
      );
      lines[i] = `| ${cells.join(' | ')} |`;
      break;
    }
  }
  const log = lines.findIndex((l) => LOG_HEADER.test(l));
  if (log >= 0) {
    // "Append-only, newest first": the new line goes right under the delimiter row.
    lines.splice(
      log + 2,
      0,
      `| ${[run.day, run.agent, run.test, run.cell('change', `surfaced on ${results.length} slot(s) for \`${run.sha.slice(0, 12)}\`: ${run.outcomes}`), run.evidence].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** The matrix's Slot Coverage table: each surfaced slot's row replaced or added (the section made once). */
export function updateMatrix(text: string, results: HilResult[], run: RunSummary): string {
  const lines = text.split('\n');
  const rowFor = (r: HilResult) =>
    `| ${[
      r.slot,
      run.cell('platform', r.platform ?? '-'),
      run.test,
      r.status,
      `\`${r.commit_sha.slice(0, 12)}\``,
      run.day,
      `\`${run.cell('evidence', r.evidence[0]?.split('/').at(-1) ?? '-')}\``,
    ].join(' | ')} |`;
  let heading = lines.findIndex((l) => l.trim() === COVERAGE_HEADING);
  if (heading < 0) {
    // A new section before the platform notes (or at the end), as the team's layout reads.
    let at = lines.findIndex((l) => /^## Platform-Specific Focus/.test(l));
    if (at < 0) at = lines.length;
    lines.splice(
      at,
      0,
      COVERAGE_HEADING,
      '',
      'Which slot last ran which hardware test, kept by `hutctl hil surface --update-docs`.',
      '',
      COVERAGE_HEADER,
      `|${' --- |'.repeat(7)}`,
      '',
    );
    heading = at;
  }
  const header = lines.findIndex((l, i) => i > heading && l.startsWith('| Slot | Platform |'));
  if (header < 0) return lines.join('\n');
  let end = header + 2;
  while (end < lines.length && lines[end]!.trim().startsWith('|')) end++;
  const rows = lines.slice(header + 2, end);
  for (const r of results) {
    const at = rows.findIndex((row) => {
      const cells = tableCells(row);
      return cells[0] === r.slot && cells[2] === run.test;
    });
    if (at >= 0) rows[at] = rowFor(r);
    else rows.push(rowFor(r));
  }
  lines.splice(header + 2, end - header - 2, ...rows);
  return lines.join('\n');
}
