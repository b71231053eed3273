/**
 * Delegation packets: Markdown prompts for a remote role's Codex, in
 * `coordination/delegations/GOAL-nnn_WSn_<role>_<slug>_packet.md`. The H1 names the target
 * (`# GOAL-001 / WS8 Runner Handshake Packet (runner:codex)`), an optional `thread_ref=` line
 * follows it, and blocker packets say so in their file name.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HutError, quoteValue } from '../errors/index.ts';
import { FileReadError, readTextFile } from '../files/index.ts';
import { DOCUMENT_MAX_BYTES } from './limits.ts';
import { documentValue } from './values.ts';

export interface Packet {
  file: string;
  goal: string;
  ws: string;
  title: string;
  target: string;
  thread_ref: string | null;
  blocker: boolean;
}

export function parsePacket(file: string, text: string): Packet | null {
  const h1 = /^# (GOAL-\d{3}) \/ (WS\d+) (.+) \((\w+:\w+)\)\s*$/m.exec(text);
  if (!h1) return null;
  return {
    file,
    goal: h1[1]!,
    ws: h1[2]!,
    title: h1[3]!,
    target: h1[4]!,
    // The whole rest of the line: a value with spaces is checked (and refused), not cut short.
    thread_ref: /^thread_ref=(.*?)\s*$/m.exec(text)?.[1] || null,
    blocker: /_blocker_/.test(file),
  };
}

/** A template's placeholder (`thread_ref=...`, `thread_ref=<value>`): it names no thread. */
function isPlaceholderRef(value: string): boolean {
  return value === '...' || value.startsWith('<');
}

/**
 * The thread a packet names: the value of its `thread_ref=` lines, placeholders aside, or null.
 * Lines that say the same are one name; two that differ are refused, naming both, since which
 * thread the packet continues would otherwise depend on line order.
 */
export function packetThreadRef(file: string, text: string): string | null {
  const found: Array<{ value: string; line: number }> = [];
  text.split('\n').forEach((line, i) => {
    const value = /^thread_ref=(.*?)\s*$/.exec(line)?.[1];
    if (value && !isPlaceholderRef(value)) found.push({ value, line: i + 1 });
  });
  const first = found[0];
  const other = found.find((f) => f.value !== first?.value);
  if (first && other)
    throw new HutError(
      'INPUT',
      `${file}: two thread_ref= lines name different threads: ${quoteValue(first.value)} (line ${first.line}) and ${quoteValue(other.value)} (line ${other.line}); nothing was run`,
      {
        hint: 'keep the one line the packet means (or name the thread with --thread <thread_ref>)',
      },
    );
  return first?.value ?? null;
}

/**
 * The packets in `dir` (`*_packet.md`, by name; none when there is no such directory), and why
 * each file that could not be read was skipped: a FIFO, a device or a huge file is not waited on.
 */
export function listPackets(dir: string): { packets: Packet[]; skipped: string[] } {
  const packets: Packet[] = [];
  const skipped: string[] = [];
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('_packet.md')) : [];
  for (const file of files.sort()) {
    let text: string;
    try {
      text = readTextFile(join(dir, file), DOCUMENT_MAX_BYTES);
    } catch (error) {
      if (!(error instanceof FileReadError)) throw error;
      skipped.push(error.message);
      continue;
    }
    const packet = parsePacket(file, text);
    if (packet) packets.push(packet);
  }
  return { packets, skipped };
}

export interface NewPacket {
  goal: string;
  ws: string;
  role: 'infra' | 'runner';
  title: string;
  slug: string;
  threadRef: string;
  objective: string;
  tasks: string[];
  completion: string[];
  repo?: string;
  blocker?: boolean;
}

export function packetFileName(p: NewPacket): string {
  return `${p.goal}_${p.ws}_${p.blocker ? 'blocker_' : ''}${p.role}_${p.slug}_packet.md`;
}

export function renderPacket(p: NewPacket): string {
  if (!/^GOAL-\d{3}$/.test(p.goal) || !/^WS\d+$/.test(p.ws))
    throw new HutError('INPUT', 'expected --goal GOAL-nnn/WSn');
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(p.slug))
    throw new HutError(
      'INPUT',
      `slug ${JSON.stringify(p.slug)}: lower-case letters, digits, '-' and '_'`,
    );
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(p.threadRef))
    throw new HutError(
      'INPUT',
      `thread_ref ${JSON.stringify(p.threadRef)}: letters, digits, '.', '_', '-'`,
    );
  if (p.tasks.length === 0) throw new HutError('USAGE', 'a packet needs at least one --task');
  const line = (name: string, value: string) => documentValue('packet', name, value, 'line');
  line('title', p.title);
  line('goal text', p.objective);
  for (const task of p.tasks) line('task', task);
  for (const done of p.completion) line('completion criterion', done);
  if (p.repo !== undefined) line('repo', p.repo);
  const repo = p.repo ?? `the ${p.role} role repository`;
  return [
    `# ${p.goal} / ${p.ws} ${p.title} (${p.role}:codex)`,
    '',
    `thread_ref=${p.threadRef}`,
    '',
    `Goal: ${p.objective}`,
    '',
    'Hard rules:',
    `- execute inside ${repo} only`,
    '- do not leak secrets into logs, repo files, or handoff summaries',
    '- completion requires pushed commit SHA(s), not local commits only',
    '',
    '## Tasks',
    '',
    ...p.tasks.map((t, i) => `${i + 1}. ${t}`),
    '',
    '## Completion Criteria',
    '',
    ...(p.completion.length
      ? p.completion
      : ['every task above is done, committed and pushed']
    ).map((c) => `- ${c}`),
    '',
    '## Report Back (to arch)',
    '',
    '- pushed commit SHA(s)',
    `- evidence paths (\`${p.role}_*\` names, UTC timestamps)`,
    '- append a handoff log line in your role repository with:',
    `  - \`context=${p.role}-live\`, \`action_type=execute\`, \`operator_required=yes|no\``,
    `  - \`thread_ref=${p.threadRef}\``,
    '  - the pushed SHA(s), or the remaining blocker',
    '',
  ].join('\n');
}
