/** `hutctl power on|off|status|cycle <slot>`: a slot's relay, confirmed by reading it back. */
import type { Command } from 'commander';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';
import { note, printJson, printLine } from '../output.ts';
import { addPowerHistory } from './history.ts';

const EXIT = { ok: 0, timeout: 124, ha_error: 1 } as const;

export function register(program: Command): void {
  const power = program
    .command('power')
    .description(
      "a slot's power relay (Home Assistant or a relay command), confirmed by reading it back",
    )
    .addHelpText(
      'after',
      `
A cycle takes the slot's power lock, turns off, confirms off, waits off_sec, turns on, confirms on,
waits on_sec (boot settle); it retries up to max_retries with cooldown_sec between attempts, and
refuses a new cycle within cooldown_sec of the last one unless --force.
Results: ok (exit 0), timeout (exit 124), ha_error (exit 1).`,
    );

  for (const action of ['on', 'off'] as const) {
    withExamples(
      power
        .command(action)
        .description(`switch the slot's relay ${action} and confirm it`)
        .argument('<slot>', 'a slot of hutctl.yaml, e.g. hut-01')
        .option('--json', 'print as JSON'),
      action === 'on'
        ? [
            ['hutctl power on hut-01', "switch hut-01's relay on and read it back"],
            ['hutctl power off hut-01 && hutctl power on hut-01', 'a cold boot by hand'],
          ]
        : [
            ['hutctl power off hut-01', "switch hut-01's relay off and read it back"],
            ['hutctl power off hut-02 --json', 'the result as JSON'],
          ],
    ).action(async (slotId: string, options: { json?: boolean }, command: Command) => {
      const ctx = await contextFor(slotId, command);
      const { powerSwitch } = await import('../../power/index.ts');
      const result = await powerSwitch(ctx, action);
      if (options.json) printJson(result);
      else
        printLine(
          `${slotId}: ${result.status}, relay ${result.state ?? 'unknown'} (${result.duration_ms} ms)${result.error ? `: ${result.error}` : ''}`,
        );
      if (result.record_error) note(`hutctl: note: ${result.record_error}`);
      process.exitCode = EXIT[result.status];
    });
  }

  withExamples(
    power
      .command('status')
      .description("read the slot's relay")
      .argument('<slot>', 'a slot of hutctl.yaml, e.g. hut-01')
      .option('--json', 'print as JSON'),
    [
      ['hutctl power status hut-01', "on or off, as hut-01's relay reads now"],
      ['hutctl power status hut-01 --json', 'the same as JSON'],
    ],
  ).action(async (slotId: string, options: { json?: boolean }, command: Command) => {
    const ctx = await contextFor(slotId, command);
    const { powerState } = await import('../../power/index.ts');
    const result = await powerState(ctx);
    if (options.json) printJson({ slot: slotId, ...result });
    else
      printLine(
        result.error
          ? `${slotId}: cannot read the relay: ${result.error}`
          : `${slotId}: ${result.state}`,
      );
    if (result.record_error) note(`hutctl: note: ${result.record_error}`);
    process.exitCode = result.error ? 1 : 0;
  });

  withExamples(
    power
      .command('cycle')
      .description(
        'off, confirm, wait, on, confirm, settle — with retries, cooldown and the power lock',
      )
      .argument('<slot>', 'a slot of hutctl.yaml, e.g. hut-01')
      .option('--force', 'cycle even within the cooldown of the last cycle')
      .option('--json', 'print the structured result'),
    [
      ['hutctl power cycle hut-01', 'off, wait, on, settle, each step confirmed'],
      ['hutctl power cycle hut-01 --json', 'ok, timeout or ha_error, attempts, time per phase'],
      ['hutctl power cycle hut-01 --force', 'cycle again within the cooldown'],
    ],
  ).action(
    async (slotId: string, options: { force?: boolean; json?: boolean }, command: Command) => {
      const ctx = await contextFor(slotId, command);
      const { powerCycle } = await import('../../power/index.ts');
      const result = await powerCycle(
        {
          ...ctx,
          onPhase: options.json
            ? undefined
            : (attempt, phase) => note(`hutctl: ${slotId} attempt ${attempt}: ${phase}`),
        },
        { force: options.force === true },
      );
      if (options.json) printJson(result);
      else {
        const phases = result.phases
          .filter((p) => p.attempt === result.attempts)
          .map((p) => `${p.phase} ${p.duration_ms} ms`)
          .join(', ');
        printLine(
          `${slotId}: ${result.status} after ${result.attempts} attempt(s) in ${(result.total_ms / 1000).toFixed(2)} s (${phases}); relay ${result.last_state ?? 'unknown'}${result.error ? `; ${result.error}` : ''}`,
        );
      }
      if (result.record_error) note(`hutctl: note: ${result.record_error}`);
      process.exitCode = EXIT[result.status];
    },
  );
  addPowerHistory(power);
}

async function contextFor(slotId: string, command: Command) {
  const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
  const { getSlot } = await import('../../slots/index.ts');
  const { backendFor } = await import('../../power/index.ts');
  const slot = getSlot(config, slotId);
  return { config, slot, backend: backendFor(config, slot) };
}
