/**
 * The Codex App Server's wire: one JSON object per line on stdio, JSON-RPC 2.0 without the
 * "jsonrpc" member, requests both ways (the server's ids collide with ours, so direction tells
 * them apart). Every message in and out is handed to `record` for the evidence log.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RpcMessage {
  id?: number | string;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** The code of the error a request gets when the App Server ends before answering it. */
export const EXITED = -1;

export class RpcError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export interface PeerHandlers {
  notification: (method: string, params: Record<string, unknown>) => void;
  request: (method: string, params: Record<string, unknown>) => Promise<unknown>;
  record: (direction: 'in' | 'out', message: RpcMessage) => void;
}

export class AppServerPeer {
  private next = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly exited: Promise<{ code: number | null; stderr: string }>;
  private stderr = '';

  private readonly child: ChildProcess;
  private readonly handlers: PeerHandlers;

  constructor(child: ChildProcess, handlers: PeerHandlers) {
    this.child = child;
    this.handlers = handlers;
    child.stderr?.setEncoding('utf8').on('data', (c: string) => {
      this.stderr = (this.stderr + c).slice(-8192);
    });
    child.stdin?.on('error', () => {});
    createInterface({ input: child.stdout! }).on('line', (line) => this.receive(line));
    let failed: Error | null = null;
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        const why = failed
          ? `could not be started: ${failed.message}`
          : `${signal ? `was ended by ${signal}` : `exited with status ${code}`} before answering: ${this.stderrTail()}`;
        for (const { reject } of this.pending.values())
          reject(new RpcError(EXITED, `codex app-server ${why}`));
        this.pending.clear();
        resolve({ code, stderr: this.stderr });
      });
      child.on('error', (error) => {
        failed = error;
        resolve({ code: 127, stderr: error.message });
      });
    });
  }

  stderrTail(): string {
    return (
      this.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('WARNING: proceeding'))
        .slice(-3)
        .join(' | ') || 'no output on stderr'
    );
  }

  private send(message: RpcMessage): void {
    this.handlers.record('out', message);
    this.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  request(method: string, params: Record<string, unknown>): Promise<unknown> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ method, id, params });
    });
  }

  notify(method: string, params?: Record<string, unknown>): void {
    this.send(params ? { method, params } : { method });
  }

  private receive(line: string): void {
    let message: RpcMessage;
    try {
      message = JSON.parse(line) as RpcMessage;
    } catch {
      return; // not protocol (a stray log line)
    }
    this.handlers.record('in', message);
    if (message.method !== undefined && message.id !== undefined) {
      const id = message.id;
      this.handlers.request(message.method, message.params ?? {}).then(
        (result) => this.send({ id, result }),
        (error: Error) =>
          this.send({
            id,
            error: {
              code: error instanceof RpcError ? error.code : -32603,
              message: error.message,
            },
          }),
      );
    } else if (message.method !== undefined) {
      this.handlers.notification(message.method, message.params ?? {});
    } else if (typeof message.id === 'number' && this.pending.has(message.id)) {
      const waiter = this.pending.get(message.id)!;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new RpcError(message.error.code, message.error.message));
      else waiter.resolve(message.result);
    }
  }

  /** Closing stdin ends the app-server (about 20 ms); a stuck one is killed. */
  async close(): Promise<void> {
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }
}
