/** The hutctl command line: a thin layer that parses argv, calls the library, and prints. */
import { Command, CommanderError } from 'commander';
import { reportError } from './output.ts';

declare const HUTCTL_VERSION: string | undefined;

type CommandModule = { register(program: Command): void };

// Each command lives in its own module; only the one argv names is loaded (all of them for help).
const COMMANDS: Record<string, () => Promise<CommandModule>> = {
  config: () => import('./commands/config.ts'),
  exec: () => import('./commands/exec.ts'),
  heartbeat: () => import('./commands/heartbeat.ts'),
  contract: () => import('./commands/contract.ts'),
  job: () => import('./commands/job.ts'),
  slot: () => import('./commands/slot.ts'),
  power: () => import('./commands/power.ts'),
  sim: () => import('./commands/sim.ts'),
  flash: () => import('./commands/flash.ts'),
  artifact: () => import('./commands/artifact.ts'),
  hil: () => import('./commands/hil.ts'),
  worktree: () => import('./commands/worktree.ts'),
  // Help lists commands in the order their modules first appear here.
  docs: () => import('./commands/docs.ts'),
  handoff: () => import('./commands/docs-handoff.ts'),
  board: () => import('./commands/docs-board.ts'),
  ticket: () => import('./commands/docs-ticket.ts'),
  transport: () => import('./commands/docs-transport.ts'),
  lint: () => import('./commands/docs-transport.ts'),
  packet: () => import('./commands/docs-packet.ts'),
  role: () => import('./commands/docs-packet.ts'),
  creds: () => import('./commands/docs-packet.ts'),
  goal: () => import('./commands/docs-goal.ts'),
  gate: () => import('./commands/docs-goal.ts'),
  delegate: () => import('./commands/delegate.ts'),
  codex: () => import('./commands/codex.ts'),
  vm: () => import('./commands/vm.ts'),
  threads: () => import('./commands/delegate.ts'),
  store: () => import('./commands/store.ts'),
  serve: () => import('./commands/serve.ts'),
  mcp: () => import('./commands/serve.ts'),
  completion: () => import('./commands/completion.ts'),
  __complete: () => import('./commands/completion.ts'),
};

const WARM_KEEPER = new Set([
  'job run',
  'slot run',
  'slot selftest',
  'hil run',
  'hil surface',
  'power cycle',
  'power on',
  'power off',
]);

/** The root command with its global options, before any command is registered. */
function rootCommand(): Command {
  return new Command('hutctl')
    .description(
      'Control plane for hardware-in-the-loop CI: run work on the arch, infra and runner hosts — locked, time-bounded, with evidence.',
    )
    .addHelpText(
      'after',
      `
Start here:
  hutctl config check                          what hutctl.yaml and .lxd.env resolve to
  hutctl heartbeat runner                      is the runner VM there
  hutctl job new --role runner --lock-key smoke -- 'idf.py --version' | hutctl job run -
  hutctl sim up                                a simulated board farm to try slot, power and hil commands
  hutctl <command> --help                      every command explains itself, with examples`,
    )
    .version(version(), '-V, --version')
    .option(
      '--config <file>',
      'hutctl.yaml to use (default: $HUTCTL_CONFIG, else hutctl.yaml here or in a parent, else $XDG_CONFIG_HOME/hutctl/ (~/.config/hutctl/), else /etc/hutctl/)',
    )
    .option('--debug', 'print stack traces for unexpected errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`hutctl: ${text}`) });
}

/** Every command, registered: what help, the man page and shell completion are made from. */
export async function buildProgram(): Promise<Command> {
  const program = rootCommand();
  const modules = new Set<CommandModule>();
  for (const load of Object.values(COMMANDS)) modules.add(await load());
  for (const module of modules) module.register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = rootCommand();

  const named = argv.slice(2).find((arg) => Object.hasOwn(COMMANDS, arg));
  // Commands that take locks or run steps on this host start the keeper now, so its start-up
  // overlaps with loading the command instead of delaying the first lock.
  const words = argv.slice(2).filter((arg) => !arg.startsWith('-'));
  if (WARM_KEEPER.has(`${words[0]} ${words[1]}`) && !argv.includes('--help')) {
    void import('../keeper/index.ts').then(({ localKeeper }) => localKeeper());
  }
  // Modules that register several commands (docs-goal.ts: goal, gate) register once.
  const modules = new Set<CommandModule>();
  for (const name of named ? [named] : Object.keys(COMMANDS)) modules.add(await COMMANDS[name]!());
  for (const module of modules) module.register(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    await knowSecretsQuietly(argv);
    return reportError(error, { json: argv.includes('--json'), debug: argv.includes('--debug') });
  } finally {
    // The evidence this command wrote goes into the ledger once the work is done (the document
    // edits it made are written as evidence first).
    await recordDocEdits(argv);
    const { flushLedger } = await import('../store/ledger.ts');
    await flushLedger({ exiting: true });
  }
}

/**
 * The edits this command made to the team's documents, as evidence for the ledger. Only with a
 * hutctl.yaml and a ledger: without a config the evidence directory would default to `./evidence`
 * of wherever the command ran (often the team's repository itself), and without a ledger the
 * files would serve nothing. A failure is one warning: the documents have the edits either way.
 */
async function recordDocEdits(argv: string[]): Promise<void> {
  const { takeEdits } = await import('../docs/journal.ts');
  const edits = takeEdits();
  if (edits.length === 0) return;
  try {
    const { requireConfig } = await import('../config/index.ts');
    const configPath = configPathOf(argv);
    const config = await requireConfig(configPath ? { configPath } : {});
    if (config.file === null || config.store.engine === 'off') return;
    const { writeEditEvidence } = await import('../docs/edit-evidence.ts');
    await writeEditEvidence(config, edits);
  } catch (error) {
    const { oneLine } = await import('../errors/index.ts');
    process.stderr.write(
      `hutctl: warning: the ledger was not told of ${edits.length} document edit(s) (${oneLine((error as Error).message)}); the documents have them\n`,
    );
  }
}

/** The value of --config (or --config=…) on the command line, if any. */
function configPathOf(argv: string[]): string | undefined {
  const at = argv.indexOf('--config');
  return at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith('--config='))?.slice(9);
}

function version(): string {
  return typeof HUTCTL_VERSION === 'string' ? HUTCTL_VERSION : '0.0.0-dev';
}

/**
 * Before an error is printed, learn the secrets this host's config and files name (a command
 * may fail before it loaded them), so the message never shows one. Never fails itself.
 */
async function knowSecretsQuietly(argv: string[]): Promise<void> {
  try {
    const configPath = configPathOf(argv);
    const { loadConfig } = await import('../config/index.ts');
    const { collectSecrets } = await import('../secrets/index.ts');
    const { config } = await loadConfig(configPath ? { configPath } : {});
    collectSecrets(config);
  } catch {}
}
