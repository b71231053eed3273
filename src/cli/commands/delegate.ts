/** `hutctl delegate <role> …`, `hutctl delegate cancel <job_id>`, `hutctl threads list|show`. */
import type { Command } from 'commander';
import { HutError, oneLine } from '../../errors/index.ts';
import { randomHex } from '../../files/index.ts';
import { type GlobalOptions, loadFor } from '../context.ts';
import { withExamples } from '../help.ts';
import { printOutcome, withCancelOnSignal } from '../job-outcome.ts';
import { wholeNumber } from '../numbers.ts';
import { note, printJson, printLine } from '../output.ts';
import { addThreadsHistory } from './history.ts';

interface DelegateCliOptions {
  packet?: string;
  prompt?: string;
  thread?: string;
  goal?: string;
  timeout?: string;
  approve: string;
  acceptCommand?: string[];
  jobId?: string;
  evidenceDir?: string;
  breakGlass?: boolean;
  mcp?: boolean;
  docs?: string;
  agent: string;
  json?: boolean;
}

const DEFAULT_TIMEOUT = { infra: 600, runner: 1800 } as Record<string, number>;

export function register(program: Command): void {
  withExamples(
    program
      .command('delegate')
      .description(
        "prompt a role's Codex runtime through the Codex App Server and follow the turn (or: delegate cancel <job_id>)",
      )
      .argument('<role>', "the role whose Codex to prompt (arch, infra, runner) — or 'cancel'")
      .argument('[job_id]', 'with cancel: the delegation to interrupt')
      .option('--packet <file.md>', 'the prompt: a delegation packet')
      .option('--prompt <text>', 'the prompt: text')
      .option(
        '--thread <thread_ref>',
        'continue this thread (thread/resume) instead of starting one',
      )
      .option('--goal <GOAL-nnn/WSn>', 'what the thread works on (kept for `hutctl threads`)')
      .option(
        '--timeout <sec>',
        'deadline for the turn (default: infra 600, runner 1800); then turn/interrupt',
      )
      .option('--approve <policy>', 'never (no approvals asked) | accept | decline', 'never')
      .option(
        '--accept-command <text>',
        'with --approve accept: only commands containing this (repeatable)',
        (v: string, p: string[] = []) => [...p, v],
      )
      .option(
        '--break-glass',
        "use the SSH fallback (codex exec --json over the role's transport) instead of the App Server; logged",
      )
      .option(
        '--mcp',
        "give the role's Codex hutctl's MCP server (hutctl mcp --as <role>:codex on its host): it works on the boards through it (default: the target's codex.mcp)",
      )
      .option('--no-mcp', "not this time, whatever the target's codex.mcp says")
      .option(
        '--docs <dir>',
        'the repository with the coordination documents (default: found from here upward, if any)',
      )
      .option('--agent <role:id>', 'who delegates, for the handoff entry', 'arch:codex')
      .option('--job-id <id>', 'default: delegate-<role>-<YYYYMMDD-HHMMSS>-<random>')
      .option('--evidence-dir <dir>', 'where the protocol log and the report go')
      .option('--json', 'print the report')
      .addHelpText(
        'after',
        `
Configure the role's App Server in hutctl.yaml (default command: codex app-server):
  targets: {runner: {transport: ssh, host: …, codex: {command: [codex, app-server], codex_home: /home/runner/.codex}}}
With codex.mcp: true (or --mcp) its Codex gets the boards as MCP tools (docs/mcp.md).
The report (ws2.report.v1, executor remote_codex) carries thread_ref, the final message as
human_summary, the commands the turn ran, and token usage; exit 0 success, 1 failed,
124 timeout, 130 cancelled (an unreachable host is failed, with exit_code 255 in the report).`,
      ),
    [
      [
        'hutctl delegate runner --packet packet.md --goal GOAL-001/WS9',
        "prompt the runner's Codex with a packet",
      ],
      [
        "hutctl delegate runner --mcp --prompt 'Lease an esp32 board, run the selftest' --timeout 900",
        "15 minutes at most; its Codex works on the boards through hutctl's MCP tools",
      ],
      ['hutctl delegate cancel delegate-runner-20260213-101500-9f3a', 'interrupt a running turn'],
    ],
  ).action(
    async (role: string, jobIdArg: string | undefined, o: DelegateCliOptions, command: Command) => {
      const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
      if (role === 'cancel') {
        if (!jobIdArg) throw new HutError('USAGE', 'delegate cancel <job_id>');
        const { checkId } = await import('../../contract/index.ts');
        checkId('job_id', jobIdArg);
        const { requestCancel } = await import('../../jobs/index.ts');
        const path = await requestCancel(config.paths.cancelDir, jobIdArg, true);
        printLine(`cancel requested for ${jobIdArg}: ${path}`);
        return;
      }
      if (!o.packet === !o.prompt)
        throw new HutError('USAGE', 'give exactly one of --packet <file.md> or --prompt <text>');
      if (!['never', 'accept', 'decline'].includes(o.approve))
        throw new HutError('USAGE', '--approve: never, accept or decline');
      const { resolveTarget } = await import('../../config/index.ts');
      const target = resolveTarget(config, role);
      let prompt = o.prompt ?? '';
      // A packet names its goal and, with `thread_ref=`, the thread it continues (`--thread`
      // wins; without it, two lines naming different threads are refused before anything runs).
      let packet: { goal: string; ws: string } | null = null;
      let packetThread: string | null = null;
      if (o.packet) {
        const { readInput } = await import('../read-input.ts');
        prompt = (await readInput(o.packet)).text;
        const { packetThreadRef, parsePacket } = await import('../../docs/index.ts');
        packet = parsePacket(o.packet, prompt);
        if (packet && !o.thread) packetThread = packetThreadRef(o.packet, prompt);
      }
      const timeoutSec = o.timeout
        ? wholeNumber(o.timeout, '--timeout', 1, 14_400)
        : (DEFAULT_TIMEOUT[role] ?? 1800);
      const { delegate, findThread } = await import('../../delegate/index.ts');
      const { checkId } = await import('../../contract/index.ts');
      let threadRef = o.thread;
      let packetRef: string | undefined;
      // A template's placeholder (`thread_ref=...`, `thread_ref=<value>`) names no thread; any
      // other value must be a thread_ref (a hostile one is refused, never silently dropped).
      if (!threadRef && packetThread) {
        packetRef = checkId('thread_ref', packetThread, `${o.packet}: thread_ref=`);
        threadRef = (await findThread(config.paths.stateDir, packetRef))?.thread_ref;
        if (threadRef)
          note(`hutctl: ${o.packet}: thread_ref=${packetRef} continues thread ${threadRef}`);
      }
      const goal =
        o.goal ??
        (packet ? `${packet.goal}/${packet.ws}` : undefined) ??
        (threadRef ? (await findThread(config.paths.stateDir, threadRef))?.goal : undefined);
      // The transport lock record decides the mechanism: app-server unless it is locked to ssh.
      const docsLib = await import('../../docs/index.ts');
      let root: string | null = null;
      try {
        root = docsLib.findDocsRoot(o.docs ?? process.cwd());
      } catch {
        if (o.docs) throw new HutError('NOT_FOUND', `no coordination documents in ${o.docs}`);
      }
      let mechanism: 'app-server' | 'exec' = 'app-server';
      let mechanismReason = 'default';
      if (root) {
        const { existsSync } = await import('node:fs');
        const { join } = await import('node:path');
        const lockFile = join(root, docsLib.TRANSPORT_LOCK);
        if (existsSync(lockFile)) {
          const lock = docsLib.parseTransportLock(
            docsLib.readDocument(lockFile),
            docsLib.TRANSPORT_LOCK,
          );
          if (lock.status === 'locked') {
            mechanism = lock.primary_transport === 'ssh' ? 'exec' : 'app-server';
            mechanismReason = `transport lock: ${lock.primary_transport}, locked at ${lock.locked_at_utc ?? '?'}`;
          }
        }
      }
      if (o.breakGlass) {
        mechanism = 'exec';
        mechanismReason = `break-glass fallback (${mechanismReason})`;
        note("hutctl: break-glass: codex exec --json over the role's transport, logged");
      }
      const { utcStamp } = await import('../../contract/index.ts');
      const jobId =
        o.jobId ?? `delegate-${role}-${utcStamp(new Date()).replace('_', '-')}-${randomHex(4)}`;
      // The handoff: action_type=delegate, executor=remote_codex, thread_ref=<id>.
      const handoff = (summary: string, threadRef: string) =>
        docsLib.formatHandoff(
          {
            agent: o.agent,
            goal: goal ?? '',
            context: 'arch-local',
            action_type: 'delegate',
            operator_required: 'no',
            summary,
            next_action: `review; continue with hutctl delegate ${role} --thread ${threadRef}`,
            tags: { executor: 'remote_codex', thread_ref: threadRef },
          },
          () => null,
        );
      // --agent and --goal are refused before the turn runs, not after.
      if (root && goal) handoff('delegating', 'pending');
      const outcome = await withCancelOnSignal((signal) =>
        delegate({
          config,
          role,
          target,
          prompt,
          jobId,
          ...(threadRef ? { threadRef } : {}),
          ...(packetRef ? { packetRef } : {}),
          ...(goal ? { goal } : {}),
          timeoutSec,
          approval: o.approve as 'never' | 'accept' | 'decline',
          ...(o.acceptCommand ? { acceptCommands: o.acceptCommand } : {}),
          evidenceDir: o.evidenceDir ?? config.paths.evidenceDir,
          progress: o.json ? () => {} : (line) => note(`hutctl: ${line}`),
          signal,
          mechanism,
          mechanismReason,
          ...(o.breakGlass ? { breakGlass: true } : {}),
          mcp: o.mcp ?? (target.codex?.mcp !== undefined && target.codex.mcp !== false),
          ...(root && target.transport === 'local' ? { docsRoot: root } : {}),
        }),
      );
      // The handoff entry is one line: the answer flattened and cut, the full one in the report.
      // Writing it can fail (a lock, the disk); the delegation's result never does with it.
      if (root && goal && outcome.threadRef) {
        try {
          const answer = docsLib.flattenValue(String(outcome.report.human_summary), 'field');
          const cut = Array.from(answer);
          const line = handoff(
            `${outcome.report.status}: ${cut.slice(0, 300).join('')}${cut.length > 300 ? '…' : ''}${o.breakGlass ? ' (break-glass: codex exec over SSH)' : ''}; report \`${outcome.reportPath}\``,
            outcome.threadRef,
          );
          const { insertHandoffLine } = await import('../../docs/add-handoff.ts');
          await insertHandoffLine(root, line, {
            repository: root,
            edit: 'handoff-entry',
            summary: `${goal} delegate to ${role}: ${outcome.report.status}, thread_ref=${outcome.threadRef}`,
            by: o.agent,
            command: 'delegate',
            evidence: outcome.reportPath,
          });
          if (!o.json) note(`hutctl: handoff entry added (thread_ref=${outcome.threadRef})`);
        } catch (error) {
          note(
            `hutctl: warning: the handoff entry was not written (${oneLine((error as Error).message)}); the report is ${outcome.reportPath}`,
          );
        }
      }
      await printOutcome(
        { ...outcome, logPath: String(outcome.report.log_path) },
        o.json,
        ` thread ${outcome.threadRef ?? '-'}`,
      );
    },
  );

  const threads = program
    .command('threads')
    .description('which Codex thread works on what, and what it last said');
  addThreadsHistory(threads);
  withExamples(
    threads
      .command('list')
      .description('the threads: thread_ref, role, goal/workstream, status, job and last message')
      .option('--goal <GOAL-nnn/WSn>', 'only threads for this goal/workstream')
      .option('--json', 'print as JSON'),
    [
      ['hutctl threads list', 'every thread: role, goal, status, last message'],
      ['hutctl threads list --goal GOAL-001/WS9', 'the threads working on GOAL-001/WS9'],
    ],
  ).action(async (o: { goal?: string; json?: boolean }, command: Command) => {
    const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
    const { listThreads } = await import('../../delegate/index.ts');
    const all = (await listThreads(config.paths.stateDir)).filter(
      (t) => !o.goal || t.goal === o.goal,
    );
    if (o.json) return printJson(all);
    for (const t of all)
      printLine(
        `${t.thread_ref}  ${t.role.padEnd(7)} ${(t.goal ?? '-').padEnd(14)} ${t.status.padEnd(10)} ${t.job_id}  ${(t.last_message ?? '').slice(0, 60)}`,
      );
  });
  withExamples(
    threads
      .command('show')
      .description('one thread: role, goal/workstream, status, job and its last message in full')
      .argument('<thread_ref>', 'the thread, as threads list prints it')
      .option('--json', 'print as JSON'),
    [
      [
        'hutctl threads show 01a20eb6-0cb8-7df1-9a4b-5fc5c9f67e3e',
        'what the thread works on, and its last message',
      ],
      ['hutctl threads show 01a20eb6-0cb8-7df1-9a4b-5fc5c9f67e3e --json', 'the same as JSON'],
    ],
  ).action(async (ref: string, o: { json?: boolean }, command: Command) => {
    const { checkId } = await import('../../contract/index.ts');
    checkId('thread_ref', ref);
    const config = await loadFor(command.optsWithGlobals<GlobalOptions>());
    const { listThreads } = await import('../../delegate/index.ts');
    const t = (await listThreads(config.paths.stateDir)).find((x) => x.thread_ref === ref);
    if (!t) throw new HutError('NOT_FOUND', `no thread ${ref} in ${config.paths.stateDir}/threads`);
    if (o.json) return printJson(t);
    printLine(
      `${t.thread_ref}: ${t.role} ${t.goal ?? ''} ${t.status} (job ${t.job_id}, ${t.updated_utc})\n${t.last_message ?? ''}`,
    );
  });
}
