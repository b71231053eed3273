/** `hutctl config check`: the resolved configuration and every problem in it. */
import type { Command } from 'commander';
import { type HutConfig, profileNames } from '../../config/index.ts';
import { oneLine } from '../../errors/index.ts';
import type { GlobalOptions } from '../context.ts';
import { withExamples } from '../help.ts';
import { printJson, printLine } from '../output.ts';

export function register(program: Command): void {
  const config = program.command('config').description('inspect the configuration');
  withExamples(
    config
      .command('check')
      .description(
        'print the resolved config (hutctl.yaml + .lxd.env) and every error with file, key path and expectation',
      )
      .option('--json', 'print as JSON'),
    [
      ['hutctl config check', 'what hutctl.yaml and .lxd.env resolve to, and every error'],
      [
        'hutctl config check --config .hutctl/sim/hutctl.yaml',
        "check the simulated farm's configuration",
      ],
      ['hutctl config check --json', 'the resolved configuration as JSON'],
    ],
  ).action(async (options: { json?: boolean }, command: Command) => {
    const { directoryWarnings, formatProblem, loadConfig } = await import('../../config/index.ts');
    const globals = command.optsWithGlobals<GlobalOptions>();
    const { config: resolved, problems } = await loadConfig(
      globals.config ? { configPath: globals.config } : {},
    );
    // Boot markers as the hardware lane matches them (RE2: a bundle of its own, loaded for them).
    if (Object.keys(resolved.profiles).length > 0)
      problems.push(...(await import('../../hil/marker.ts')).markerProblems(resolved));
    const warnings = [...directoryWarnings(resolved), ...profileWarnings(resolved)];
    if (options.json) {
      printJson({ valid: problems.length === 0, config: resolved, problems, warnings });
    } else {
      // Every line quotes the file (keys, hosts, paths): a control character in it is shown
      // escaped, not sent to the terminal as an escape sequence.
      const say = (line: string) => printLine(oneLine(line));
      const sayOnStderr = (line: string) => process.stderr.write(`${oneLine(line)}\n`);
      say(
        resolved.file === null
          ? 'config: none found (defaults); looked for --config, $HUTCTL_CONFIG, hutctl.yaml here and in parents, $XDG_CONFIG_HOME/hutctl/hutctl.yaml, /etc/hutctl/hutctl.yaml'
          : `config: ${resolved.file} (${resolved.found?.why ?? 'given'})`,
      );
      const names = Object.keys(resolved.targets);
      if (names.length === 0) say('targets: none (only --target local works)');
      for (const name of names) {
        const t = resolved.targets[name]!;
        const where =
          t.transport === 'ssh'
            ? `ssh ${t.user ? `${t.user}@` : ''}${t.host}:${t.port ?? 22}${t.identityFile ? ` key ${t.identityFile}` : ''}`
            : 'local';
        say(
          `target ${name}: ${where}${t.workdir ? `, workdir ${t.workdir}` : ''}${t.loginShell ? ', login shell' : ''}  (from ${t.source})`,
        );
      }
      const p = resolved.paths;
      say(`paths: locks ${p.lockDir}, cancel flags ${p.cancelDir}, evidence ${p.evidenceDir}`);
      say(
        `ssh: control sockets in ${resolved.ssh.controlDir}, persist ${resolved.ssh.controlPersistSec} s, connect timeout ${resolved.ssh.connectTimeoutSec} s`,
      );
      if (resolved.secretEnv.length)
        say(`secrets redacted from logs: ${resolved.secretEnv.join(', ')}`);
      if (resolved.paths.shareGroup !== null)
        say(`evidence and state shared with group ${resolved.paths.shareGroup}`);
      for (const warning of warnings) sayOnStderr(`warning: ${warning.message}`);
      for (const problem of problems) sayOnStderr(`error: ${formatProblem(problem)}`);
      say(problems.length === 0 ? 'ok' : `${problems.length} error(s)`);
    }
    process.exitCode = problems.length === 0 ? 0 : 1;
  });
}

/** Slots naming a platform profile that hutctl.yaml lacks: their hil runs would be blocked. */
function profileWarnings(config: HutConfig): Array<{ key: string; path: string; message: string }> {
  return Object.values(config.slots)
    .filter((slot) => slot.profile !== undefined && !Object.hasOwn(config.profiles, slot.profile))
    .map((slot) => ({
      key: `slots.${slot.id}.profile`,
      path: slot.source,
      message: `slots.${slot.id}.profile (${slot.source}): no platform profile '${slot.profile}' under profiles: (${profileNames(config)}); hil runs on ${slot.id} are blocked until there is one`,
    }));
}
