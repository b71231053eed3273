/**
 * `lint docs` (GOAL-003): markdownlint's rules (the library, configured by the repository's
 * `.markdownlint.json` when there is one) plus hutctl's semantic rules for the coordination
 * documents, and a ratchet baseline so CI fails only when findings increase.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Configuration } from 'markdownlint';
import { lint as markdownlint } from 'markdownlint/sync';
import { HutError } from '../errors/index.ts';
import { FileReadError, readTextFile } from '../files/index.ts';
import { type Board, parseBoard } from './board.ts';
import { type GoalDoc, parseGoal } from './goal.ts';
import { ACTION_TYPES, CONTEXTS, type HandoffEntry, parseHandoffLog } from './handoff.ts';
import { parseJsonFile } from './json-file.ts';
import { DOCUMENT_MAX_BYTES } from './limits.ts';
import { parsePacket } from './packets.ts';
import { ACTIVE_GOALS, type DocPaths, docPaths } from './paths.ts';
import { parseTickets } from './tickets.ts';

export interface Finding {
  file: string;
  line: number;
  rule: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
}

/** markdownlint settings when the repository has none: long lines and inline HTML are the team's style. */
const DEFAULT_CONFIG = { default: true, MD013: false, MD033: false, MD041: false };
const OWNER = /^(arch|infra|runner):[A-Za-z0-9._-]+$|^unassigned$/;

export function docFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      // A directory named like a document (`mkdir handoff_log.md`) stands where one should be:
      // linted, it is a `hutctl/unreadable` finding like a FIFO there, not silently nothing.
      if (entry.isDirectory() && !entry.name.endsWith('.md')) walk(rel);
      else if (entry.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('documentation/short-term');
  walk('documentation/agents');
  if (docPaths(root).layout === 'role') walk(docPaths(root).coordination);
  return out.sort();
}

