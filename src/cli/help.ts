/**
 * Examples on help pages. Each command lists at least one; they are kept on the command as well
 * as printed after its help, so the man page and the help tests read the same list.
 */
import type { Command } from 'commander';

export interface Example {
  /** The command line, starting with `hutctl`. */
  command: string;
  /** What it does, in a few words. */
  says: string;
}

const EXAMPLES = new WeakMap<Command, Example[]>();

/** Adds examples to `command`'s help (after its options) and returns the command. */
export function withExamples(command: Command, examples: Array<[string, string]>): Command {
  const list = examples.map(([line, says]) => ({ command: line, says }));
  EXAMPLES.set(command, [...(EXAMPLES.get(command) ?? []), ...list]);
  const width = Math.min(56, Math.max(...list.map((e) => e.command.length)));
  const lines = list.map((e) =>
    e.command.length > width
      ? `  ${e.command}\n  ${' '.repeat(width)}  # ${e.says}`
      : `  ${e.command.padEnd(width)}  # ${e.says}`,
  );
  return command.addHelpText('after', `\nExamples:\n${lines.join('\n')}`);
}

/** The examples given to `command` (empty when none). */
export function examplesOf(command: Command): readonly Example[] {
  return EXAMPLES.get(command) ?? [];
}
