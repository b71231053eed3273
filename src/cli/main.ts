#!/usr/bin/env node
/** The hutctl command line: a thin layer that parses argv, calls the library, and prints. */
import module from 'node:module';

module.enableCompileCache?.();

const { Command, CommanderError } = await import('commander');
const { reportError } = await import('./output.ts');

const program = new Command('hutctl')
  .description(
    'Control plane for hardware-in-the-loop CI: run work on the arch, infra and runner hosts,\nlocked, time-bounded and with evidence.',
  )
  .version(await readVersion(), '-V, --version')
  .option(
    '--config <file>',
    'hutctl.yaml to use (default: $HUTCTL_CONFIG, or hutctl.yaml in this or a parent directory)',
  )
  .option('--debug', 'print stack traces for unexpected errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

const commands = await Promise.all([
  import('./commands/config.ts'),
  import('./commands/exec.ts'),
  import('./commands/heartbeat.ts'),
  import('./commands/contract.ts'),
  import('./commands/job.ts'),
]);
for (const command of commands) command.register(program);

let json = false;
try {
  json = process.argv.includes('--json');
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(error, { json, debug: process.argv.includes('--debug') });
  }
}

async function readVersion(): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
