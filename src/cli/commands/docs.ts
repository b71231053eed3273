/** `hutctl handoff|board|gate`: the coordination documents, edited by a tool instead of by hand. */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Command, Option } from 'commander';
import { STATUSES } from '../../docs/board-states.ts';
import { HutError } from '../../errors/index.ts';
import { withExamples } from '../help.ts';
import { printJson, printLine } from '../output.ts';
import { addDocsHistory } from './history.ts';

const docs = async (dir?: string) => {
  await knowSecrets();
  const docsLib = await import('../../docs/index.ts');
  const root = docsLib.findDocsRoot(dir ?? process.cwd());
  // The library with this repository's paths: a role repository keeps its board and log in
  // documentation/coordination/, the product repository in documentation/short-term/coordination/.
  const paths = docsLib.docPaths(root);
  const lib = {
    ...docsLib,
    BOARD: paths.board,
    HANDOFF_LOG: paths.handoffLog,
    TICKETS: paths.tickets,
    COORDINATION: paths.coordination,
  };
  // NOT_FOUND when it is missing; a FIFO, a device or a huge file is refused without waiting.
  const read = (rel: string) => lib.readDocument(join(root, rel));
  return {
    lib,
    root,
    read,
    boardPath: join(root, lib.BOARD),
    logPath: join(root, lib.HANDOFF_LOG),
  };
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Learns every secret this host's config and files name, so none reaches a document. */
async function knowSecrets(): Promise<void> {
  const { loadConfig } = await import('../../config/index.ts');
  const { collectSecrets } = await import('../../secrets/index.ts');
  collectSecrets((await loadConfig().catch(() => null))?.config ?? null);
}

export function register(program: Command): void {
  addDocsHistory(
    program
      .command('docs')
      .description('the documents as hutctl changed them: the history of its edits'),
  );
  const handoff = program
    .command('handoff')
    .description('the handoff log: add validated entries, list them');
  withExamples(
    handoff
      .command('add')
      .description(
        'add an entry at the top of the log (all nine fields validated; executor= required for execute)',
      )
      .requiredOption('--agent <role:id>', 'who: arch:codex, runner:codex, infra:agent, …')
      .requiredOption('--goal <GOAL-nnn/WSn>', 'goal/workstream')
      .requiredOption('--context <context>', 'arch-local | infra-live | runner-live')
      .requiredOption('--action <type>', 'scaffold | delegate | execute | replan')
      .requiredOption('--operator-required <yes|no>', 'whether the operator must act')
      .requiredOption('--summary <text>', 'what was done (commit SHAs, evidence paths)')
      .requiredOption('--next <text>', 'the concrete next step')
      .option('--blocker <text>', "none, or DEP:<what> (joined with ' + ')", 'none')
      .option('--executor <how>', 'remote_codex | ssh_direct (required for execute)')
      .option(
        '--tag <key=value>',
        'more tags: thread_ref=…, ticket_id=…, ticket_tracking=declined (repeatable)',
        collect,
      )
      .option('--docs <dir>', 'the repository (default: found from here upward)')
      .option('--json', 'print the entry as JSON'),
    [
      [
        "hutctl handoff add --agent arch:codex --goal GOAL-001/WS9 --context arch-local --action scaffold --operator-required no --summary 'WS9 board rows' --next 'runner: claim WS9'",
        'record a step of the work',
      ],
      [
        "hutctl handoff add --agent runner:codex --goal GOAL-001/WS9 --context runner-live --action execute --operator-required no --executor ssh_direct --summary 'power cycle hut-01: ok' --next 'arch: review'",
        'an execute entry names its executor',
      ],
    ],
  ).action(async (o: AddOptions) => {
    const { lib, root, read } = await docs(o.docs);
    const tags: Record<string, string> = {};
    if (o.executor) tags.executor = o.executor;
    for (const tag of o.tag ?? []) {
      const [key, ...rest] = tag.split('=');
      if (!key || rest.length === 0)
        throw new HutError('USAGE', `--tag ${tag}: expected key=value`);
      tags[key] = rest.join('=');
    }
    const { addHandoff } = await import('../../docs/add-handoff.ts');
    const { path: logPath, line } = await addHandoff(
      root,
      {
        agent: o.agent,
        goal: o.goal,
        context: o.context,
        action_type: o.action,
        operator_required: o.operatorRequired,
        summary: o.summary,
        next_action: o.next,
        blocker: o.blocker,
        tags,
      },
      {
        repository: root,
        edit: 'handoff-entry',
        summary: `${o.goal} ${o.action}: ${o.summary}`,
        by: o.agent,
        command: 'handoff add',
      },
    );
    if (o.json) printJson(lib.parseHandoffLog(read(lib.HANDOFF_LOG), lib.HANDOFF_LOG)[0]);
    else printLine(`added to ${logPath}:\n${line}`);
  });
  withExamples(
    handoff
      .command('list')
      .description('the entries, newest first, with filters')
      .option('--goal <prefix>', 'goal/workstream, e.g. GOAL-001 or GOAL-001/WS8')
      .option('--agent <agent>', 'exact agent')
      .option('--action <type>', 'action_type')
      .option('--since <date>', 'on or after this UTC date or instant')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      [
        'hutctl handoff list --goal GOAL-001/WS8 --since 2026-02-13',
        "one workstream's entries since a day",
      ],
      ['hutctl handoff list --agent runner:codex --action execute', 'what runner:codex executed'],
    ],
  ).action(
    async (o: {
      goal?: string;
      agent?: string;
      action?: string;
      since?: string;
      docs?: string;
      json?: boolean;
    }) => {
      const { lib, read } = await docs(o.docs);
      const since = o.since ? Date.parse(o.since) : null;
      if (o.since && Number.isNaN(since))
        throw new HutError('USAGE', `--since ${o.since}: expected a date such as 2026-02-13`);
      const entries = lib
        .parseHandoffLog(read(lib.HANDOFF_LOG), lib.HANDOFF_LOG)
        .filter(
          (e) =>
            (!o.goal ||
              e.goal === o.goal ||
              e.goal.startsWith(`${o.goal}/`) ||
              e.goal.startsWith(`${o.goal}-`)) &&
            (!o.agent || e.agent === o.agent) &&
            (!o.action || e.action_type === o.action) &&
            (since === null || (e.utc !== null && Date.parse(e.utc) >= since)),
        );
      if (o.json) return printJson(entries);
      for (const e of entries)
        printLine(
          `${e.timestamp}  ${e.agent.padEnd(13)} ${e.goal.padEnd(16)} ${(e.action_type ?? 'legacy').padEnd(9)} ${e.summary.slice(0, 100)}`,
        );
    },
  );

  const board = program
    .command('board')
    .description('the workstream board: show it, claim a workstream, move its status');
  withExamples(
    board
      .command('show')
      .description('the workstream rows and the role activation tracker')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl board show', 'every workstream: status, owner, title; role activation'],
      [
        'hutctl board show --docs ~/src/squeezelite-esp32 --json',
        "another repository's board, as JSON",
      ],
    ],
  ).action(async (o: { docs?: string; json?: boolean }) => {
    const { lib, read } = await docs(o.docs);
    const parsed = lib.parseBoard(read(lib.BOARD), lib.BOARD);
    if (o.json) return printJson(parsed);
    printLine(`Last updated: ${parsed.lastUpdated?.value ?? '(none)'}`);
    for (const r of parsed.rows)
      printLine(
        `${`${r.goal}/${r.ws}`.padEnd(14)} ${r.status.padEnd(12)} ${r.owner.padEnd(13)} ${r.title}${r.extra.length ? `  [${r.extra.length} extra cell(s)]` : ''}`,
      );
    for (const a of parsed.activation) printLine(`role ${a.role}: ${a.owner} ${a.state}`);
  });
  const setter = (name: string, description: string) =>
    board
      .command(name)
      .description(description)
      .argument('<GOAL-nnn/WSn>', 'the workstream, e.g. GOAL-001/WS9')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the row as JSON');
  withExamples(
    setter('claim', 'set the owner of a workstream').argument(
      '<owner>',
      'the new owner, <role>:<id>, e.g. runner:codex',
    ),
    [['hutctl board claim GOAL-002/WS1 runner:codex', 'runner:codex owns GOAL-002/WS1']],
  ).action(async (ref: string, owner: string, o: { docs?: string; json?: boolean }) => {
    await changeRow('board claim', o.docs, ref, { owner }, o.json);
  });
  withExamples(
    setter(
      'set',
      'move status (blocked needs --blockers, done needs evidence in --next-action), owner, next action',
    )
      .addOption(new Option('--status <status>', 'the new status').choices(STATUSES))
      .option('--owner <owner>', '<role>:<id>')
      .option('--blockers <text>', "none, or DEP:<what> (joined with ' + ')")
      .option('--next-action <text>', 'the next action (for done: the evidence)'),
    [
      [
        "hutctl board set GOAL-001/WS9 --status blocked --blockers 'DEP:relay wiring'",
        'blocked, and on what',
      ],
      ['hutctl board set GOAL-001/WS9 --status in_progress', 'work has started'],
      [
        "hutctl board set GOAL-001/WS9 --status done --next-action '`3f2c1ab`'",
        'done; its evidence is commit 3f2c1ab',
      ],
    ],
  ).action(
    async (
      ref: string,
      o: {
        docs?: string;
        json?: boolean;
        status?: string;
        owner?: string;
        blockers?: string;
        nextAction?: string;
      },
    ) => {
      await changeRow(
        'board set',
        o.docs,
        ref,
        {
          ...(o.status ? { status: o.status } : {}),
          ...(o.owner ? { owner: o.owner } : {}),
          ...(o.blockers ? { blockers: o.blockers } : {}),
          ...(o.nextAction ? { next_action: o.nextAction } : {}),
        },
        o.json,
      );
    },
  );

  const ticket = program
    .command('ticket')
    .description('the ad hoc ticket queue (ADHOC-YYYYMMDD-NN)');
  withExamples(
    ticket
      .command('add')
      .description('open a ticket with the next free id of the day')
      .requiredOption('--scope <text>', 'what was asked')
      .requiredOption('--goal <goal/ws>', 'linked goal/workstream, e.g. GOAL-001/governance')
      .requiredOption('--owner <role:id>', 'who owns it')
      .requiredOption('--next <text>', 'next action')
      .option('--requested-by <who>', 'operator, user, …', 'operator')
      .option('--evidence <text>', 'evidence pointers', '-')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the ticket as JSON'),
    [
      [
        "hutctl ticket add --scope 'Wire the relay of hut-03' --goal GOAL-001/WS9 --owner runner:codex --next 'order relay'",
        'open ADHOC-<today>-NN',
      ],
    ],
  ).action(
    async (o: {
      scope: string;
      goal: string;
      owner: string;
      next: string;
      requestedBy: string;
      evidence: string;
      docs?: string;
      json?: boolean;
    }) => {
      const { lib, root, read } = await docs(o.docs);
      let id = '';
      const note = {
        repository: root,
        edit: 'ticket-add',
        summary: `${o.goal}: ${o.scope}`,
        command: 'ticket add',
      };
      await lib.editDocument(
        join(root, lib.TICKETS),
        (text) => {
          const added = lib.addTicket(text, lib.TICKETS, {
            requested_by: o.requestedBy,
            scope: o.scope,
            goal: o.goal,
            owner: o.owner,
            next_action: o.next,
            evidence: o.evidence,
          });
          id = added.id;
          note.summary = `${id} opened for ${o.goal}: ${o.scope}`;
          return added.text;
        },
        { note },
      );
      const t = lib.parseTickets(read(lib.TICKETS), lib.TICKETS).find((x) => x.id === id)!;
      if (o.json) printJson(t);
      else printLine(`${id} opened (put ticket_id=${id} in the handoff summary)`);
    },
  );
  withExamples(
    ticket
      .command('set')
      .description("change a ticket's status, owner, next action or evidence")
      .argument('<id>', 'the ticket, ADHOC-YYYYMMDD-NN')
      .option('--status <status>', 'open | in_progress | blocked | done | declined')
      .option('--owner <role:id>', 'the new owner')
      .option('--next <text>', 'the next action')
      .option('--evidence <text>', 'evidence pointers (log paths, commit SHAs)')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the updated ticket as JSON'),
    [
      [
        'hutctl ticket set ADHOC-20260212-01 --status in_progress',
        'work on the ticket has started',
      ],
      [
        'hutctl ticket set ADHOC-20260212-01 --status done --evidence 3f2c1ab',
        'done, with its evidence',
      ],
    ],
  ).action(
    async (
      id: string,
      o: {
        status?: string;
        owner?: string;
        next?: string;
        evidence?: string;
        docs?: string;
        json?: boolean;
      },
    ) => {
      const { lib, root, read } = await docs(o.docs);
      const change = {
        ...(o.status ? { status: o.status } : {}),
        ...(o.owner ? { owner: o.owner } : {}),
        ...(o.next ? { next_action: o.next } : {}),
        ...(o.evidence ? { evidence: o.evidence } : {}),
      };
      if (Object.keys(change).length === 0)
        throw new HutError(
          'USAGE',
          'nothing to change: pass --status, --owner, --next or --evidence',
        );
      await lib.editDocument(
        join(root, lib.TICKETS),
        (text) => lib.setTicket(text, lib.TICKETS, id, change),
        {
          note: {
            repository: root,
            edit: 'ticket-set',
            summary: `${id}: ${changes(change)}`,
            command: 'ticket set',
          },
        },
      );
      if (o.json) {
        return printJson(lib.parseTickets(read(lib.TICKETS), lib.TICKETS).find((t) => t.id === id));
      }
      printLine(`${id} updated`);
    },
  );
  withExamples(
    ticket
      .command('list')
      .description('the tickets')
      .option('--status <status>', 'only this status')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl ticket list --status open', 'the open tickets'],
      ['hutctl ticket list --json', 'every ticket, as JSON'],
    ],
  ).action(async (o: { status?: string; docs?: string; json?: boolean }) => {
    const { lib, read } = await docs(o.docs);
    const tickets = lib
      .parseTickets(read(lib.TICKETS), lib.TICKETS)
      .filter((t) => !o.status || t.status === o.status);
    if (o.json) return printJson(tickets);
    for (const t of tickets)
      printLine(`${t.id}  ${t.status.padEnd(11)} ${t.owner.padEnd(12)} ${t.scope.slice(0, 90)}`);
  });

  const transport = program
    .command('transport')
    .description('the remote transport lock record (remote_transport_lock.md)');
  withExamples(
    transport
      .command('status')
      .description('evaluating or locked, primary and fallback transport')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl transport status', 'evaluating or locked, and on what'],
      ['hutctl transport status --json', 'the record as JSON'],
    ],
  ).action(async (o: { docs?: string; json?: boolean }) => {
    const { lib, read } = await docs(o.docs);
    const lock = lib.parseTransportLock(read(lib.TRANSPORT_LOCK), lib.TRANSPORT_LOCK);
    if (o.json) return printJson(lock);
    printLine(
      `${lock.status}: primary ${lock.primary_transport}, fallback ${lock.fallback_transport}${lock.locked_at_utc ? `, locked at ${lock.locked_at_utc}` : ''}`,
    );
  });
  withExamples(
    transport
      .command('lock')
      .description('lock the mechanism: no re-litigating transport per session afterwards')
      .argument('<primary>', 'codex_app_server | codex_mcp_server | ssh')
      .option('--fallback <transport>', 'the break-glass path', 'ssh')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the lock record as JSON'),
    [
      ['hutctl transport lock codex_app_server', 'the App Server, with ssh as the fallback'],
      ['hutctl transport lock ssh --fallback codex_app_server', 'codex exec over SSH first'],
    ],
  ).action(async (primary: string, o: { fallback: string; docs?: string; json?: boolean }) => {
    const { lib, root, read } = await docs(o.docs);
    await lib.editDocument(
      join(root, lib.TRANSPORT_LOCK),
      (text) => lib.lockTransport(text, lib.TRANSPORT_LOCK, primary, o.fallback),
      {
        note: {
          repository: root,
          edit: 'transport-lock',
          summary: `locked: primary ${primary}, fallback ${o.fallback}`,
          command: 'transport lock',
        },
      },
    );
    const lock = lib.parseTransportLock(read(lib.TRANSPORT_LOCK), lib.TRANSPORT_LOCK);
    if (o.json) return printJson(lock);
    printLine(
      `locked: primary ${lock.primary_transport}, fallback ${lock.fallback_transport} at ${lock.locked_at_utc}`,
    );
  });

  withExamples(
    program
      .command('lint')
      .description('lint documents')
      .command('docs')
      .description(
        "markdownlint's rules plus hutctl's semantic rules, with a ratchet baseline (CI fails only when findings increase)",
      )
      .argument(
        '[files...]',
        'only these files (relative to the repository); default: documentation/short-term and documentation/agents',
      )
      .option(
        '--baseline <file>',
        'the ratchet baseline (default: <repo>/.hutctl-lint-baseline.json)',
      )
      .option('--update-baseline', 'accept the current findings as the baseline')
      .option('--strict', 'fail on any error or warning, whatever the baseline')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print findings and the GOAL-003 report fields as JSON')
      .addHelpText(
        'after',
        '\nExit: 0 when no rule has more findings than the baseline (or none at all with --strict), 1 otherwise.\nInfo findings (legacy handoff entries: accepted history) never count.',
      ),
    [
      ['hutctl lint docs', 'fail only when a rule has more findings than the baseline'],
      ['hutctl lint docs --update-baseline', "accept today's findings as the baseline"],
      ['hutctl lint docs --strict', 'fail on any error or warning, whatever the baseline'],
    ],
  ).action(
    async (
      files: string[],
      o: {
        baseline?: string;
        updateBaseline?: boolean;
        strict?: boolean;
        docs?: string;
        json?: boolean;
      },
    ) => {
      const { root, lib: docsLib } = await docs(o.docs);
      // markdownlint is loaded only for this command.
      const lib = await import('../../docs/lint.ts');
      const { existsSync } = await import('node:fs');
      const findings = lib.lintDocs(root, files.length ? files : undefined);
      const counts = lib.countByRule(findings);
      const baselinePath = o.baseline ?? join(root, '.hutctl-lint-baseline.json');
      const baseline: Record<string, number> = existsSync(baselinePath)
        ? (JSON.parse(readFileSync(baselinePath, 'utf8')) as { counts: Record<string, number> })
            .counts
        : {};
      if (o.updateBaseline) {
        const text = `${JSON.stringify({ counts }, null, 2)}\n`;
        await docsLib.editDocument(baselinePath, () => text, {
          create: true,
          note: {
            repository: root,
            edit: 'lint-baseline',
            summary: `${Object.values(counts).reduce((a, b) => a + b, 0)} finding(s) accepted as the baseline`,
            command: 'lint docs --update-baseline',
          },
        });
      }
      const increased = o.strict
        ? Object.entries(counts).map(([r, n]) => `${r}: ${n}`)
        : lib.ratchet(counts, o.updateBaseline ? counts : baseline);
      const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
      const report = {
        scope: files.length ? files : ['documentation/short-term', 'documentation/agents'],
        command: `hutctl lint docs${o.strict ? ' --strict' : ''}`,
        before_errors: total(baseline),
        after_errors: total(counts),
        residual_risk: Object.keys(counts).length
          ? `open findings by rule: ${Object.entries(counts)
              .map(([r, n]) => `${r} ${n}`)
              .join(', ')}`
          : 'none',
      };
      if (o.json)
        printJson({
          passed: increased.length === 0,
          report,
          counts,
          baseline,
          increased,
          findings,
        });
      else {
        for (const f of findings)
          if (f.severity !== 'info')
            printLine(`${f.file}:${f.line}: ${f.severity} ${f.rule}: ${f.message}`);
        const info = findings.filter((f) => f.severity === 'info').length;
        printLine(
          `${report.after_errors} finding(s) (baseline ${report.before_errors})${info ? `, ${info} legacy entr${info === 1 ? 'y' : 'ies'} accepted as history` : ''}`,
        );
        if (increased.length) printLine(`increased: ${increased.join('; ')}`);
        if (o.updateBaseline) printLine(`baseline written: ${baselinePath}`);
      }
      process.exitCode = increased.length === 0 ? 0 : 1;
    },
  );

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
    const { lib, root } = await docs(o.docs);
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
    const { lib, root } = await docs(o.docs);
    const { readdirSync, existsSync } = await import('node:fs');
    const dir = join(root, lib.COORDINATION, 'delegations');
    const packets = (existsSync(dir) ? readdirSync(dir) : [])
      .filter((f) => f.endsWith('_packet.md'))
      .sort()
      .map((f) => lib.parsePacket(f, readFileSync(join(dir, f), 'utf8')))
      .filter((p) => p !== null);
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

  const goal = program
    .command('goal')
    .description('GOAL documents: header, workstreams, deliverables checklist');
  const goalFile = async (dir: string | undefined, id: string) => {
    const d = await docs(dir);
    if (!/^GOAL-\d{3}$/.test(id)) throw new HutError('USAGE', `${id}: expected GOAL-nnn`);
    const { readdirSync } = await import('node:fs');
    const name = readdirSync(join(d.root, d.lib.ACTIVE_GOALS)).find(
      (f) => f.startsWith(`${id}-`) && f.endsWith('.md'),
    );
    if (!name) throw new HutError('NOT_FOUND', `no ${id}-*.md in ${d.lib.ACTIVE_GOALS}`);
    return { ...d, rel: `${d.lib.ACTIVE_GOALS}/${name}` };
  };
  withExamples(
    goal
      .command('show')
      .description('a GOAL: title, status, owner, last update, workstreams and the checklist')
      .argument(
        '<GOAL-nnn>',
        'the goal, e.g. GOAL-001 (documentation/short-term/active/GOAL-001-*.md)',
      )
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl goal show GOAL-001', 'status, owner, workstreams, checklist n/m'],
      ['hutctl goal show GOAL-001 --json', 'the same as JSON'],
    ],
  ).action(async (id: string, o: { docs?: string; json?: boolean }) => {
    const { lib, read, rel } = await goalFile(o.docs, id);
    const g = lib.parseGoal(read(rel), rel);
    if (o.json) return printJson(g);
    printLine(
      `${g.id}: ${g.title} — ${g.status ?? '?'}, owner ${g.owner ?? '?'}, last updated ${g.last_updated ?? '?'}`,
    );
    printLine(`workstreams: ${g.workstreams.map((w) => w.ws).join(', ') || '-'}`);
    printLine(`checklist: ${g.checklist.filter((c) => c.checked).length}/${g.checklist.length}`);
    for (const c of g.checklist) printLine(`  [${c.checked ? 'x' : ' '}] ${c.text}`);
  });
  withExamples(
    goal
      .command('tick')
      .description('tick (or --undo) the deliverables checklist item whose text contains <match>')
      .argument('<GOAL-nnn>', 'the goal, e.g. GOAL-001')
      .argument('<match>', "part of the item's text, enough to match one item")
      .option('--undo', 'untick it')
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print the checklist after the change as JSON'),
    [
      ["hutctl goal tick GOAL-001 'Runner VM provisioned'", 'tick the item that says so'],
      ["hutctl goal tick GOAL-001 'Runner VM provisioned' --undo", 'untick it'],
    ],
  ).action(
    async (id: string, match: string, o: { undo?: boolean; docs?: string; json?: boolean }) => {
      const { lib, root, rel } = await goalFile(o.docs, id);
      const today = new Date().toISOString().slice(0, 10);
      await lib.editDocument(
        join(root, rel),
        (text) => lib.tickChecklist(text, rel, match, !o.undo, today),
        {
          note: {
            repository: root,
            edit: 'goal-checklist',
            summary: `${id}: ${o.undo ? 'unticked' : 'ticked'} ${JSON.stringify(match)}`,
            command: 'goal tick',
          },
        },
      );
      if (o.json) {
        const text = lib.readDocument(join(root, rel));
        return printJson(lib.parseGoal(text, rel).checklist);
      }
      printLine(
        `${id}: ${o.undo ? 'unticked' : 'ticked'} the item matching ${JSON.stringify(match)}`,
      );
    },
  );

  withExamples(
    program
      .command('gate')
      .description('the Delegation Gate')
      .command('check')
      .description(
        'owner, activation state, first role-context handoff, operator gate, executor: each pass/fail; exit 1 when closed',
      )
      .argument('<GOAL-nnn/WSn>', 'the workstream to delegate, e.g. GOAL-001/WS9')
      .option(
        '--stateful',
        'destructive or stateful work: needs activation state >= first_heartbeat',
      )
      .option('--docs <dir>', 'the repository')
      .option('--json', 'print as JSON'),
    [
      ['hutctl gate check GOAL-001/WS9', 'may GOAL-001/WS9 be delegated; exit 1 when not'],
      ['hutctl gate check GOAL-001/WS9 --stateful', 'for work that changes state on the host'],
    ],
  ).action(async (ref: string, o: { stateful?: boolean; docs?: string; json?: boolean }) => {
    const { lib, read } = await docs(o.docs);
    const checks = lib.delegationGate(
      lib.parseBoard(read(lib.BOARD), lib.BOARD),
      lib.parseHandoffLog(read(lib.HANDOFF_LOG), lib.HANDOFF_LOG),
      ref,
      o.stateful === true,
    );
    const open = checks.every((c) => c.pass);
    if (o.json) printJson({ gate: ref, open, checks });
    else {
      for (const c of checks) printLine(`${c.pass ? 'pass' : 'FAIL'}  ${c.check}: ${c.detail}`);
      printLine(`${ref}: gate ${open ? 'open' : 'closed'}`);
    }
    process.exitCode = open ? 0 : 1;
  });
}

