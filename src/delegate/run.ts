/**
 * Delegation: prompt the Codex runtime that lives on a role's host through `codex app-server`
 * (local, or over the role's SSH transport), on a new thread or a resumed one (`thread_ref`),
 * follow the turn to `turn/completed` under a deadline, answer approvals by policy, and end
 * with a ws2.report.v1 (executor remote_codex) next to a log of every protocol message.
 */
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import type { HutConfig, Target } from '../config/index.ts';
import { checkId, evidenceBaseName, type Report, utcIso } from '../contract/index.ts';
import { HutError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import {
  cancelFlagPath,
  clearCancel,
  EvidenceLog,
  prepareEvidenceDir,
  readCancel,
} from '../jobs/index.ts';
import { collectSecrets, redact as redactText } from '../secrets/index.ts';
import { noteEvidence } from '../store/ledger.ts';
import { transportFor } from '../transport/index.ts';
import { type ApprovalPolicy, answerApproval } from './approvals.ts';
import { accountProblem, appServerArgv, missingCodex, missingWorkdir, versionOf } from './codex.ts';
import { execArgv, type McpToolCall, runExecTurn, toolCall } from './exec.ts';
import {
  mcpEnvVars,
  mcpOverrides,
  mcpServerCommand,
  releaseLeft,
  withAppServerOptions,
} from './mcp.ts';
import { AppServerPeer, RpcError } from './rpc.ts';
import { findThread, recordThread } from './threads.ts';

export type { ApprovalPolicy } from './approvals.ts';

export interface DelegateOptions {
  config: HutConfig;
  role: string;
  target: Target;
  prompt: string;
  jobId: string;
  threadRef?: string;
  /** The packet's `thread_ref=` label, recorded with a new thread so the next packet resumes it. */
  packetRef?: string;
  goal?: string;
  timeoutSec: number;
  approval: ApprovalPolicy;
  /** Commands accepted without asking when the policy is `accept` (prefix match); empty = all. */
  acceptCommands?: string[];
  evidenceDir: string;
  progress?: (line: string) => void;
  signal?: AbortSignal;
  /** `app-server` (default), or `exec`: `codex exec --json`, the SSH mechanism. */
  mechanism?: 'app-server' | 'exec';
  /** Why `exec` was chosen, for the log and the report (the lock record, or a break-glass). */
  mechanismReason?: string;
  breakGlass?: boolean;
  /** Give the role's Codex hutctl's MCP server (mcp.ts), so it works on the boards through it. */
  mcp?: boolean;
  /** The team's documents, for the MCP server's add_handoff tool (a local target's). */
  docsRoot?: string;
}

export interface DelegateOutcome {
  report: Report;
  reportPath: string;
  threadRef: string | null;
  /** Set when the report (or the thread record) could not be written; the report is complete. */
  reportError?: string;
}

interface Turn {
  status: 'completed' | 'interrupted' | 'failed' | 'inProgress';
  error: string | null;
}

export async function delegate(options: DelegateOptions): Promise<DelegateOutcome> {
  const { config, target } = options;
  checkId('job_id', options.jobId, '--job-id');
  if (options.threadRef !== undefined) checkId('thread_ref', options.threadRef, '--thread');
  const progress = options.progress ?? (() => {});
  const mechanism = options.mechanism ?? 'app-server';
  const mcpCommand = options.mcp
    ? mcpServerCommand(config, options.role, target, options.docsRoot)
    : null;
  const mcpArgs = mcpCommand
    ? mcpOverrides(mcpCommand, {
        approval: options.approval,
        mechanism,
        toolTimeoutSec: options.timeoutSec,
        envVars: mcpEnvVars(config),
      })
    : [];
  const argv = withAppServerOptions(
    appServerArgv(target),
    mechanism === 'app-server' ? mcpArgs : [],
  );
  const transport = transportFor(target, config);
  const secrets = collectSecrets(config);
  const start = new Date();
  const base = evidenceBaseName(options.role, options.jobId, start);
  prepareEvidenceDir(options.evidenceDir, config.paths.shareGroup, true);
  const log = EvidenceLog.create(join(options.evidenceDir, `${base}.log`));
  const cancelPath = cancelFlagPath(config.paths.cancelDir, options.jobId);

  let threadRef: string | null = options.threadRef ?? null;
  // A resumed thread keeps what it works on unless told otherwise.
  const known = threadRef ? await findThread(config.paths.stateDir, threadRef) : null;
  const goal = options.goal ?? known?.goal ?? null;
  const packetRef = options.packetRef ?? known?.packet_ref ?? null;
  let codexVersion: string | null = null;
  let turnId: string | null = null;
  let finalMessage = '';
  const commands: Array<{ command: string; exit_code: number | null }> = [];
  const tools: McpToolCall[] = [];
  const files: string[] = [];
  // Tokens: the thread's cumulative total after the turn, and this turn's own (the sum of `last`),
  // in all and as input and output.
  const usage = {
    after: null as number | null,
    turn: 0,
    in: null as number | null,
    out: null as number | null,
  };
  let turns = 0;
  // Usage events as they came; only those of this turn count (a resumed thread reports its
  // earlier usage first, and events may come before turn/start's answer names the turn).
  const tokenEvents: {
    turnId: unknown;
    total: unknown;
    last: unknown;
    input: unknown;
    output: unknown;
  }[] = [];
  const provider = { failures: 0, reason: '', down: () => {} };
  const decisions: string[] = [];
  let turnDone: (turn: Turn) => void = () => {};
  const turnFinished = new Promise<Turn>((resolve) => {
    turnDone = resolve;
  });

  let status: Report['status'] = 'failed';
  let summary = '';
  let exitCode = 1;
  let peer: AppServerPeer | null = null;
  try {
    await transport.connect();
    // A local target's missing workdir fails its spawn as if codex were not there: say which.
    const workdir = missingWorkdir(transport);
    if (workdir) throw new Error(workdir);
    if (mcpCommand)
      void log.line(
        redactText(
          `# hutctl's MCP server for this turn, on ${transport.describe()}: ${mcpCommand.join(' ')}`,
          secrets,
        ),
      );
    if (options.mechanism === 'exec') {
      void log.line(
        `# ${options.breakGlass ? 'break-glass: ' : ''}codex exec --json on ${transport.describe()}${options.mechanismReason ? ` (${options.mechanismReason})` : ''}`,
      );
      const exec = execArgv(argv, options.threadRef, mcpArgs);
      const turn = await runExecTurn(transport, exec, options.prompt, {
        ...(target.workdir ? { cwd: target.workdir } : {}),
        timeoutMs: options.timeoutSec * 1000,
        ...(options.signal ? { signal: options.signal } : {}),
        record: (line) => void log.line(redactText(line, secrets)),
        progress,
      });
      threadRef = turn.threadRef ? fromServer(turn.threadRef) : threadRef;
      // codex exec that named its thread, or got as far as an outcome, ran the turn.
      if (turn.threadRef !== null || turn.status !== 'failed') turns = 1;
      commands.push(...turn.commands);
      tools.push(...turn.tools);
      if (turn.tokens !== null) usage.turn = turn.tokens;
      usage.in = turn.tokensIn;
      usage.out = turn.tokensOut;
      if (turn.status === 'completed') {
        status = 'success';
        exitCode = 0;
        summary = turn.finalMessage || '(the turn completed without a final message)';
      } else if (turn.status === 'timeout' || turn.status === 'cancelled') {
        status = turn.status;
        exitCode = turn.status === 'timeout' ? 124 : 130;
        summary = `${turn.status === 'timeout' ? `No answer within ${options.timeoutSec} s` : 'Cancelled'}; codex exec was ended (thread ${threadRef ?? '-'} can be resumed).`;
      } else {
        summary = `codex exec failed: ${turn.error ?? 'no reason given'}`;
      }
      throw new ExecDone();
    }
    const child = transport.spawn(argv, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ownGroup: true,
      ...(target.workdir ? { cwd: target.workdir } : {}),
    });
    peer = new AppServerPeer(child, {
      record: (direction, message) =>
        void log.line(
          redactText(`${direction === 'in' ? '<' : '>'} ${JSON.stringify(message)}`, secrets),
        ),
      notification: (method, params) => {
        if (params.threadId !== undefined && params.threadId !== threadRef) return; // another thread's event
        const item = params.item as Record<string, unknown> | undefined;
        if (method === 'item/completed' && item) {
          if (item.type === 'agentMessage' && typeof item.text === 'string')
            finalMessage = item.text;
          if (item.type === 'commandExecution') {
            commands.push({
              command: String(item.command),
              exit_code: typeof item.exitCode === 'number' ? item.exitCode : null,
            });
            progress(`ran: ${String(item.command)} (exit ${String(item.exitCode)})`);
          }
          if (item.type === 'mcpToolCall') {
            const call = toolCall(item.server, item.tool, item.status, item.error);
            tools.push(call);
            progress(`tool: ${call.server}/${call.tool} (${call.status})`);
          }
          if (item.type === 'fileChange')
            for (const c of (item.changes as Array<{ path: string }>) ?? []) files.push(c.path);
        }
        // Usage of this turn only: a resumed thread reports its earlier usage before the turn.
        if (method === 'thread/tokenUsage/updated') {
          const tokens = params.tokenUsage as {
            total?: { totalTokens?: number };
            last?: { totalTokens?: number; inputTokens?: number; outputTokens?: number };
          };
          tokenEvents.push({
            turnId: params.turnId,
            total: tokens?.total?.totalTokens,
            last: tokens?.last?.totalTokens,
            input: tokens?.last?.inputTokens,
            output: tokens?.last?.outputTokens,
          });
        }
        if (method === 'turn/completed' && (params.turn as { id?: string })?.id === turnId) {
          const turn = params.turn as {
            status: Turn['status'];
            error?: { message?: string } | null;
          };
          turnDone({ status: turn.status, error: turn.error?.message ?? null });
        }
        // Codex retries a provider it cannot connect to forever ("Reconnecting... waiting for
        // network"); a few failed connections in a row end the turn with that reason instead.
        if (method === 'error' && params.willRetry === true) {
          const e = params.error as { message?: string; additionalDetails?: string } | undefined;
          if (/^Connection failed/.test(String(e?.additionalDetails ?? ''))) {
            provider.failures++;
            provider.reason = `${e?.additionalDetails} (${e?.message ?? 'reconnecting'})`;
            progress(`the model provider cannot be reached: ${provider.reason}`);
            if (provider.failures >= PROVIDER_ATTEMPTS) provider.down();
          }
        } else if (method === 'item/agentMessage/delta' || method === 'thread/tokenUsage/updated') {
          provider.failures = 0;
        }
        if (method === 'error' && params.willRetry === false) {
          progress(`error: ${(params.error as { message?: string })?.message ?? 'unknown'}`);
        }
      },
      request: async (method, params) => {
        const answer = answerApproval(method, params, options.approval, options.acceptCommands);
        if (answer) {
          const { decision, what } = answer;
          decisions.push(`${decision}: ${what}`);
          void log.line(`# approval ${decision}: ${what}`);
          progress(`approval ${decision}: ${what}`);
          return answer.result;
        }
        throw new RpcError(-32601, `hutctl does not handle ${method}`);
      },
    });
    const hello = await peer.request('initialize', {
      clientInfo: { name: 'hutctl', title: 'hutctl', version: '0.1.0' },
      capabilities: { experimentalApi: false },
    });
    codexVersion = versionOf(hello);
    // Not logged in while its provider needs it: say so now, not after the deadline.
    const login = accountProblem(
      await peer.request('account/read', {}),
      transport.describe(),
      options.role,
    );
    if (login) throw new Error(login);
    peer.notify('initialized');
    const threadParams = {
      approvalPolicy: options.approval === 'never' ? 'never' : 'untrusted',
      sandbox: 'danger-full-access',
      ...(target.workdir ? { cwd: target.workdir } : {}),
    };
    const thread = threadRef
      ? ((await peer.request('thread/resume', {
          threadId: threadRef,
          excludeTurns: true,
          ...threadParams,
        })) as { thread: { id: string } })
      : ((await peer.request('thread/start', threadParams)) as { thread: { id: string } });
    threadRef = fromServer(thread.thread.id);
    progress(`thread ${threadRef}${options.threadRef ? ' (resumed)' : ''}`);
    await recordThread(config.paths.stateDir, {
      thread_ref: threadRef,
      job_id: options.jobId,
      role: options.role,
      goal,
      packet_ref: packetRef,
      status: 'running',
      last_message: null,
      updated_utc: new Date().toISOString(),
    });
    const started = (await peer.request('turn/start', {
      threadId: threadRef,
      input: [{ type: 'text', text: options.prompt, text_elements: [] }],
    })) as { turn: { id: string } };
    turnId = started.turn.id;
    turns = 1;
    const watch = setInterval(() => {
      if (readCancel(cancelPath)) stop('cancelled');
    }, 250);
    let stopped: 'timeout' | 'cancelled' | 'unreachable' | null = null;
    const stop = (why: 'timeout' | 'cancelled' | 'unreachable') => {
      if (stopped || !peer || !turnId) return;
      stopped = why;
      progress(
        `${why === 'unreachable' ? 'the model provider cannot be reached' : why}: interrupting the turn`,
      );
      void peer.request('turn/interrupt', { threadId: threadRef, turnId }).catch(() => {});
    };
    const deadline = setTimeout(() => stop('timeout'), options.timeoutSec * 1000);
    options.signal?.addEventListener('abort', () => stop('cancelled'), { once: true });
    provider.down = () => stop('unreachable');
    if (provider.failures >= PROVIDER_ATTEMPTS) provider.down();
    const exited = peer.exited.then((e) => ({
      status: 'failed' as const,
      // ssh itself exits 255 when the connection goes; anything else is the app-server's own.
      error:
        e.code === 255 && target.transport === 'ssh'
          ? `the SSH connection to ${transport.describe()} was lost during the turn (ssh exit 255${stderrNote(peer!.stderrTail())})`
          : `codex app-server ended during the turn (exit ${e.code}): ${peer!.stderrTail()}`,
    }));
    // An interrupt that the server never confirms still ends the wait, 10 s later.
    let hardTimer: NodeJS.Timeout | undefined;
    const hardStop = new Promise<Turn>((resolve) => {
      const check = setInterval(() => {
        if (!stopped) return;
        clearInterval(check);
        hardTimer = setTimeout(() => resolve({ status: 'interrupted', error: null }), 10_000);
      }, 100);
      void turnFinished.then(() => clearInterval(check));
      void peer!.exited.then(() => clearInterval(check));
    });
    const turn = await Promise.race([turnFinished, exited, hardStop]);
    clearTimeout(hardTimer);
    clearTimeout(deadline);
    clearInterval(watch);
    if (stopped === 'unreachable' && turn.status !== 'completed') {
      summary = `The model provider could not be reached from ${transport.describe()}: ${provider.reason}, ${provider.failures} attempts in a row; the turn was interrupted (thread ${threadRef} can be resumed once the provider answers).`;
    } else if (stopped && stopped !== 'unreachable' && turn.status !== 'completed') {
      status = stopped;
      exitCode = stopped === 'timeout' ? 124 : 130;
      summary = `${stopped === 'timeout' ? `No answer within ${options.timeoutSec} s` : 'Cancelled'}; the turn was interrupted (thread ${threadRef} can be resumed).`;
    } else if (turn.status === 'completed') {
      status = 'success';
      exitCode = 0;
      summary = finalMessage || '(the turn completed without a final message)';
    } else {
      summary = `The turn ${turn.status}: ${turn.error ?? 'no reason given'}`;
    }
  } catch (error) {
    // ExecDone: the exec mechanism has already set status and summary.
    if (!(error instanceof ExecDone)) {
      const reason =
        error instanceof RpcError || error instanceof HutError
          ? error.message
          : (error as Error).message;
      summary = `Delegation to ${options.role} failed: ${missingWorkdir(transport, reason) ?? missingCodex(reason, argv, transport.describe()) ?? reason}${mcpCommand && /MCP servers? failed/.test(reason) ? ` (hutctl's MCP server did not start on ${transport.describe()}: run ${mcpCommand.join(' ')} there to see why)` : ''}`;
      exitCode = isConnect(error) ? 255 : 1;
    }
  } finally {
    if (mcpCommand && peer && threadRef) {
      const left = await releaseLeft(peer, threadRef, options.jobId);
      if (left.length > 0) {
        void log.line(`# leases the agent left were released: ${left.join(', ')}`);
        progress(`released what the agent left leased: ${left.join(', ')}`);
      }
    }
    await peer?.close();
    clearCancel(cancelPath);
  }
  for (const e of tokenEvents.filter((e) => turnId !== null && e.turnId === turnId)) {
    if (typeof e.total === 'number') usage.after = e.total;
    if (typeof e.last === 'number') usage.turn += e.last;
    if (typeof e.input === 'number') usage.in = (usage.in ?? 0) + e.input;
    if (typeof e.output === 'number') usage.out = (usage.out ?? 0) + e.output;
  }
  const end = new Date();
  await log.close();
  const tokens = {
    turns,
    turn_tokens: usage.turn,
    ...(usage.in !== null ? { input_tokens: usage.in } : {}),
    ...(usage.out !== null ? { output_tokens: usage.out } : {}),
    ...(usage.after !== null ? { total_tokens_after_turn: usage.after } : {}),
  };
  const report: Report = {
    schema_version: 'ws2.report.v1',
    job_id: options.jobId,
    agent_role: options.role,
    status,
    start_utc: utcIso(start),
    end_utc: utcIso(end),
    duration_sec: Math.round(end.getTime() - start.getTime()) / 1000,
    exit_code: exitCode,
    lock_key: `delegate-${options.role}`,
    // What ran, as observed: the mechanism used, over which connection, the codex it talked to.
    executor: {
      hostname: target.host ?? hostname(),
      user: target.user ?? userInfo().username,
      transport: options.mechanism === 'exec' ? 'codex_exec' : 'remote_codex',
      target: target.name,
      via: transport.describe(),
      ...(codexVersion ? { codex_version: codexVersion } : {}),
    },
    artifact_paths: [log.path],
    human_summary: redactText(summary, secrets),
    next_action:
      status === 'success'
        ? 'review the answer; continue with --thread to keep the context'
        : `read ${log.path}; resume with --thread ${threadRef ?? '(none)'}`,
    log_path: log.path,
    thread_ref: threadRef,
    goal,
    commands,
    file_changes: files,
    approvals: decisions,
    ...(mcpCommand || tools.length ? { mcp_tool_calls: tools } : {}),
    mechanism: options.mechanism ?? 'app-server',
    ...(options.breakGlass ? { break_glass: true } : {}),
    ...tokens,
  };
  const reportPath = join(options.evidenceDir, `${base}.json`);
  let reportError: string | undefined;
  try {
    await writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
    // Into the ledger when the command is done, as a job and as a delegation.
    noteEvidence(config, reportPath);
  } catch (error) {
    // The turn ran and its thread_ref matters most: the caller still prints the report.
    reportError = `the report could not be written to ${reportPath}: ${(error as Error).message}`;
  }
  if (threadRef) {
    await recordThread(config.paths.stateDir, {
      thread_ref: threadRef,
      job_id: options.jobId,
      role: options.role,
      goal,
      packet_ref: packetRef,
      status,
      last_message: report.human_summary,
      updated_utc: end.toISOString(),
    }).catch((error) => {
      reportError ??= `the thread record could not be written: ${(error as Error).message}`;
    });
  }
  return { report, reportPath, threadRef, ...(reportError ? { reportError } : {}) };
}

/** Failed connections to the model provider in a row (Codex waits ~5 s between them). */
const PROVIDER_ATTEMPTS = 2;

/** Ends the shared try block once the exec mechanism has its result. */
class ExecDone extends Error {}

function isConnect(error: unknown): boolean {
  return error instanceof HutError && error.code === 'CONNECT';
}

/** ", ssh: <its message>" when ssh said something, else nothing. */
function stderrNote(tail: string): string {
  return tail && tail !== 'no output on stderr' ? `: ${tail}` : '';
}

/** A thread id as Codex answered it: it names a file, so it keeps to the id grammar too. */
function fromServer(id: unknown): string {
  return checkId('thread_ref', String(id), 'the thread id Codex answered');
}
