/** `hutctl completion bash|zsh|fish`, and the `__complete` it calls on every Tab. */
import type { Command } from 'commander';
import { HutError } from '../../errors/index.ts';
import { homeOf } from '../../files/index.ts';
import type { Candidate, ValueSources } from '../completion.ts';
import { withExamples } from '../help.ts';

/** The scripts, by shell: each asks `hutctl __complete -- <words…>` for its candidates. */
export const COMPLETION_SCRIPTS = {
  bash: `# bash completion for hutctl                              -*- shell-script -*-
# Install: mkdir -p ~/.local/share/bash-completion/completions &&
#          hutctl completion bash > ~/.local/share/bash-completion/completions/hutctl
_hutctl() {
  local line=\${COMP_LINE:0:COMP_POINT} out item cur prefix
  local -a words
  # The words as typed: bash splits COMP_WORDS at = and :, which --opt=value and role:agent have.
  read -ra words <<<"$line"
  [[ \${#words[@]} -le 1 || $line == *[[:space:]] ]] && words+=("")
  words=("\${words[@]:1}")
  cur=\${words[\${#words[@]}-1]}
  # bash replaces only what follows the last = or :, so that part is what each answer keeps.
  prefix=\${cur%"\${cur##*[=:]}"}
  out=$(hutctl __complete -- "\${words[@]}" 2>/dev/null) || return 0
  COMPREPLY=()
  if [[ $out == :files ]]; then
    compopt -o default 2>/dev/null
    return 0
  fi
  while IFS= read -r item; do
    item=\${item%%$'\\t'*}
    [[ -n $item ]] && COMPREPLY+=("\${item#"$prefix"}")
  done <<<"$out"
}
complete -F _hutctl hutctl
`,
  zsh: `#compdef hutctl
# zsh completion for hutctl
# Install: hutctl completion zsh > "\${fpath[1]}/_hutctl"   (then restart zsh)
_hutctl() {
  local -a lines values
  local line
  lines=("\${(@f)$(hutctl __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ \${lines[1]} == :files ]]; then
    _files
    return
  fi
  for line in "\${lines[@]}"; do
    [[ -z $line ]] && continue
    if [[ $line == *$'\\t'* ]]; then
      values+=("\${\${line%%$'\\t'*}//:/\\\\:}:\${line#*$'\\t'}")
    else
      values+=("\${line//:/\\\\:}")
    fi
  done
  _describe -t values hutctl values
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _hutctl "$@"
else
  compdef _hutctl hutctl
fi
`,
  fish: `# fish completion for hutctl
# Install: mkdir -p ~/.config/fish/completions &&
#          hutctl completion fish > ~/.config/fish/completions/hutctl.fish
function __hutctl_complete
    set -l words (commandline -opc)
    set -e words[1]
    set -l out (hutctl __complete -- $words (commandline -ct) 2>/dev/null)
    if test "$out[1]" = ':files'
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $out
    end
end
complete -c hutctl -f -a '(__hutctl_complete)'
`,
} as const;

/** Where each shell looks for the file, for the help text and the package. */
export const COMPLETION_FILES = {
  bash: 'hutctl.bash',
  zsh: '_hutctl',
  fish: 'hutctl.fish',
} as const;

export function register(program: Command): void {
  withExamples(
    program
      .command('completion')
      .description('print the shell completion script for bash, zsh or fish')
      .argument('<shell>', 'bash | zsh | fish')
      .addHelpText(
        'after',
        `
The script completes commands, options, slot ids, labels, targets, profiles and VM names from
hutctl.yaml, and goals and workstreams from the coordination documents. The .deb installs all
three; from npm, write the one for your shell where it looks:
  bash: ~/.local/share/bash-completion/completions/hutctl
  zsh:  a directory in $fpath, as _hutctl
  fish: ~/.config/fish/completions/hutctl.fish`,
      )
      .action((shell: string) => {
        if (!Object.hasOwn(COMPLETION_SCRIPTS, shell)) {
          throw new HutError('USAGE', `completion: unknown shell "${shell}"`, {
            hint: 'use bash, zsh or fish',
          });
        }
        process.stdout.write(COMPLETION_SCRIPTS[shell as keyof typeof COMPLETION_SCRIPTS]);
      }),
    [
      ['hutctl completion bash > ~/.local/share/bash-completion/completions/hutctl', 'bash'],
      ['hutctl completion zsh > "$fpath[1]/_hutctl"', 'zsh (then start a new shell)'],
      ['hutctl completion fish > ~/.config/fish/completions/hutctl.fish', 'fish'],
    ],
  );

  program
    .command('__complete', { hidden: true })
    .description('the candidates for the last word (what the completion scripts call)')
    .argument('[words...]', 'the words after hutctl, the last one being completed')
    .allowUnknownOption()
    .action(async (words: string[]) => {
      const [{ buildProgram }, { complete, documentValues, formatCandidates }] = await Promise.all([
        import('../main.ts'),
        import('../completion.ts'),
      ]);
      const answer = complete(await buildProgram(), words.length ? words : [''], {
        ...(await configValues(words)),
        ...documentValues(await docsRoot(words)),
      });
      process.stdout.write(formatCandidates(answer));
    });
}

/** The value of `--flag` among the words typed so far, with `~` and `$HOME` as the shell would expand them. */
function typed(words: string[], flag: string): string | undefined {
  for (let i = 0; i < words.length - 1; i += 1) {
    const value =
      words[i] === flag
        ? words[i + 1]
        : words[i]!.startsWith(`${flag}=`)
          ? words[i]!.slice(flag.length + 1)
          : undefined;
    if (value !== undefined) return value.replace(/^(~|\$HOME|\$\{HOME\})(?=\/|$)/, homeOf());
  }
  return undefined;
}

/** Values from hutctl.yaml (the one `--config` names, if typed); none when it cannot be read. */
async function configValues(words: string[]): Promise<Omit<ValueSources, 'goals' | 'workstreams'>> {
  let config: Awaited<ReturnType<typeof import('../../config/index.ts').requireConfig>> | null =
    null;
  try {
    const { requireConfig } = await import('../../config/index.ts');
    const configPath = typed(words, '--config');
    config = await requireConfig(configPath ? { configPath } : {});
  } catch {}
  const from =
    <T>(record: Record<string, T> | undefined, say: (value: T) => string | undefined) =>
    (): Candidate[] =>
      Object.entries(record ?? {}).map(([value, item]) => ({ value, description: say(item) }));
  return {
    slots: from(config?.slots, (s) => s.labels.join(', ') || undefined),
    labels: () =>
      [...new Set(Object.values(config?.slots ?? {}).flatMap((s) => s.labels))]
        .sort()
        .map((value) => ({ value })),
    targets: from(config?.targets, (t) => ('host' in t ? String(t.host) : undefined)),
    profiles: from(config?.profiles, () => undefined),
    vms: from(config?.vms, () => undefined),
  };
}

async function docsRoot(words: string[]): Promise<string | null> {
  try {
    const { findDocsRoot } = await import('../../docs/paths.ts');
    return findDocsRoot(typed(words, '--docs') ?? process.cwd());
  } catch {
    return null;
  }
}