/** `status=done, owner=runner:codex`: what a command changed, for the ledger. */
const changes = (change: Record<string, string>) =>
  Object.entries(change)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');

async function changeRow(
  command: string,
  dir: string | undefined,
  ref: string,
  change: Record<string, string>,
  json?: boolean,
): Promise<void> {
  const { lib, boardPath, read, root } = await docs(dir);
  if (Object.keys(change).length === 0)
    throw new HutError(
      'USAGE',
      'nothing to change: pass --status, --owner, --blockers or --next-action',
    );
  const today = new Date().toISOString().slice(0, 10);
  await lib.editDocument(
    boardPath,
    (text) => lib.editRow(text, lib.parseBoard(text, lib.BOARD), ref, change, today),
    {
      note: {
        repository: root,
        edit: 'board-row',
        summary: `${ref}: ${changes(change)}`,
        command,
      },
    },
  );
  const row = lib.findRow(lib.parseBoard(read(lib.BOARD), lib.BOARD), ref);
  if (json) printJson(row);
  else
    printLine(
      `${ref}: ${row.status}, owner ${row.owner}, blockers ${row.blockers}; next: ${row.next_action}`,
    );
}

interface AddOptions {
  agent: string;
  goal: string;
  context: string;
  action: string;
  operatorRequired: string;
  summary: string;
  next: string;
  blocker: string;
  executor?: string;
  tag?: string[];
  docs?: string;
  json?: boolean;
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
