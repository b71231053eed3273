/**
 * The SSH mechanism: `codex exec --json` on the role's host, one process per turn, its JSONL
 * events read as they come (`thread.started`, `item.completed`, `turn.completed|failed`). Used
 * when the transport lock record names `ssh`, or as the logged break-glass fallback.
 */
import { createInterface } from 'node:readline';
import type { Transport } from '../transport/index.ts';
import { codexCommand } from './codex.ts';

export interface McpToolCall {
  server: string;
  tool: string;
  status: string;
  error?: string;
}

/** An MCP tool call item as the App Server or `codex exec` reports it. */
export function toolCall(
  server: unknown,
  tool: unknown,
  status: unknown,
  error: unknown,
): McpToolCall {
  const message = (error as { message?: unknown } | null)?.message;
  return {
    server: String(server),
    tool: String(tool),
    status: String(status),
    ...(message ? { error: String(message) } : {}),
  };
}

export interface ExecTurn {
  threadRef: string | null;
  status: 'completed' | 'failed' | 'timeout' | 'cancelled';
  finalMessage: string;
  error: string | null;
  commands: Array<{ command: string; exit_code: number | null }>;
  tools: McpToolCall[];
  tokens: number | null;
  /** The turn's input and output tokens, when codex reported its usage. */
  tokensIn: number | null;
  tokensOut: number | null;
}

/**
 * `[…, 'app-server']` becomes `[…, 'exec', …options, '--json', …, '-']`: the same codex, the
 * other mode. The prompt goes on stdin (`-`), never in argv, where any user of the host could
 * read it.
 */
export function execArgv(
  appServer: string[],
  threadRef?: string,
  options: string[] = [],
): string[] {
  return [
    ...codexCommand(appServer),
    'exec',
    ...options,
    ...(threadRef ? ['resume'] : []),
    '--json',
    '--skip-git-repo-check',
    ...(threadRef ? [threadRef] : []),
    '-',
  ];
}

export function runExecTurn(
  transport: Transport,
  argv: string[],
  prompt: string,
  options: {
    cwd?: string;
    timeoutMs: number;
    signal?: AbortSignal;
    record: (line: string) => void;
    progress: (line: string) => void;
  },
): Promise<ExecTurn> {
  const child = transport.spawn(argv, {
    stdio: ['pipe', 'pipe', 'pipe'],
    ownGroup: true,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const turn: ExecTurn = {
    threadRef: null,
    status: 'failed',
    finalMessage: '',
    error: null,
    commands: [],
    tools: [],
    tokens: null,
    tokensIn: null,
    tokensOut: null,
  };
  child.stdin!.on('error', () => {});
  child.stdin!.end(prompt);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr = (stderr + c).slice(-4096);
  });
  let ended: 'timeout' | 'cancelled' | null = null;
  const stop = (why: 'timeout' | 'cancelled') => {
    ended ??= why;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {}
  };
  const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
  options.signal?.addEventListener('abort', () => stop('cancelled'), { once: true });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    options.record(`< ${line}`);
    let event: {
      type?: string;
      thread_id?: string;
      item?: Record<string, unknown>;
      usage?: Record<string, number>;
      error?: { message?: string };
      message?: string;
    };
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    if (event.type === 'thread.started' && event.thread_id) turn.threadRef = event.thread_id;
    const item = event.item;
    if (event.type === 'item.completed' && item?.type === 'agent_message')
      turn.finalMessage = String(item.text ?? '');
    if (event.type === 'item.completed' && item?.type === 'command_execution') {
      turn.commands.push({
        command: String(item.command),
        exit_code: typeof item.exit_code === 'number' ? item.exit_code : null,
      });
      options.progress(`ran: ${String(item.command)} (exit ${String(item.exit_code)})`);
    }
    if (event.type === 'item.completed' && item?.type === 'mcp_tool_call') {
      const call = toolCall(item.server, item.tool, item.status, item.error);
      turn.tools.push(call);
      options.progress(`tool: ${call.server}/${call.tool} (${call.status})`);
    }
    if (event.type === 'turn.completed') {
      turn.status = 'completed';
      const u = event.usage ?? {};
      turn.tokens = (u.input_tokens ?? 0) + (u.output_tokens ?? 0);
      turn.tokensIn = u.input_tokens ?? null;
      turn.tokensOut = u.output_tokens ?? null;
    }
    if (event.type === 'turn.failed' || event.type === 'error')
      turn.error = event.error?.message ?? event.message ?? 'codex exec reported an error';
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      if (ended) turn.status = ended;
      else if (turn.status !== 'completed')
        turn.error ??= `codex exec exited ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`;
      resolve(turn);
    });
    child.on('error', (error) => {
      turn.error = error.message;
      resolve(turn);
    });
  });
}
