/** `hutctl slot …`: the boards — inventory, map, locks, jobs on one board. */
import type { Command } from 'commander';
import { HutError } from '../../errors/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';
import { printOutcome, withCancelOnSignal } from '../job-outcome.ts';
import { wholeNumber } from '../numbers.ts';
import { note, printJson, printLine } from '../output.ts';
import { addSlotHealth } from './health.ts';
import { addSlotHistory } from './history.ts';

const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>();

export function register(program: Command): void {
  const slot = program
    .command('slot')
    .description('HUT slots: inventory, mapping, locks, and jobs on one board');

  withExamples(
    slot
      .command('scan')
      .description(
        'list /dev/serial/by-id (vendor/product, serial, tty) and write the inventory evidence log',
      )
      .option('--propose', 'print slot entries for devices no slot maps yet')
      .option('--evidence-dir <dir>', 'where the inventory log goes')
      .option('--json', 'print as JSON'),
    [
      ['hutctl slot scan', 'the boards under /dev/serial/by-id, and the inventory log'],
      ['hutctl slot scan --propose', 'also print slot entries for boards no slot maps'],
    ],
  ).action(
    async (
      options: { propose?: boolean; evidenceDir?: string; json?: boolean },
      command: Command,
    ) => {
      const config = await loadFor(globals(command));
      const { scanInventory, proposeSlots } = await import('../../slots/index.ts');
      const scan = await scanInventory(config, options.evidenceDir ?? config.paths.evidenceDir);
      const proposals = options.propose ? proposeSlots(config, scan.devices) : undefined;
      if (options.json) return printJson({ ...scan, ...(proposals ? { proposals } : {}) });
      printLine(`${scan.devices.length} device(s) in ${scan.by_id_dir}`);
      for (const d of scan.devices) {
        printLine(
          `  ${(d.slot ?? '-').padEnd(8)} ${d.tty ?? '(dangling)'}  ${d.vendor_id ? `${d.vendor_id}:${d.product_id} ` : ''}${d.name}`,
        );
      }
      if (proposals) {
        if (proposals.length === 0) printLine('every device present is mapped; nothing to propose');
        else {
          printLine('proposed entries for hutctl.yaml (slots:):');
          for (const p of proposals)
            printLine(`  ${p.id}:\n    serial: ${p.serial}\n    labels: [esp32, esp32-${p.id}]`);
        }
      }
      note(`hutctl: inventory written to ${scan.log_path}`);
    },
  );

  withExamples(
    slot
      .command('list')
      .description('the configured slots and whether their serial device is there')
      .option('--json', 'print as JSON'),
    [
      ['hutctl slot list', 'each slot: its tty now, profile, labels, power backend'],
      ['hutctl slot list --json', 'the same as JSON'],
    ],
  ).action(async (options: { json?: boolean }, command: Command) => {
    const config = await loadFor(globals(command));
    const { ttyOf } = await import('../../slots/index.ts');
    const rows = Object.values(config.slots).map((s) => ({ ...s, tty: ttyOf(s.serial) }));
    if (options.json) return printJson(rows);
    if (rows.length === 0)
      return printLine("no slots configured (see 'hutctl slot scan --propose')");
    for (const s of rows) {
      printLine(
        `${s.id.padEnd(8)} ${(s.tty ?? 'MISSING').padEnd(14)} ${(s.profile ?? '-').padEnd(10)} ${s.labels.join(',') || '-'}  power: ${s.power?.backend ?? 'none'}`,
      );
    }
  });

  withExamples(
    slot
      .command('status')
      .description('each slot: device present, locked (by whom, since when), last power state')
      .option('--json', 'print as JSON'),
    [
      ['hutctl slot status', 'who holds which slot since when, and its last power state'],
      ['hutctl slot status --json', 'the same as JSON'],
    ],
  ).action(async (options: { json?: boolean }, command: Command) => {
    const config = await loadFor(globals(command));
    const { slotStatus } = await import('../../slots/status.ts');
    const rows = await slotStatus(config);
    if (options.json) return printJson(rows);
    for (const r of rows) {
      const lock = r.locked
        ? `locked ${r.holder ? `by ${r.holder.job_id ?? 'hutctl'} (pid ${r.holder.pid} on ${r.holder.host}, since ${r.holder.since})` : 'by a process without a hutctl record'}`
        : 'free';
      const change = r.power_change;
      const power = change
        ? change.interrupted
          ? `power unknown: a power ${change.action} was cut short at '${change.phase}' (last confirmed ${r.power?.state ?? '?'}; run 'hutctl power status ${r.slot}')`
          : `power ${change.action} under way ('${change.phase}')`
        : r.power
          ? `power ${r.power.state ?? '?'} (seen ${r.power.observed_utc})`
          : 'power unknown';
      if (r.lock_problem) printLine(`${r.slot.padEnd(8)} warning: ${r.lock_problem}`);
      printLine(`${r.slot.padEnd(8)} ${(r.tty ?? 'MISSING').padEnd(14)} ${lock}; ${power}`);
    }
  });

  withExamples(
    slot
      .command('doctor')
      .description(
        'find missing devices, two slots on one device, links that moved to another tty, lock files this user cannot take',
      )
      .option('--json', 'print as JSON'),
    [
      ['hutctl slot doctor', 'every problem of the slot map; exit 1 on errors'],
      ['hutctl slot doctor --json', 'the findings as JSON'],
    ],
  ).action(async (options: { json?: boolean }, command: Command) => {
    const config = await loadFor(globals(command));
    const { doctor } = await import('../../slots/index.ts');
    const { findings } = await doctor(config);
    const errors = findings.filter((f) => f.level === 'error').length;
    if (options.json) printJson({ healthy: errors === 0, findings });
    else {
      for (const f of findings) printLine(`${f.level}: ${f.message}`);
      printLine(
        errors === 0 ? `ok (${Object.keys(config.slots).length} slot(s))` : `${errors} error(s)`,
      );
    }
    process.exitCode = errors === 0 ? 0 : 1;
  });

  withExamples(
    slot
      .command('import')
      .description(
        'merge the runner\'s hut_slots.json ({"hut-01": {"serial_by_id": ...}}) into hutctl.yaml',
      )
      .argument('<file>', 'the slot map')
      .option('--dry-run', 'show what would change, write nothing')
      .option('--json', 'print as JSON'),
    [
      ['hutctl slot import hut_slots.json', "merge the runner's slot map into hutctl.yaml"],
      [
        'hutctl slot import --dry-run config/hut_slots.json',
        'show what would change, write nothing',
      ],
    ],
  ).action(
    async (file: string, options: { dryRun?: boolean; json?: boolean }, command: Command) => {
      const { readInput } = await import('../read-input.ts');
      const { findConfigFile } = await import('../../config/index.ts');
      const { importSlotMap } = await import('../../slots/import.ts');
      const { text, source } = await readInput(file);
      const g = globals(command);
      const target = findConfigFile(g.config ? { configPath: g.config } : {}) ?? 'hutctl.yaml';
      const result = await importSlotMap(text, source, target, options.dryRun === true);
      if (options.json) return printJson(result);
      printLine(
        `${options.dryRun ? 'would change' : 'updated'} ${result.config}: ${result.added.length} added (${result.added.join(', ') || '-'}), ${result.updated.length} updated (${result.updated.join(', ') || '-'}), ${result.unchanged.length} unchanged`,
      );
    },
  );

  withExamples(
    slot
      .command('run')
      .description(
        'run a command with exclusive use of one board: its lock, {port} {slot} {sha}, evidence and report',
      )
      .argument('[slot]', 'the slot id (or use --label)')
      .argument('[argv...]', 'the program and its arguments, after --')
      .option(
        '--label <label>',
        'the first free slot with this label (waits on all of them when none is free)',
      )
      .option('--sha <commit>', 'the commit being tested (fills {sha}, goes in the report)')
      .option('--timeout <sec>', 'time budget (default 1800)')
      .option(
        '--recover',
        'on a timeout, panic or reset loop: power-cycle the slot once and run again',
      )
      .option('--job-id <id>', 'default: slot-<slot>-<YYYYMMDD-HHMMSS>-<random>')
      .option('--no-wait', 'fail at once (exit 75) when the slot is busy')
      .option('--replace', 'reuse a job id that already has a report')
      .option('--evidence-dir <dir>', 'where the log and report go')
      .option('--quiet', "don't copy output to the terminal (it is always in the log)")
      .option('--json', 'print only the report')
      .addHelpText(
        'after',
        `
The lock is <slot_lock_dir>/hut-<n>.lock, shared with the runner's flock(1) scripts. A label that
no configured slot has is refused at once (exit 2). A slot whose health check is due (after a farm
error, or every health.every_jobs jobs / every_hours hours) gets it first, under the same lock:
HW-BOOT-001 with a known-good artifact; a slot that does not pass it is bad, and the job goes to
another slot of the label, or is refused (exit 2).`,
      ),
    [
      [
        'hutctl slot run hut-01 -- esptool.py --port {port} flash_id',
        "hut-01's flash id, holding its lock",
      ],
      [
        'hutctl slot run --label esp32 --recover -- idf.py -p {port} flash',
        'the first free esp32 board; power-cycle once on a hang',
      ],
      [
        'hutctl slot run hut-02 -- hutctl flash write {port} 0x10000 "$PWD/app.bin"',
        'flash hut-02 with the built-in flasher',
      ],
    ],
  ).action(
    async (
      slotArg: string | undefined,
      argv: string[],
      options: SlotRunCliOptions,
      command: Command,
    ) => {
      let slotId = slotArg;
      let args = argv;
      if (options.label && slotArg !== undefined) {
        // With --label, everything after -- is the command.
        args = [slotArg, ...argv];
        slotId = undefined;
      }
      if (!slotId && !options.label)
        throw new HutError('USAGE', 'name a slot or pass --label <label>');
      if (args.length === 0)
        throw new HutError(
          'USAGE',
          'no command given: hutctl slot run <slot> -- <program> [args...]',
        );
      const config = await loadFor(globals(command));
      const { runSlotJob } = await import('../../slots/index.ts');
      const progress = options.json ? () => {} : (line: string) => note(`hutctl: ${line}`);
      const outcome = await withCancelOnSignal((signal) =>
        runSlotJob({
          config,
          // The hardware lane is loaded only when a slot is due its health check.
          healthCheck: async (slot, artifact) =>
            (await import('../../hil/index.ts')).healthCheckOn(config, {
              ...(options.evidenceDir ? { evidenceDir: options.evidenceDir } : {}),
              progress,
              signal,
            })(slot, artifact),
          ...(slotId ? { slot: slotId } : {}),
          ...(options.label ? { label: options.label } : {}),
          argv: args,
          ...(options.sha ? { sha: options.sha } : {}),
          ...(options.jobId ? { jobId: options.jobId } : {}),
          ...(options.timeout
            ? { timeoutSec: wholeNumber(options.timeout, '--timeout', 1, 14_400) }
            : {}),
          recover: options.recover === true,
          noWait: options.wait === false,
          replace: options.replace === true,
          ...(options.evidenceDir ? { evidenceDir: options.evidenceDir } : {}),
          live: !(options.json || options.quiet),
          progress,
          signal,
        }),
      );
      await printOutcome(outcome, options.json, ` on ${String(outcome.report.slot ?? '?')}`);
    },
  );

  withExamples(
    slot
      .command('selftest')
      .description(
        'prove on the real lock files: same slot serializes, different slots overlap (evidence log)',
      )
      .option('--slots <a,b>', 'the two slots to use (default: the first two configured)')
      .option('--hold-ms <ms>', 'how long each holder keeps the lock', '300')
      .option('--evidence-dir <dir>', 'where the log goes')
      .option('--json', 'print as JSON'),
    [
      ['hutctl slot selftest', 'on the first two slots: one slot serializes, two overlap'],
      [
        'hutctl slot selftest --slots hut-01,hut-02 --hold-ms 1000',
        'on these two slots, each lock held 1 s',
      ],
    ],
  ).action(
    async (
      options: { slots?: string; holdMs: string; evidenceDir?: string; json?: boolean },
      command: Command,
    ) => {
      const config = await loadFor(globals(command));
      const { getSlot, lockSelftest } = await import('../../slots/index.ts');
      const ids = options.slots ? options.slots.split(',') : Object.keys(config.slots).slice(0, 2);
      if (ids.length !== 2)
        throw new HutError('USAGE', 'the self-test needs two slots (--slots hut-01,hut-02)');
      const pair = [getSlot(config, ids[0]!), getSlot(config, ids[1]!)] as [never, never];
      const result = await lockSelftest(
        config,
        pair,
        options.evidenceDir ?? config.paths.evidenceDir,
        wholeNumber(options.holdMs, '--hold-ms', 1, 600_000),
      );
      if (options.json) printJson(result);
      else {
        printLine(
          `same slot ${result.slots[0]}: overlap ${result.same_slot.overlap_ms} ms -> ${result.same_slot.serialized ? 'serialized' : 'OVERLAPPED'}`,
        );
        printLine(
          `slots ${result.slots.join(' and ')}: overlap ${result.different_slots.overlap_ms} ms -> ${result.different_slots.concurrent ? 'concurrent' : 'NOT concurrent'}`,
        );
        printLine(`${result.passed ? 'PASS' : 'FAIL'}: ${result.log_path}`);
      }
      process.exitCode = result.passed ? 0 : 1;
    },
  );
  addSlotHistory(slot);
  addSlotHealth(slot);
}

interface SlotRunCliOptions {
  label?: string;
  sha?: string;
  timeout?: string;
  recover?: boolean;
  jobId?: string;
  wait?: boolean;
  replace?: boolean;
  evidenceDir?: string;
  quiet?: boolean;
  json?: boolean;
}
