/**
 * `hutctl packet`, `role` and `creds`: what the remote roles are handed — delegation packets,
 * their repositories, their credentials.
 */
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { HutError, oneLine } from '../../errors/index.ts';
import { withExamples } from '../help.ts';
import { note, printJson, printLine } from '../output.ts';
import { collect, openDocs } from './docs-repo.ts';

export function register(program: Command): void {
  const packet = program
    .command('packet')
    .description("delegation packets for the remote roles' Codex");
  withExamples(
    packet
      .command('new')
      .description(
        'write a packet from the template (target, thread_ref, tasks, completion criteria, report-back)',
      )
      .argument('<GOAL-nnn/WSn>', 'the workstream the packet is for, e.g. GOAL-001/WS9')
      .requiredOption('--role <role>', 'infra or runner')
      .requiredOption('--title <text>', 'e.g. "Power Cycle Closeout Packet"')
      .requiredOption('--slug <slug>', 'file name part, e.g. power_closeout')
      .requiredOption('--goal-text <text>', 'what the packet must achieve')
      .requiredOption('--task <text>', 'a task (repeatable, in order)', collect)
      .option('--done <text>', 'a completion criterion (repeatable)', collect)
      .option('--thread-ref <id>', 'default: <WSn>-<SLUG>-<YYYYMMDD>A')
      .option('--repo <path>', 'the role repository path on its host')
      .option('--blocker', 'a blocker-clearing packet (not a separate workstream)')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the written packet (path, target, thread_ref) as JSON'),
    [
      [
        "hutctl packet new GOAL-001/WS9 --role runner --title 'Power Cycle Packet' --slug power_cycle --goal-text 'implement POWER-CTL-001' --task 'run hutctl power cycle hut-01' --task 'commit the evidence'",
        'a packet for runner:codex, two tasks',
      ],
    ],
  ).action(async (ref: string, o: PacketOptions) => {
    const { lib, root } = await openDocs(o.docs);
    const m = /^(GOAL-\d{3})\/(WS\d+)$/.exec(ref);
    if (!m) throw new HutError('USAGE', `${ref}: expected GOAL-nnn/WSn`);
    if (o.role !== 'infra' && o.role !== 'runner')
      throw new HutError('USAGE', '--role: infra or runner');
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    const spec = {
      goal: m[1]!,
      ws: m[2]!,
      role: o.role as 'infra' | 'runner',
      title: o.title,
      slug: o.slug,
      threadRef: o.threadRef ?? `${m[2]}-${o.slug.toUpperCase().replaceAll('_', '-')}-${day}A`,
      objective: o.goalText,
      tasks: o.task,
      completion: o.done ?? [],
      ...(o.repo ? { repo: o.repo } : {}),
      ...(o.blocker ? { blocker: true } : {}),
    };
    const path = join(root, lib.COORDINATION, 'delegations', lib.packetFileName(spec));
    const { existsSync } = await import('node:fs');
    if (existsSync(path))
      throw new HutError('INPUT', `${path} already exists`, { hint: 'choose another --slug' });
    const { writeFileAtomic } = await import('../../files/index.ts');
    const text = lib.renderPacket(spec);
    await writeFileAtomic(path, text);
    const { journalEdit } = await import('../../docs/journal.ts');
    journalEdit({
      repository: root,
      edit: 'packet',
      summary: `${ref} for ${o.role}: ${o.title} (thread_ref=${spec.threadRef})`,
      command: 'packet new',
      path,
      lines_added: text.split('\n').length - 1,
      lines_removed: 0,
      at: new Date(),
    });
    if (o.json) return printJson({ path, ...lib.parsePacket(basename(path), text) });
    printLine(`${path}\nthread_ref=${spec.threadRef}`);
  });
  withExamples(
    packet
      .command('list')
      .description('the packets: target, thread_ref, blocker or not')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl packet list', 'each packet: workstream, target, thread_ref, file'],
      ['hutctl packet list --json', 'the same as JSON'],
    ],
  ).action(async (o: { docs?: string; json?: boolean }) => {
    const { lib, root } = await openDocs(o.docs);
    const { packets, skipped } = lib.listPackets(join(root, lib.COORDINATION, 'delegations'));
    for (const why of skipped) note(`hutctl: warning: ${oneLine(why)}; skipped`);
    if (o.json) return printJson(packets);
    for (const p of packets)
      printLine(
        `${`${p.goal}/${p.ws}`.padEnd(13)} ${p.target.padEnd(13)} ${(p.thread_ref ?? '-').padEnd(24)} ${p.blocker ? 'blocker ' : ''}${p.file}`,
      );
  });

  withExamples(
    program
      .command('role')
      .description('role repositories')
      .command('init')
      .description(
        'scaffold a role repository: AGENTS.md, workstream board, handoff log, evidence/, scripts/',
      )
      .argument('<role>', 'infra or runner')
      .argument('<dir>', 'where the role repository goes (refused if it already has the files)')
      .option('--json', 'print the created files as JSON'),
    [
      [
        'hutctl role init runner ~/workspaces/codex-runner-agent',
        "the runner's repository: AGENTS.md, board, log",
      ],
      ['hutctl role init infra ~/workspaces/codex-infra-agent', 'the same for infra'],
    ],
  ).action(async (role: string, dir: string, o: { json?: boolean }) => {
    if (role !== 'infra' && role !== 'runner')
      throw new HutError('USAGE', `role ${role}: expected infra or runner`);
    if (!dir.trim()) throw new HutError('USAGE', 'role init: the directory may not be empty');
    const { initRole } = await import('../../docs/index.ts');
    const files = await initRole(role, dir);
    if (o.json) return printJson({ role, dir, files });
    printLine(`created in ${dir}: ${files.join(', ')}`);
  });

  withExamples(
    program
      .command('creds')
      .description('credentials')
      .command('check')
      .description(
        'the GitLab credential contract: dir 0700, role files 0600, required variables set (names and states, never values)',
      )
      .option('--role <role>', 'only this role file (codex, arch, infra, runner)')
      .option('--json', 'print as JSON'),
    [
      ['hutctl creds check', 'all four role files and their variables'],
      ['hutctl creds check --role runner', "on the runner's host: only its own file"],
    ],
  ).action(async (o: { role?: string; json?: boolean }) => {
    if (o.role !== undefined && !['codex', 'arch', 'infra', 'runner'].includes(o.role))
      throw new HutError('USAGE', `--role ${o.role}: expected codex, arch, infra or runner`);
    const { checkCreds } = await import('../../docs/index.ts');
    const checks = checkCreds(o.role ? { role: o.role } : {});
    const ok = checks.every((c) => c.ok);
    if (o.json) printJson({ ok, checks });
    else {
      for (const c of checks) printLine(`${c.ok ? 'ok  ' : 'FAIL'}  ${c.subject}: ${c.state}`);
      printLine(ok ? 'credentials contract met' : 'credentials contract not met');
    }
    process.exitCode = ok ? 0 : 1;
  });
}

interface PacketOptions {
  role: string;
  title: string;
  slug: string;
  goalText: string;
  task: string[];
  done?: string[];
  threadRef?: string;
  repo?: string;
  blocker?: boolean;
  docs?: string;
  json?: boolean;
}