export function lintDocs(root: string, files = docFiles(root)): Finding[] {
  // A document that cannot be read (a FIFO, a device, one over the limit) is a finding of its
  // own, not waited on; the rest are linted.
  const texts: Record<string, string> = {};
  const unreadable: Finding[] = [];
  for (const file of files) {
    try {
      texts[file] = readTextFile(join(root, file), DOCUMENT_MAX_BYTES);
    } catch (error) {
      if (!(error instanceof FileReadError)) throw error;
      const { reason } = error;
      unreadable.push({
        file,
        line: 1,
        rule: 'hutctl/unreadable',
        severity: 'error',
        message: `cannot read: ${reason}`,
      });
    }
  }
  const config = markdownlintConfig(root);
  const findings: Finding[] = [...unreadable];
  const results = markdownlint({ strings: texts, config });
  for (const [file, issues] of Object.entries(results)) {
    for (const issue of issues) {
      findings.push({
        file,
        line: issue.lineNumber,
        rule: issue.ruleNames.join('/'),
        severity: 'error',
        message: `${issue.ruleDescription}${issue.errorDetail ? ` [${issue.errorDetail}]` : ''}`,
      });
    }
  }
  findings.push(...semanticRules(texts, docPaths(root)));
  return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** The repository's `.markdownlint.json(c)`, read like its documents; else hutctl's default. */
function markdownlintConfig(root: string): Configuration {
  for (const name of ['.markdownlint.json', '.markdownlint.jsonc']) {
    const path = join(root, name);
    let text: string;
    try {
      text = readTextFile(path, DOCUMENT_MAX_BYTES);
    } catch (error) {
      if (!(error instanceof FileReadError)) throw error;
      if (error.code === 'ENOENT') continue;
      throw new HutError('INPUT', error.message);
    }
    // Whole-line `//` comments (the .jsonc form) become blanks: a position JSON.parse gives
    // still points into the file.
    const json = text.replace(/^[ \t]*\/\/.*$/gm, (comment) => ' '.repeat(comment.length));
    const hint = { hint: `fix it, or remove it to lint with hutctl's default rules` };
    const value = parseJsonFile(path, json, hint);
    // markdownlint takes any value and fails somewhere inside on one that is not an object.
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new HutError(
        'INPUT',
        `${path}: not a markdownlint configuration: expected a JSON object ({"default": true, …})`,
        hint,
      );
    return value as Configuration;
  }
  return DEFAULT_CONFIG;
}

function semanticRules(texts: Record<string, string>, paths: DocPaths): Finding[] {
  const { board: BOARD, handoffLog: HANDOFF_LOG, tickets: TICKETS } = paths;
  const out: Finding[] = [];
  const add = (
    file: string,
    line: number,
    rule: string,
    severity: Finding['severity'],
    message: string,
  ) => out.push({ file, line, rule, severity, message });
  let board: Board | null = null;
  if (texts[BOARD] !== undefined) {
    try {
      board = parseBoard(texts[BOARD]!, BOARD);
    } catch (error) {
      add(BOARD, 1, 'hutctl/parse', 'error', (error as Error).message);
    }
  }
  let entries: HandoffEntry[] = [];
  if (texts[HANDOFF_LOG] !== undefined) {
    try {
      entries = parseHandoffLog(texts[HANDOFF_LOG]!, HANDOFF_LOG);
    } catch (error) {
      add(HANDOFF_LOG, 1, 'hutctl/parse', 'error', (error as Error).message);
    }
  }
  for (const e of entries) {
    if (e.form === 'legacy') {
      add(
        HANDOFF_LOG,
        e.line,
        'hutctl/legacy-entry',
        'info',
        'legacy 6-field entry: accepted history',
      );
      continue;
    }
    if (e.form === 'malformed') {
      add(
        HANDOFF_LOG,
        e.line,
        'hutctl/entry-fields',
        'error',
        `entry has ${e.raw.split(' | ').length} fields; expected 9`,
      );
      continue;
    }
    if (!(CONTEXTS as readonly string[]).includes(e.context!))
      add(
        HANDOFF_LOG,
        e.line,
        'hutctl/enum',
        'error',
        `context '${e.context}' is not one of ${CONTEXTS.join(', ')}`,
      );
    if (!(ACTION_TYPES as readonly string[]).includes(e.action_type!))
      add(
        HANDOFF_LOG,
        e.line,
        'hutctl/enum',
        'error',
        `action_type '${e.action_type}' is not one of ${ACTION_TYPES.join(', ')}`,
      );
    if (e.operator_required !== 'yes' && e.operator_required !== 'no')
      add(
        HANDOFF_LOG,
        e.line,
        'hutctl/enum',
        'error',
        `operator_required '${e.operator_required}' is not yes or no`,
      );
    if (!/^(arch|infra|runner):[A-Za-z0-9._-]+$/.test(e.agent))
      add(
        HANDOFF_LOG,
        e.line,
        'hutctl/owner-format',
        'warning',
        `agent '${e.agent}' is not <role>:<id>`,
      );
    if (e.action_type === 'execute' && !e.tags.executor)
      add(
        HANDOFF_LOG,
        e.line,
        'hutctl/missing-executor',
        'error',
        'execute entry without executor=remote_codex|ssh_direct',
      );
    for (const name of e.summary.match(/`([^`\s]*\/)?([A-Za-z0-9._-]+\.(?:log|json))`/g) ?? []) {
      const file = name.replaceAll('`', '').split('/').at(-1)!;
      if (!/^(arch|infra|runner)_/.test(file))
        add(
          HANDOFF_LOG,
          e.line,
          'hutctl/evidence-prefix',
          'warning',
          `evidence ${file} has no arch_/infra_/runner_ prefix`,
        );
    }
  }
  if (board) {
    for (const r of board.rows) {
      if (!OWNER.test(r.owner))
        add(
          BOARD,
          r.line,
          'hutctl/owner-format',
          'error',
          `owner '${r.owner}' is not <role>:<id> or unassigned`,
        );
      if (!['pending', 'in_progress', 'blocked', 'done'].includes(r.status))
        add(
          BOARD,
          r.line,
          'hutctl/enum',
          'error',
          `status '${r.status}' is not pending, in_progress, blocked or done`,
        );
      if (r.status === 'in_progress' && (r.owner.endsWith(':tbd') || r.owner === 'unassigned'))
        add(
          BOARD,
          r.line,
          'hutctl/owner-format',
          'error',
          `${r.goal}/${r.ws} is in_progress with owner ${r.owner}`,
        );
    }
    const newest = entries
      .map((e) => e.utc?.slice(0, 10))
      .filter((d): d is string => Boolean(d))
      .sort()
      .at(-1);
    if (board.lastUpdated && newest && board.lastUpdated.value < newest) {
      add(
        BOARD,
        board.lastUpdated.line,
        'hutctl/stale-last-updated',
        'warning',
        `Last updated: ${board.lastUpdated.value} is older than the newest handoff entry (${newest})`,
      );
    }
    out.push(...checklistDrift(texts, board));
    out.push(...packetTargets(texts, board, paths.coordination));
  }
  if (texts[TICKETS] !== undefined) {
    try {
      const seen = new Map<string, number>();
      for (const t of parseTickets(texts[TICKETS]!, TICKETS)) {
        if (seen.has(t.id))
          add(
            TICKETS,
            t.line,
            'hutctl/duplicate-ticket',
            'error',
            `ticket ${t.id} also on line ${seen.get(t.id)}`,
          );
        else seen.set(t.id, t.line);
      }
    } catch {}
  }
  return out;
}

