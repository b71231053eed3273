/** `hutctl exec <target> -- <argv...>`: run one command on a role's host, arguments intact. */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { HutError, quoteValue } from '../../errors/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';

export function register(program: Command): void {
  withExamples(
    program
      .command('exec')
      .description(
        "run a command on a target's host; exits with its status (127: not found, 255: could not connect)",
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
      if (argv[0] === '')
        throw new HutError('USAGE', 'the program to run is empty', {
          hint: 'name it after --, e.g. hutctl exec runner -- idf.py --version',
        });
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
          reject(notRunnable(argv[0]!, error) ?? error),
        );
        child.on('exit', (exitCode, signal) =>
          resolve(exitCode ?? 128 + (signal ? constants.signals[signal] : 0)),
        );
      });
      process.exitCode = code;
    },
  );
}

/**
 * A program this host could not start, as a shell says it and with its status (127: there is no
 * such program, 126: it cannot be run); over SSH the remote shell says the same.
 */
function notRunnable(program: string, error: NodeJS.ErrnoException): HutError | null {
  const name = quoteValue(program);
  if (error.code === 'ENOENT')
    return new HutError(
      'COMMAND_NOT_FOUND',
      `${name}: ${program.includes('/') ? 'not found (no such file)' : 'command not found'}`,
      {
        hint: program.includes('/')
          ? 'check the path'
          : "it is not on this host's PATH: install it, or give its full path",
      },
    );
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EISDIR: 'it is a directory',
    ENOEXEC: 'not an executable format',
    ENOTDIR: 'a part of its path is not a directory',
  };
  const reason = reasons[error.code ?? ''];
  return reason
    ? new HutError('NOT_EXECUTABLE', `${name}: cannot run it: ${reason}`, {
        hint: 'it must be an executable file (chmod +x), or run it through its interpreter',
      })
    : null;
}
