#!/usr/bin/env node
/** The hutctl command line: a thin layer that parses argv, calls the library, and prints. */

declare const HUTCTL_VERSION: string | undefined;

// `hutctl --version` answers before anything else is loaded.
if (process.argv.length === 3 && ['--version', '-V'].includes(process.argv[2]!)) {
  process.stdout.write(`${version()}\n`);
  process.exit(0);
}

const { Command, CommanderError } = await import('commander');
const { reportError } = await import('./output.ts');

const program = new Command('hutctl')
  .description(
    'Control plane for hardware-in-the-loop CI: run work on the arch, infra and runner hosts,\nlocked, time-bounded and with evidence.',
  )
  .version(version(), '-V, --version')
  .option(
    '--config <file>',
    'hutctl.yaml to use (default: $HUTCTL_CONFIG, or hutctl.yaml in this or a parent directory)',
  )
  .option('--debug', 'print stack traces for unexpected errors')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

// Each command lives in its own module; only the one argv names is loaded (all of them for help).
const COMMANDS: Record<
  string,
  () => Promise<{ register(program: import('commander').Command): void }>
> = {
  config: () => import('./commands/config.ts'),
  exec: () => import('./commands/exec.ts'),
  heartbeat: () => import('./commands/heartbeat.ts'),
  contract: () => import('./commands/contract.ts'),
  job: () => import('./commands/job.ts'),
};
const named = process.argv.slice(2).find((arg) => arg in COMMANDS);
const wanted = named ? [named] : Object.keys(COMMANDS);
for (const name of wanted) (await COMMANDS[name]!()).register(program);

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

function version(): string {
  return typeof HUTCTL_VERSION === 'string' ? HUTCTL_VERSION : '0.0.0-dev';
}
