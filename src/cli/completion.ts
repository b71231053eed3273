/**
 * Shell completion. The scripts `hutctl completion bash|zsh|fish` prints are small and the
 * same for every version: on each Tab they ask `hutctl __complete -- <words…>`, which walks the
 * command definitions (so completion never lags behind a new command or option) and reads the
 * values a user means from where they live: slot ids, labels, targets, profiles and VM names
 * from hutctl.yaml, goals and workstreams from the coordination documents.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { docPaths, parseBoard } from '../docs/index.ts';
import { readTextFile } from '../files/index.ts';

/** One answer: the word, and (for zsh and fish) what it is. */
export interface Candidate {
  value: string;
  description?: string;
}

/** The answer meaning "complete a file name here". */
export const FILES = ':files';

/** Values hutctl reads from the config and documents, by what an argument or option names. */
export interface ValueSources {
  slots(): Candidate[];
  labels(): Candidate[];
  targets(): Candidate[];
  profiles(): Candidate[];
  vms(): Candidate[];
  goals(): Candidate[];
  workstreams(): Candidate[];
}

const ROLES: Candidate[] = [
  { value: 'arch', description: 'engineering and coordination' },
  { value: 'infra', description: 'hosts and VMs' },
  { value: 'runner', description: 'CI and hardware execution' },
];

/** Arguments and options whose value is a file or directory. */
const PATH_LIKE =
  /^(file|files|dir|steps|invocation|config|build-dir|junit|summary|evidence-dir|docs|root|store|repo|to|packet|prompt|workdir|port|offset-and-file)$/;

/** What to offer as the value of the argument or option called `name`. */
function valuesFor(name: string, sources: ValueSources): Candidate[] | typeof FILES | null {
  if (name === 'slot') return sources.slots();
  if (name === 'label') return sources.labels();
  if (name === 'target')
    return [{ value: 'local', description: 'this host' }, ...sources.targets()];
  if (name === 'profile') return sources.profiles();
  if (name === 'name') return sources.vms();
  if (name === 'role') return ROLES;
  if (name === 'as' || name === 'contract')
    return ['ws2.invocation.v1', 'ws2.report.v1'].map((value) => ({ value }));
  if (name === 'shell') return ['bash', 'zsh', 'fish'].map((value) => ({ value }));
  if (name === 'GOAL-nnn' || name === 'goal') return sources.goals();
  if (name === 'GOAL-nnn/WSn' || name === 'goal/ws') return sources.workstreams();
  if (PATH_LIKE.test(name)) return FILES;
  return null;
}

/**
 * The candidates for the last of `words` (the words after `hutctl`, the last one being the
 * word under the cursor, possibly empty), or FILES.
 */
export function complete(
  program: Command,
  words: readonly string[],
  sources: ValueSources,
): Candidate[] | typeof FILES {
  const current = words.at(-1) ?? '';
  let command = program;
  let positional = 0;
  let afterDashes = false;
  let wantsValueOf: Option | null = null;
  for (const word of words.slice(0, -1)) {
    if (wantsValueOf) {
      wantsValueOf = null;
      continue;
    }
    if (afterDashes) continue;
    if (word === '--') {
      afterDashes = true;
      continue;
    }
    if (word.startsWith('-') && word !== '-') {
      const option = findOption(command, word.split('=')[0]!);
      if (option && (option.required || option.optional) && !word.includes('=')) {
        wantsValueOf = option;
      }
      continue;
    }
    const sub = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub && positional === 0) command = sub;
    else positional += 1;
  }
  // After `--` come a step's own words: nothing of hutctl's to offer.
  if (afterDashes) return [];
  if (wantsValueOf) return optionValues(wantsValueOf, current, sources);
  if (current.startsWith('-')) {
    const [flag, value] = splitAssignment(current);
    const option = value === null ? null : findOption(command, flag);
    if (option && value !== null) {
      const values = optionValues(option, value, sources);
      return values === FILES ? FILES : values.map((c) => ({ ...c, value: `${flag}=${c.value}` }));
    }
    return matching(
      optionsOf(command).map((o) => ({ value: o.long ?? o.short!, description: o.description })),
      current,
    );
  }
  const subs = command.commands.filter((c) => !(c as unknown as { _hidden: boolean })._hidden);
  if (subs.length > 0 && positional === 0) {
    return matching(
      subs.map((c) => ({ value: c.name(), description: c.description() })),
      current,
    );
  }
  const args = command.registeredArguments;
  const argument = args[positional] ?? (args.at(-1)?.variadic ? args.at(-1) : undefined);
  if (!argument) return [];
  const values = valuesFor(argument.name(), sources);
  if (values === FILES) return FILES;
  return matching(values ?? [], current);
}

