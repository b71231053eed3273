/** `hutctl vm`: the runner VM on the infra host, over the LXD or Incus API. */
import type { Command } from 'commander';
import { HutError } from '../../errors/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';
import { wholeNumber } from '../numbers.ts';
import { note, printJson, printLine } from '../output.ts';

export function register(program: Command): void {
  const vm = program
    .command('vm')
    .description('the runner VM on the infra host (LXD or Incus): create, status, USB, delete');

  withExamples(
    vm
      .command('create')
      .description(
        'create the VM of a vms: entry (or check the one there), wait until it is ready, pin its host key, write its target',
      )
      .argument('<name>', 'a vms: entry of hutctl.yaml (the instance name)')
      .option('--timeout <sec>', 'how long it may take to be ready', '1800')
      .option('--evidence-dir <dir>', 'where the infra_vm_<name>_<ts>_utc.log goes')
      .option('--docs <dir>', 'add a handoff entry (infra-live | execute) to this repository')
      .option('--agent <role:id>', 'who, for the handoff entry', 'infra:hutctl')
      .option('--goal <GOAL-nnn/WSn>', 'the handoff entry’s goal/workstream', 'GOAL-001/WS4')
      .option('--json', 'print the result as JSON')
      .addHelpText(
        'after',
        `
Run on the infra host: talks to the daemon on its unix socket (LXD_SOCKET / INCUS_SOCKET, else
where lxc and incus look). A second create of a VM that matches hutctl.yaml does nothing but
wait for it and refresh its target; one that differs is reported key by key and left alone.

Its entry in hutctl.yaml (type: container where the host cannot run VMs):
  vms:
    hil-runner:
      type: virtual-machine
      target: runner
      cpu: 4
      memory: 8GiB
      disk: 40GiB
      ssh_public_key: ~/.ssh/runner_ed25519.pub
      usb:
        hut-01: {vendor: 10c4, product: ea60, serial: a4c1d2}`,
      ),
    [
      ['hutctl vm create hil-runner', 'the VM of vms.hil-runner, ready, its target written'],
      ['hutctl vm create hil-runner --docs ~/src/squeezelite-esp32', 'also add a handoff entry'],
      [
        'hutctl vm create hil-runner && hutctl heartbeat runner',
        'then check that the runner answers',
      ],
    ],
  ).action(
    async (
      name: string,
      o: {
        timeout: string;
        evidenceDir?: string;
        docs?: string;
        agent: string;
        goal: string;
        json?: boolean;
      },
      command: Command,
    ) => {
      const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
      const timeoutSec = wholeNumber(o.timeout, '--timeout', 10, 86_400);
      const lib = await import('../../vm/index.ts');
      const spec = lib.vmSpec(config, name);
      // The input is checked before anything is made: a refused create leaves no evidence
      // directory behind.
      const publicKey = lib.readPublicKey(spec);
      const docsLib = await import('../../docs/index.ts');
      const root = o.docs ? docsLib.findDocsRoot(o.docs) : null;
      const { prepareEvidenceDir } = await import('../../jobs/index.ts');
      const evidenceDir = o.evidenceDir ?? config.paths.evidenceDir;
      prepareEvidenceDir(evidenceDir, config.paths.shareGroup, true);
      const created = await lib.createVm({
        publicKey,
        config,
        name,
        timeoutSec,
        client: lib.clientFor(spec),
        progress: (line) => note(`hutctl: ${line}`),
        configFile: config.file,
        evidenceDir,
      });
      if (root) {
        const { join } = await import('node:path');
        const log = docsLib.docPaths(root).handoffLog;
        const line = docsLib.formatHandoff(
          {
            agent: o.agent,
            goal: o.goal,
            context: 'infra-live',
            action_type: 'execute',
            operator_required: 'no',
            summary: `runner VM ${created.name} ${created.action} on ${created.server}: ${created.address}, USB ${created.usb.map((u) => u.slot).join(', ') || 'none'}; evidence \`${created.evidence}\``,
            next_action: `hutctl heartbeat ${created.target}; then slot scan inside the VM`,
            tags: { executor: 'ssh_direct' },
          },
          () => null,
        );
        await docsLib.editDocument(
          join(root, log),
          (text) => docsLib.insertHandoff(text, line, log),
          {
            note: {
              repository: root,
              edit: 'handoff-entry',
              summary: `${o.goal} runner VM ${created.name} ${created.action} on ${created.server}`,
              by: o.agent,
              command: 'vm create',
              evidence: created.evidence,
            },
          },
        );
      }
      if (o.json) return printJson(created);
      printLine(
        `${created.name}: ${created.action} on ${created.server}, ready at ${created.address}${created.cloud_init === 'not in the image' ? ' (no cloud-init in its image: user-data not applied)' : ''}; host key pinned in ${created.known_hosts}; target ${created.target} ${created.config_changed ? 'written to' : 'already in'} ${config.file ?? '(no hutctl.yaml)'}`,
      );
      printLine(`evidence: ${created.evidence}`);
    },
  );

  withExamples(
    vm
      .command('status')
      .description('state, addresses, agent and USB devices of the VMs in hutctl.yaml (or one)')
      .argument('[name]', 'one vms: entry')
      .option('--json', 'print as JSON'),
    [
      ['hutctl vm status', 'every VM of hutctl.yaml: state, addresses, agent, USB'],
      ['hutctl vm status hil-runner --json', 'one VM, as JSON'],
    ],
  ).action(async (name: string | undefined, o: { json?: boolean }, command: Command) => {
    const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
    const lib = await import('../../vm/index.ts');
    const names = name ? [lib.vmSpec(config, name).name] : Object.keys(config.vms);
    if (names.length === 0) throw new HutError('NOT_FOUND', 'no vms: in hutctl.yaml');
    const all = [];
    for (const n of names) {
      const spec = lib.vmSpec(config, n);
      const s = await lib.vmStatus(lib.clientFor(spec), n);
      const mapped = Object.keys(spec.usb);
      all.push({
        ...s,
        usb_mapped: mapped,
        usb_missing: mapped.filter((m) => !s.usb.some((u) => u.slot === m)),
      });
    }
    if (o.json) return printJson(name ? all[0] : all);
    for (const s of all) {
      if (!s.exists) {
        printLine(`${s.name}: not created (hutctl vm create ${s.name})`);
        continue;
      }
      printLine(
        `${s.name}: ${s.type === 'container' ? 'container, ' : ''}${s.status}, ${s.addresses.map((a) => a.address).join(' ') || 'no address'}${s.type === 'container' ? '' : `, agent ${s.agent ? 'up' : 'not running'}`}, USB ${s.usb.map((u) => u.slot).join(' ') || 'none'}${s.usb_missing.length ? ` (mapped but not attached: ${s.usb_missing.join(' ')})` : ''} — ${s.server}`,
      );
    }
  });

  const usb = vm.command('usb').description("move a slot's board between the host and the VM");
  for (const attach of [true, false])
    withExamples(
      usb
        .command(attach ? 'attach' : 'detach')
        .description(
          attach
            ? "pass the slot's board (vms.<name>.usb) to the VM"
            : "give the slot's board back to the host",
        )
        .argument('<name>', 'a vms: entry')
        .argument('<slot>', 'a slot id')
        .option('--json', 'print the VM status after the change'),
      attach
        ? [['hutctl vm usb attach hil-runner hut-01', "pass hut-01's board to the VM"]]
        : [['hutctl vm usb detach hil-runner hut-02', "give hut-02's board back to the host"]],
    ).action(async (name: string, slot: string, o: { json?: boolean }, command: Command) => {
      const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
      const { checkId } = await import('../../contract/index.ts');
      checkId('slot', slot);
      const lib = await import('../../vm/index.ts');
      const spec = lib.vmSpec(config, name);
      const s = await lib.usbChange(lib.clientFor(spec), spec, slot, attach);
      if (o.json) return printJson(s);
      printLine(
        `${name}: ${slot} ${attach ? 'attached' : 'detached'}; USB now ${s.usb.map((u) => u.slot).join(' ') || 'none'}`,
      );
    });

  withExamples(
    vm
      .command('delete')
      .description('delete the VM (a running one only with --force)')
      .argument('<name>', 'a vms: entry')
      .option('--force', 'stop it first if it runs')
      .option('--json', 'print the result as JSON'),
    [
      ['hutctl vm delete hil-runner', 'delete the VM if it is stopped'],
      ['hutctl vm delete hil-runner --force', 'stop it first if it runs'],
    ],
  ).action(async (name: string, o: { force?: boolean; json?: boolean }, command: Command) => {
    const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
    const lib = await import('../../vm/index.ts');
    const spec = lib.vmSpec(config, name);
    const done = await lib.deleteVm(lib.clientFor(spec), spec.name, o.force === true);
    if (o.json) return printJson({ name, result: done });
    printLine(done === 'deleted' ? `${name}: deleted` : `${name}: not there (nothing to delete)`);
  });
}
