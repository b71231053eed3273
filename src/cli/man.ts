/**
 * hutctl(1), made from the command definitions: every command's usage, description,
 * arguments, options and examples, as `--help` shows them, plus the environment, files and exit
 * status. `npm run generate` writes it to man/hutctl.1; a test keeps that file current.
 */
import type { Command, Option } from 'commander';
import { examplesOf } from './help.ts';

/** Text made safe for roff: backslashes, a leading dot or quote, and hyphens in words. */
function roff(text: string): string {
  return (
    text
      .replace(/\\/g, '\\e')
      .replace(/-/g, '\\-')
      // Anything past ASCII as groff's named glyph, so the page reads the same without preconv.
      .replace(
        /[^\x00-\x7f]/gu,
        (c) => `\\[u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`,
      )
      .split('\n')
      .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
      .join('\n')
  );
}

const bold = (text: string) => `\\fB${roff(text)}\\fR`;

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function usage(command: Command): string {
  return `${commandPath(command)} ${command.usage()}`.trim();
}

function optionLine(option: Option): string {
  return `.TP\n${roff(option.flags)}\n${roff(option.description)}${
    option.argChoices ? `: ${roff(option.argChoices.join(' | '))}` : ''
  }${
    option.defaultValue !== undefined && typeof option.defaultValue !== 'boolean'
      ? ` (default: ${roff(String(option.defaultValue))})`
      : ''
  }`;
}

function visible(command: Command): Command[] {
  return command.commands.filter((c) => !(c as unknown as { _hidden: boolean })._hidden);
}

function section(command: Command): string[] {
  const out: string[] = [];
  const hasAction = (command as unknown as { _actionHandler: unknown })._actionHandler !== null;
  if (hasAction || command.commands.length === 0) {
    out.push(`.SS "${roff(usage(command))}"`, roff(command.description()));
    for (const argument of command.registeredArguments) {
      if (argument.description) {
        out.push(`.TP\n\\fI${roff(argument.name())}\\fR\n${roff(argument.description)}`);
      }
    }
    for (const option of command.options.filter((o) => !o.hidden)) out.push(optionLine(option));
    const examples = examplesOf(command);
    if (examples.length > 0) {
      out.push('.PP\nExamples:\n.RS\n.nf');
      for (const example of examples)
        out.push(`${roff(example.command)}\n    # ${roff(example.says)}`);
      out.push('.fi\n.RE');
    }
  }
  for (const sub of visible(command)) out.push(...section(sub));
  return out;
}

/** The man page for `program` at `version`. */
export function manPage(program: Command, version: string): string {
  const commands = visible(program);
  const lines = [
    `.TH HUTCTL 1 "" "hutctl ${roff(version)}" "User Commands"`,
    '.SH NAME',
    `hutctl \\- ${roff(
      program
        .description()
        .replace(/:.*$/, '')
        .replace(/^./, (c) => c.toLowerCase()),
    )}`,
    '.SH SYNOPSIS',
    `${bold('hutctl')} [\\fB\\-\\-config\\fR \\fIfile\\fR] [\\fB\\-\\-debug\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]`,
    '.br',
    `${bold('hutctl')} \\fIcommand\\fR \\fB\\-\\-help\\fR`,
    '.SH DESCRIPTION',
    roff(program.description()),
    '.PP',
    'Commands that report take \\fB\\-\\-json\\fR and then print one JSON document on standard output; messages, progress and errors go to standard error.',
    '.SH GLOBAL OPTIONS',
    ...program.options.map(optionLine),
    '.SH COMMANDS',
    ...commands.map((c) => `.TP\n${bold(c.name())}\n${roff(c.description())}`),
    ...commands.flatMap(section),
    '.SH ENVIRONMENT',
    ...[
      ['HUTCTL_CONFIG', 'the hutctl.yaml to use when \\fB\\-\\-config\\fR is not given'],
      [
        'XDG_CONFIG_HOME',
        'hutctl.yaml is looked for in $XDG_CONFIG_HOME/hutctl/ (default ~/.config/hutctl/)',
      ],
      [
        'XDG_STATE_HOME',
        'where state and evidence go when hutctl.yaml does not say (default ~/.local/state/hutctl)',
      ],
      ['XDG_CACHE_HOME', 'the parsed-config cache (default ~/.cache/hutctl)'],
      ['LXD_ENV_FILE', 'the .lxd.env file read for the infra target (default ./.lxd.env)'],
      ['LXD_SOCKET, INCUS_SOCKET', 'the LXD or Incus unix socket for \\fBhutctl vm\\fR'],
      [
        'HUTCTL_KEEPER',
        '\\fBoff\\fR: take locks with flock(1) and start steps with a shell wrapper instead of the keeper',
      ],
      ['NO_COLOR', 'no colour in human output'],
    ].map(([name, what]) => `.TP\n\\fB${roff(name!)}\\fR\n${what}`),
    '.SH FILES',
    '.TP',
    '\\fIhutctl.yaml\\fR',
    'The configuration, the first found of: \\fB\\-\\-config\\fR, $HUTCTL_CONFIG, hutctl.yaml in the current directory or a parent, $XDG_CONFIG_HOME/hutctl/hutctl.yaml, /etc/hutctl/hutctl.yaml. \\fBhutctl config check\\fR says which was used and why.',
    '.TP',
    '\\fI.lxd.env\\fR',
    'The infra target (host, user, key) as the team keeps it.',
    '.SH EXIT STATUS',
    '0 success; 1 the work failed (a step, a test, a check) or a problem of this host or its configuration; 2 bad input or usage, nothing done; 3 blocked by the farm (hil: artifact, device, flash or power); 75 busy (\\fB\\-\\-no\\-wait\\fR, cooldown); 124 timed out; 126 and 127 \\fBexec\\fR could not run or find the program; 130 interrupted or cancelled; 255 a host could not be reached. \\fBjob run\\fR and \\fBslot run\\fR exit 1 when a step fails, with its own status in the report\\(aqs exit_code; \\fBexec\\fR exits with the program\\(aqs. The full table is docs/exit\\-codes.md.',
    '.SH SEE ALSO',
    '\\fBssh\\fR(1), \\fBflock\\fR(1), \\fBesptool\\fR(1), \\fBidf.py\\fR(1)',
    '',
  ];
  return lines.join('\n');
}
