/**
 * The handoff log: entries inside the fenced block after `Entries:`, newest first, in the
 * 9-field form `ts | agent | goal/ws | context | action_type | operator_required | summary | next |
 * blocker` or the legacy 6-field form `ts | agent | goal/ws | summary | next | blocker`. Reading
 * never rewrites; adding inserts one line and leaves every other byte as it was.
 */
import { HutError } from '../errors/index.ts';
import { redact } from '../secrets/index.ts';
import { type EvidenceRef, evidenceRefs, type ShaRef, shaRefs } from './refs.ts';
import { valueProblem } from './values.ts';

export const CONTEXTS = ['arch-local', 'infra-live', 'runner-live'] as const;
export const ACTION_TYPES = ['scaffold', 'delegate', 'execute', 'replan'] as const;

export interface HandoffEntry {
  /** 1-based line number in the file. */
  line: number;
  raw: string;
  form: 'v2' | 'legacy' | 'malformed';
  timestamp: string;
  /** The instant, when the timestamp parses. */
  utc: string | null;
  agent: string;
  goal: string;
  context: string | null;
  action_type: string | null;
  operator_required: string | null;
  summary: string;
  next_action: string;
  blocker: string;
  /** `key=value` tags at the start of the summary (executor, ticket_id, thread_ref, ...). */
  tags: Record<string, string>;
  /** Commit SHAs the summary names, in any of the written forms. */
  shas: ShaRef[];
  /** Evidence files the summary names, with their timestamps as UTC instants. */
  evidence: EvidenceRef[];
}

/** Where the entries are: the lines between the fence after `Entries:` and its closing fence. */
function entriesBlock(lines: string[], where: string): { open: number; close: number } {
  const entries = lines.findIndex((l) => l.trim() === 'Entries:');
  const open =
    entries < 0 ? -1 : lines.findIndex((l, i) => i > entries && l.trim().startsWith('```'));
  const close = open < 0 ? -1 : lines.findIndex((l, i) => i > open && l.trim().startsWith('```'));
  if (open < 0 || close < 0) {
    throw new HutError(
      'INPUT',
      `${where}: no fenced block after 'Entries:' (the handoff log's entries); the file was left untouched`,
    );
  }
  return { open, close };
}

/** Leading `key=value` tokens of a summary; a backticked `executor=…` inside prose is not a tag. */
export function summaryTags(summary: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const token of summary.split(' ')) {
    const match = /^([a-z_]+)=(\S+)$/.exec(token);
    if (!match) break;
    tags[match[1]!] = match[2]!;
  }
  return tags;
}

export function parseHandoffLog(text: string, where: string): HandoffEntry[] {
  const lines = text.split('\n');
  const { open, close } = entriesBlock(lines, where);
  const out: HandoffEntry[] = [];
  for (let i = open + 1; i < close; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const f = raw.split(' | ');
    const ts = f[0] ?? '';
    const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}) UTC$/.exec(ts);
    const base = {
      line: i + 1,
      raw,
      timestamp: ts,
      utc: m ? `${m[1]}T${m[2]}:${m[3]}:00Z` : null,
      agent: f[1] ?? '',
      goal: f[2] ?? '',
      shas: shaRefs(raw),
      evidence: evidenceRefs(raw),
    };
    if (f.length === 9 || f.length === 8) {
      const summary = f[6] ?? '';
      out.push({
        ...base,
        form: 'v2',
        context: f[3]!,
        action_type: f[4]!,
        operator_required: f[5]!,
        summary,
        next_action: f[7] ?? '',
        blocker: f[8] ?? '',
        tags: summaryTags(summary),
      });
    } else if (f.length === 6 || f.length === 5) {
      out.push({
        ...base,
        form: 'legacy',
        context: null,
        action_type: null,
        operator_required: null,
        summary: f[3]!,
        next_action: f[4]!,
        blocker: f[5] ?? '',
        tags: summaryTags(f[3]!),
      });
    } else {
      out.push({
        ...base,
        form: 'malformed',
        context: null,
        action_type: null,
        operator_required: null,
        summary: raw,
        next_action: '',
        blocker: '',
        tags: {},
      });
    }
  }
  return out;
}

/**
 * Puts `line` first among the entries (newest first), and checks that the log then reads as one
 * more entry — that one — before all the others, unchanged.
 */
export function insertHandoff(text: string, line: string, where: string): string {
  const lines = text.split('\n');
  const { open } = entriesBlock(lines, where);
  lines.splice(open + 1, 0, line);
  const after = lines.join('\n');
  const was = parseHandoffLog(text, where);
  const now = parseHandoffLog(after, where);
  if (
    now.length !== was.length + 1 ||
    now[0]?.raw !== line ||
    now.some((entry, i) => i > 0 && entry.raw !== was[i - 1]!.raw)
  ) {
    throw new HutError(
      'INPUT',
      `${where}: the new entry would change how the log's other entries read; the file was left untouched`,
    );
  }
  return after;
}

