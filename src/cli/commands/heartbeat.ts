/** `hutctl heartbeat <target>`: is the host there, and how is it doing. */
import type { Command } from 'commander';
import { formatBytes, formatDuration } from '../../format/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';
import { printJson, printLine } from '../output.ts';

export function register(program: Command): void {
  withExamples(
    program
      .command('heartbeat')
      .description(
        'hostname, user, uptime, free disk and load of a target; non-zero with a diagnosis when unreachable',
      )
      .argument('<target>', 'a configured target or local')
      .option('--json', 'print as JSON'),
    [
      ['hutctl heartbeat runner', 'is the runner VM there: host, user, uptime, disk, load'],
      ['hutctl heartbeat infra --json', 'the same for the infra host, as JSON'],
    ],
  ).action(async (name: string, options: { json?: boolean }, command: Command) => {
    const { resolveTarget } = await import('../../config/index.ts');
    const { heartbeat, transportFor } = await import('../../transport/index.ts');
    const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
    const beat = await heartbeat(transportFor(resolveTarget(config, name), config));
    if (options.json) {
      printJson(beat);
      return;
    }
    printLine(
      `${beat.target}: ${beat.hostname} as ${beat.user}, up ${formatDuration(beat.uptime_sec)}, ` +
        `${formatBytes(beat.disk.free_bytes)} free on ${beat.disk.path}, load ${beat.load.join(' ')} (${beat.latency_ms} ms)`,
    );
  });
}