function optionValues(option: Option, current: string, sources: ValueSources) {
  if (option.argChoices)
    return matching(
      option.argChoices.map((value) => ({ value })),
      current,
    );
  // `--goal <GOAL-nnn/WSn>` takes a workstream, not a goal: its value's name says which.
  const compound = /<([^>]*\/[^>]*)>/.exec(option.flags)?.[1];
  const values = valuesFor(
    compound ?? option.attributeName().replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`),
    sources,
  );
  if (values === FILES) return FILES;
  return matching(values ?? [], current);
}

function splitAssignment(word: string): [string, string | null] {
  const at = word.indexOf('=');
  return at < 0 ? [word, null] : [word.slice(0, at), word.slice(at + 1)];
}

/** The options a command accepts: its own, then the global ones of every command above it. */
function optionsOf(command: Command): Option[] {
  const all: Option[] = [];
  for (let c: Command | null = command; c; c = c.parent) {
    // --version belongs to hutctl itself, not to each command under it.
    all.push(...c.options.filter((o) => !o.hidden && (c === command || o.long !== '--version')));
  }
  all.push({ long: '--help', description: 'show help' } as Option);
  return all;
}

function findOption(command: Command, flag: string): Option | undefined {
  return optionsOf(command).find((o) => o.long === flag || o.short === flag);
}

function matching(candidates: Candidate[], prefix: string): Candidate[] {
  const seen = new Set<string>();
  return candidates.filter((c) => {
    if (!c.value.startsWith(prefix) || seen.has(c.value)) return false;
    seen.add(c.value);
    return true;
  });
}

/** One line per candidate, `value<TAB>description` when there is one. */
export function formatCandidates(answer: Candidate[] | typeof FILES): string {
  if (answer === FILES) return `${FILES}\n`;
  return answer
    .map((c) =>
      c.description
        ? `${c.value}\t${c.description.replace(/[\s\x00-\x1f\x7f-\x9f]+/g, ' ').trim()}`
        : c.value,
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** A board is a page of Markdown; a Tab reads no more than this of one. */
const BOARD_MAX_BYTES = 4 * 1024 * 1024;

/** Goals (`GOAL-nnn`) and workstreams (`GOAL-nnn/WSn`) found in a repository's documents. */
export function documentValues(root: string | null): Pick<ValueSources, 'goals' | 'workstreams'> {
  const goals = (): Candidate[] => {
    if (root === null) return [];
    try {
      return readdirSync(join(root, 'documentation/short-term/active'))
        .map((f) => /^(GOAL-\d{3})-(.*)\.md$/.exec(f))
        .filter((m) => m !== null)
        .map((m) => ({ value: m[1]!, description: m[2]!.replace(/-/g, ' ') }));
    } catch {
      return [];
    }
  };
  // The board's rows, read as `board` and `gate check` read them (`| GOAL-001 | WS9: title |`):
  // a Tab never waits on a FIFO or reads a file without end, and a broken board offers nothing.
  const workstreams = (): Candidate[] => {
    if (root === null) return [];
    try {
      const board = join(root, docPaths(root).board);
      const text = readTextFile(board, BOARD_MAX_BYTES).replace(/\r\n/g, '\n');
      return parseBoard(text, board)
        .rows.filter((r) => /^GOAL-\d{3}$/.test(r.goal) && /^WS\d+$/.test(r.ws))
        .map((r) => ({
          value: `${r.goal}/${r.ws}`,
          description: [r.title, r.status].filter(Boolean).join(', ') || undefined,
        }))
        .sort((a, b) => a.value.localeCompare(b.value, 'en', { numeric: true }));
    } catch {
      return [];
    }
  };
  return { goals, workstreams };
}
