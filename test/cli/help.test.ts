/**
 * Help pages teach: every command says what it does in one line, every argument and option says
 * what it is, and every command that runs shows how, with examples that are real invocations.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Argument, Command, Option } from 'commander';
import { examplesOf } from '../../src/cli/help.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { runCli } from '../support/cli.ts';

interface Node {
  command: Command;
  /** The words after `hutctl`, e.g. `vm usb attach`. */
  path: string;
}

/** Every command a user can see, with its path (a hidden command has no help page to teach). */
function walk(command: Command, path: string[] = []): Node[] {
  return [
    { command, path: path.join(' ') },
    ...command.commands
      .filter((sub) => !(sub as unknown as { _hidden: boolean })._hidden)
      .flatMap((sub) => walk(sub, [...path, sub.name()])),
  ];
}

/** Whether running the command does something (it has an action, or it is a leaf). */
function runs(command: Command): boolean {
  const handler = (command as unknown as { _actionHandler: unknown })._actionHandler;
  return handler != null || command.commands.length === 0;
}

interface Word {
  text: string;
  /** An unquoted `|`, `&&`, `<` or `>`: the shell's, not the command's. */
  operator: boolean;
}

/** Splits a command line as sh would, for what these examples use: quotes and a few operators. */
function words(line: string): Word[] {
  const out: Word[] = [];
  let word: string | null = null;
  const end = () => {
    if (word !== null) out.push({ text: word, operator: false });
    word = null;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const close = line.indexOf(c, i + 1);
      assert.ok(close > i, `unbalanced ${c} in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, close);
      i = close;
    } else if (c === ' ') end();
    else if (c === '|' || c === '<' || c === '>') {
      end();
      out.push({ text: c, operator: true });
    } else if (c === '&' && line[i + 1] === '&') {
      end();
      out.push({ text: '&&', operator: true });
      i++;
    } else word = (word ?? '') + c;
  }
  end();
  return out;
}

/** The hutctl commands of a command line (`a | b`, `a && b`), without redirections. */
function commandsOf(line: string): string[][] {
  const all: string[][] = [[]];
  const list = words(line);
  for (let i = 0; i < list.length; i++) {
    const w = list[i]!;
    if (!w.operator) all.at(-1)!.push(w.text);
    else if (w.text === '<' || w.text === '>')
      i++; // the file
    else all.push([]);
  }
  return all;
}

const takesValue = (option: Option) => option.required || option.optional;

/**
 * Checks one hutctl command line against the tree: the command it names runs, its options are
 * its own or the root's, and it has as many arguments as the command takes. Returns its path.
 */
function checkCommandLine(root: Command, argv: string[], example: string): string {
  assert.equal(argv[0], 'hutctl', `not a hutctl command line: ${example}`);
  let command = root;
  let at = 1;
  for (; at < argv.length; at++) {
    const sub = command.commands.find((c) => c.name() === argv[at]);
    if (!sub) break;
    command = sub;
  }
  const path = argv.slice(1, at).join(' ');
  assert.ok(runs(command) && command !== root, `'hutctl ${path}' does not run: ${example}`);
  const options = [...command.options, ...root.options];
  const find = (flag: string) => options.find((o) => o.long === flag || o.short === flag);
  let positional = 0;
  for (; at < argv.length; at++) {
    const arg = argv[at]!;
    if (arg === '--') {
      positional += argv.length - at - 1;
      break;
    }
    if (arg.startsWith('-') && arg !== '-') {
      const flag = arg.split('=')[0]!;
      const option = find(flag);
      assert.ok(
        option || flag === '--help' || flag === '-h',
        `${flag} is not an option of 'hutctl ${path}' (nor a global one): ${example}`,
      );
      if (option && takesValue(option) && !arg.includes('=')) at++;
    } else positional++;
  }
  const args: readonly Argument[] = command.registeredArguments;
  const required = args.filter((a) => a.required).length;
  assert.ok(
    positional >= required,
    `'hutctl ${path}' takes ${required} argument(s), the example gives ${positional}: ${example}`,
  );
  if (!args.some((a) => a.variadic))
    assert.ok(
      positional <= args.length,
      `'hutctl ${path}' takes at most ${args.length} argument(s), the example gives ${positional}: ${example}`,
    );
  return path;
}

test('every command has a one-line description, and every argument and option one too', async () => {
  const nodes = walk(await buildProgram());
  assert.ok(nodes.length > 70, `only ${nodes.length} commands registered`);
  const problems: string[] = [];
  for (const { command, path } of nodes) {
    const name = `hutctl ${path}`.trim();
    const description = command.description();
    if (description.trim() === '') problems.push(`${name}: no description`);
    if (description.includes('\n')) problems.push(`${name}: the description is not one line`);
    for (const argument of command.registeredArguments)
      if (argument.description.trim() === '')
        problems.push(`${name} <${argument.name()}>: no description`);
    for (const option of command.options)
      if (option.description.trim() === '')
        problems.push(`${name} ${option.flags}: no description`);
  }
  assert.deepEqual(problems, []);
});

test('every command that runs has 1 to 3 examples, each a real invocation of it', async () => {
  const root = await buildProgram();
  const problems: string[] = [];
  for (const { command, path } of walk(root)) {
    const examples = examplesOf(command);
    if (!runs(command)) {
      if (examples.length) problems.push(`hutctl ${path} does not run, yet has examples`);
      continue;
    }
    if (examples.length < 1 || examples.length > 3)
      problems.push(`hutctl ${path} has ${examples.length} examples (1 to 3, please)`);
    for (const { command: line, says } of examples) {
      if (says.trim() === '' || says.includes('\n')) problems.push(`${line}: say what it does`);
      try {
        const paths = commandsOf(line).map((argv) => checkCommandLine(root, argv, line));
        if (!paths.includes(path))
          problems.push(`an example of 'hutctl ${path}' must run it: ${line}`);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the checker refuses an example with a foreign option or a missing argument', async () => {
  const root = await buildProgram();
  const check = (line: string) =>
    commandsOf(line).map((argv) => checkCommandLine(root, argv, line));
  assert.deepEqual(check('hutctl slot run hut-01 -- esptool.py --port {port} flash_id'), [
    'slot run',
  ]);
  assert.deepEqual(
    check("hutctl job new --role runner --lock-key k -- 'a | b' | hutctl job run -"),
    ['job new', 'job run'],
  );
  assert.throws(() => check('hutctl power cycle hut-01 --now'), /--now is not an option/);
  assert.throws(() => check('hutctl power cycle'), /takes 1 argument/);
  assert.throws(() => check('hutctl power hut-01'), /does not run/);
  assert.throws(() => check('ls | hutctl job run -'), /not a hutctl command line/);
});

test('the built CLI prints the examples on a help page', async () => {
  for (const args of [
    ['slot', 'run', '--help'],
    ['threads', 'show', '--help'],
  ]) {
    const { code, stdout } = await runCli(args);
    assert.equal(code, 0, `hutctl ${args.join(' ')}`);
    assert.match(stdout, /\nExamples:\n {2}hutctl /, `hutctl ${args.join(' ')}`);
    assert.match(stdout, new RegExp(`\\n {2}hutctl ${args[0]} ${args[1]} `));
  }
});