export interface NewHandoff {
  timestamp?: Date;
  agent: string;
  goal: string;
  context: string;
  action_type: string;
  operator_required: string;
  summary: string;
  next_action: string;
  blocker?: string;
  tags?: Record<string, string>;
}

/** Validates and formats a new entry; `ownerOf` gives the board owner of a goal/ws, if any. */
export function formatHandoff(entry: NewHandoff, ownerOf: (goal: string) => string | null): string {
  const problems: string[] = [];
  // First what would break the log's structure: one validator for every value written.
  const values: Array<[string, string]> = [
    ['agent', entry.agent],
    ['goal', entry.goal],
    ['context', entry.context],
    ['action_type', entry.action_type],
    ['operator_required', entry.operator_required],
    ['summary', entry.summary],
    ['next action', entry.next_action],
    ['blocker', entry.blocker ?? 'none'],
    ...Object.entries(entry.tags ?? {}).flatMap(
      ([k, v]): Array<[string, string]> => [
        ['tag name', k],
        [`tag ${k}`, v],
      ],
    ),
  ];
  for (const [name, value] of values) {
    const problem = valueProblem(value, 'field');
    if (problem) problems.push(`${name} ${problem}`);
  }
  if (!/^(arch|infra|runner):[A-Za-z0-9._-]+$/.test(entry.agent))
    problems.push(
      `agent ${JSON.stringify(entry.agent)} must be <role>:<id> with role arch, infra or runner (e.g. arch:codex)`,
    );
  if (!(CONTEXTS as readonly string[]).includes(entry.context))
    problems.push(`context must be one of ${CONTEXTS.join(', ')}`);
  if (!(ACTION_TYPES as readonly string[]).includes(entry.action_type))
    problems.push(`action_type must be one of ${ACTION_TYPES.join(', ')}`);
  if (entry.operator_required !== 'yes' && entry.operator_required !== 'no')
    problems.push('operator_required must be yes or no');
  // The team's goals: GOAL-001/WS9, GOAL-002, governance/ownership, GOAL-001/WS4-WS5 — one word.
  if (!/^[A-Za-z0-9][A-Za-z0-9._/+-]*$/.test(entry.goal))
    problems.push(
      `goal/workstream ${JSON.stringify(entry.goal)} must be one word of letters, digits and . _ / + -, e.g. GOAL-001/WS9`,
    );
  const tags = { ...entry.tags };
  for (const [key, value] of Object.entries(tags)) {
    if (!/^[a-z_]+$/.test(key) || !/^\S+$/.test(value))
      problems.push(`tag ${key}=${value} must be key=value without spaces`);
  }
  if (entry.action_type === 'execute' && !tags.executor)
    problems.push('an execute entry needs executor=remote_codex or executor=ssh_direct');
  if (tags.executor && tags.executor !== 'remote_codex' && tags.executor !== 'ssh_direct')
    problems.push('executor must be remote_codex or ssh_direct');
  const owner = ownerOf(entry.goal);
  if (
    entry.action_type === 'execute' &&
    owner?.endsWith(':agent') &&
    tags.executor !== 'ssh_direct'
  ) {
    problems.push(
      `the board owner of ${entry.goal} is ${owner}: an <role>:agent proxy must be logged with executor=ssh_direct`,
    );
  }
  for (const [name, value] of [
    ['summary', entry.summary],
    ['next action', entry.next_action],
    ['blocker', entry.blocker ?? 'none'],
  ] as const) {
    if (!value.trim()) problems.push(`${name} may not be empty`);
  }
  if (problems.length > 0)
    throw new HutError(
      'INPUT',
      `handoff entry: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`,
      { details: problems },
    );
  const when = (entry.timestamp ?? new Date()).toISOString();
  const tagText = Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const fields = [
    `${when.slice(0, 10)} ${when.slice(11, 16)} UTC`,
    entry.agent,
    entry.goal,
    entry.context,
    entry.action_type,
    entry.operator_required,
    // No secret hutctl knows of goes into the team's log.
    redact(tagText ? `${tagText} ${entry.summary}` : entry.summary),
    redact(entry.next_action),
    redact(entry.blocker ?? 'none'),
  ];
  const line = fields.join(' | ');
  // The line must read back as exactly these nine fields.
  const back = line.split(' | ');
  if (back.length !== fields.length || back.some((f, i) => f !== fields[i]))
    throw new HutError('INPUT', 'handoff entry: the fields would not read back as written');
  return line;
}
