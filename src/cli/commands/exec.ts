/** `hutctl exec <target> -- <argv...>`: run one command on a role's host, arguments intact. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { HutError } from '../../errors/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';

export function register(program: Command): void {
  withExamples(
    program
      .command('exec')
      .description(
        "run a command on a target's host; exits with its status (255: could not connect)",
      )
      .argument('<target>', 'a configured target (arch, infra, runner, ...) or local')
      .argument('<argv...>', 'the program and its arguments, after --; each arrives as written')
      .option('--workdir <dir>', "directory on the host to run in (default: the target's workdir)")
      .addHelpText(
        'after',
        `
Nothing is re-parsed by a shell on the way: an argument with spaces, quotes, $ or ; arrives as one
argument. The connection is shared between calls (OpenSSH ControlMaster) for speed.`,
      ),
    [
      [
        'hutctl exec runner -- idf.py --version',
        'run idf.py on the runner host; exit with its status',
      ],
      [
        "hutctl exec infra -- sh -c 'df -h / && uptime'",
        'a shell command line, passed as one argument',
      ],
      [
        "hutctl exec runner --workdir /srv/fw -- git log -1 --format='%H %s'",
        'run in another directory on the host',
      ],
    ],
  ).action(
    async (name: string, argv: string[], options: { workdir?: string }, command: Command) => {
      const { resolveTarget } = await import('../../config/index.ts');
      const { transportFor } = await import('../../transport/index.ts');
      const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
      const target = resolveTarget(config, name);
      const transport = transportFor(target, config);
      const cwd = options.workdir ?? target.workdir;
      if (target.transport === 'local' && cwd && !existsSync(cwd)) {
        throw new HutError('INPUT', `workdir ${cwd} does not exist`, {
          hint: 'create it or pass --workdir',
        });
      }
      await transport.connect();
      const child = transport.spawn(argv, { stdio: 'inherit', ...(cwd ? { cwd } : {}) });
      const code = await new Promise<number>((resolve, reject) => {
        child.on('error', (error: NodeJS.ErrnoException) =>
          error.code === 'ENOENT'
            ? reject(new HutError('INPUT', `${argv[0]}: command not found`))
            : reject(error),
        );
        child.on('exit', (exitCode, signal) => resolve(exitCode ?? 128 + signalNumber(signal)));
      });
      process.exitCode = code;
    },
  );
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGKILL: 9,
    SIGTERM: 15,
  };
  return (signal && numbers[signal]) || 0;
}