/** A goal whose board rows are all done while its Deliverables Checklist still has open boxes. */
function checklistDrift(texts: Record<string, string>, board: Board): Finding[] {
  const out: Finding[] = [];
  for (const [file, text] of Object.entries(texts)) {
    if (!file.startsWith(`${ACTIVE_GOALS}/GOAL-`)) continue;
    let goal: GoalDoc;
    try {
      goal = parseGoal(text, file);
    } catch {
      continue;
    }
    if (goal.checklist_line === null || goal.checklist.length === 0) continue;
    const checked = goal.checklist.filter((c) => c.checked).length;
    const rows = board.rows.filter((r) => r.goal === goal.id);
    const done = rows.filter((r) => r.status === 'done').length;
    if (done > checked) {
      out.push({
        file,
        line: goal.checklist_line,
        rule: 'hutctl/checklist-drift',
        severity: 'warning',
        message: `checklist says ${checked}/${goal.checklist.length} while the board shows ${done} of ${rows.length} ${goal.id} workstreams done`,
      });
    }
  }
  return out;
}

/** A delegation packet addressed to a different owner than the board's for that workstream. */
function packetTargets(
  texts: Record<string, string>,
  board: Board,
  coordination: string,
): Finding[] {
  const out: Finding[] = [];
  for (const [file, text] of Object.entries(texts)) {
    if (!file.startsWith(`${coordination}/delegations/`) || file.endsWith('README.md')) continue;
    const packet = parsePacket(file, text);
    if (!packet || packet.blocker || !packet.target.endsWith(':codex')) continue;
    const row = board.rows.find((r) => r.goal === packet.goal && r.ws === packet.ws);
    if (row && row.owner !== packet.target && row.owner !== 'unassigned') {
      out.push({
        file,
        line: 1,
        rule: 'hutctl/packet-target',
        severity: 'warning',
        message: `packet targets ${packet.target} but the board owner of ${packet.goal}/${packet.ws} is ${row.owner}`,
      });
    }
  }
  return out;
}

/**
 * The counts by rule a baseline file holds; none when there is no such file. One that cannot be
 * read (a FIFO, a device, too large) is an error naming it: the ratchet would mean nothing. So is
 * one that is not a baseline (not JSON, or no counts), unless it is about to be replaced
 * (`parse: false`, for --update-baseline): then only whether it can be read is asked.
 */
export function readBaseline(
  path: string,
  options: { parse?: boolean } = {},
): Record<string, number> {
  let text: string;
  try {
    text = readTextFile(path, DOCUMENT_MAX_BYTES);
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    if (error.code === 'ENOENT') return {};
    throw new HutError('INPUT', error.message);
  }
  if (options.parse === false) return {};
  const hint = {
    hint: 'fix it, or write it anew from the current findings: hutctl lint docs --update-baseline',
  };
  const value = parseJsonFile(path, text, hint);
  const counts = (value as { counts?: unknown } | null)?.counts;
  if (
    typeof counts !== 'object' ||
    counts === null ||
    Array.isArray(counts) ||
    !Object.values(counts).every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
  )
    throw new HutError(
      'INPUT',
      `${path}: not a lint baseline: expected {"counts": {"<rule>": <count>, …}}`,
      hint,
    );
  return counts as Record<string, number>;
}

/** Counts of errors and warnings by rule: what the ratchet compares. */
export function countByRule(findings: Finding[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) if (f.severity !== 'info') counts[f.rule] = (counts[f.rule] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort());
}

export function ratchet(
  current: Record<string, number>,
  baseline: Record<string, number>,
): string[] {
  return Object.entries(current)
    .filter(([rule, n]) => n > (baseline[rule] ?? 0))
    .map(([rule, n]) => `${rule}: ${baseline[rule] ?? 0} -> ${n}`);
}
