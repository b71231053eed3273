/**
 * A small client of the LXD / Incus REST API on its unix socket (reference/apis.md §2): the
 * envelope (sync, async with an operation, error), operations waited on at once (a finished one
 * is deleted 5 s later) and looped while `wait` answers "Running", failures found inside an HTTP
 * 200, exec in record-output mode, and the server's `api_extensions` for what it can do. Every
 * failure is one line that names the call.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { HutError } from '../errors/index.ts';
import { isHttpError, request } from '../http/index.ts';

export interface LxdServer {
  /** `lxd` or `incus`, as the server names itself. */
  name: string;
  version: string;
  extensions: Set<string>;
}

export interface LxdOperation {
  id: string;
  description: string;
  status: string;
  status_code: number;
  err: string;
  metadata: Record<string, unknown> | null;
  resources?: Record<string, string[]> | null;
}

export interface ExecResult {
  return: number;
  stdout: string;
  stderr: string;
}

/** An error the server answered (its `error_code`), or null for one it never answered. */
export class LxdError extends HutError {
  readonly status: number | null;

  constructor(message: string, status: number | null, hint?: string) {
    super(status === null ? 'CONNECT' : 'FAILED', message, hint ? { hint } : {});
    this.status = status;
  }
}

/**
 * The socket the `lxc` / `incus` clients would use: `LXD_SOCKET` / `INCUS_SOCKET`, else
 * `$LXD_DIR` / `$INCUS_DIR`/unix.socket, else the snap's, the Debian package's, Incus's.
 */
export function findSocket(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LXD_SOCKET) return env.LXD_SOCKET;
  if (env.INCUS_SOCKET) return env.INCUS_SOCKET;
  if (env.LXD_DIR) return join(env.LXD_DIR, 'unix.socket');
  if (env.INCUS_DIR) return join(env.INCUS_DIR, 'unix.socket');
  const candidates = [
    '/var/snap/lxd/common/lxd/unix.socket',
    '/var/lib/lxd/unix.socket',
    '/run/incus/unix.socket',
    '/var/lib/incus/unix.socket',
  ];
  const found = candidates.find((path) => existsSync(path));
  if (!found)
    throw new HutError('CONNECT', `no LXD or Incus socket (looked at ${candidates.join(', ')})`, {
      hint: 'is the daemon running on this host? set LXD_SOCKET or INCUS_SOCKET to its socket',
    });
  return found;
}

interface Envelope {
  type?: string;
  status_code?: number;
  error_code?: number;
  error?: string;
  operation?: string;
  metadata?: unknown;
}

export class LxdClient {
  readonly socket: string;
  private readonly project: string | undefined;

  constructor(socket: string, options: { project?: string } = {}) {
    this.socket = socket;
    this.project = options.project;
  }

  async server(): Promise<LxdServer> {
    const m = (await this.get('/1.0')) as {
      api_extensions?: string[];
      environment?: { server?: string; server_version?: string };
    };
    return {
      name: m.environment?.server ?? 'lxd',
      version: m.environment?.server_version ?? '?',
      extensions: new Set(m.api_extensions ?? []),
    };
  }

  get(path: string, timeoutMs = 30_000): Promise<unknown> {
    return this.call('GET', path, undefined, timeoutMs).then((e) => e.metadata);
  }

  /** GET that answers null for a 404 (an instance that does not exist). */
  async find(path: string): Promise<unknown | null> {
    try {
      return await this.get(path);
    } catch (error) {
      if (error instanceof LxdError && error.status === 404) return null;
      throw error;
    }
  }

  /** A call that may start an operation: its outcome once it has ended (or the sync metadata). */
  async run(method: string, path: string, body?: unknown, timeoutSec = 600): Promise<unknown> {
    const envelope = await this.call(method, path, body);
    if (envelope.type !== 'async') return envelope.metadata;
    return this.wait(envelope, `${method} ${path}`, timeoutSec);
  }

  /** Runs `argv` in `instance` with its output recorded; the exit code is in `return`. */
  async exec(
    instance: string,
    argv: string[],
    options: { timeoutSec?: number; env?: Record<string, string> } = {},
  ): Promise<ExecResult> {
    const what = `exec ${argv.join(' ')} in ${instance}`;
    const envelope = await this.call(
      'POST',
      `/1.0/instances/${encodeURIComponent(instance)}/exec`,
      {
        command: argv,
        environment: options.env ?? {},
        interactive: false,
        'wait-for-websocket': false,
        'record-output': true,
      },
    );
    const op = (await this.waitOperation(
      envelope,
      what,
      options.timeoutSec ?? 600,
    )) as LxdOperation;
    const meta = (op.metadata ?? {}) as { return?: number; output?: Record<string, string> };
    // A missing program is a Failure with return 127; any other exit is a Success with its code.
    if (op.status_code !== 200 && meta.return === undefined)
      throw new LxdError(`LXD: ${what}: ${op.err || op.status}`, 200);
    const read = async (fd: string) => {
      const url = meta.output?.[fd];
      if (!url) return '';
      const text = await this.raw('GET', url);
      await this.call('DELETE', url).catch(() => {});
      return text;
    };
    return { return: meta.return ?? 127, stdout: await read('1'), stderr: await read('2') };
  }

  private async wait(envelope: Envelope, what: string, timeoutSec: number): Promise<unknown> {
    const op = await this.waitOperation(envelope, what, timeoutSec);
    if (op.status_code !== 200) throw new LxdError(`LXD: ${what}: ${op.err || op.status}`, 200);
    return op.metadata;
  }

  /** Waits for the operation to end, at once (it is deleted 5 s after it ends). */
  private async waitOperation(
    envelope: Envelope,
    what: string,
    timeoutSec: number,
  ): Promise<LxdOperation> {
    const path = envelope.operation;
    if (!path) throw new LxdError(`LXD: ${what}: an async answer without an operation`, 202);
    const deadline = Date.now() + timeoutSec * 1000;
    for (;;) {
      const left = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      const op = (await this.get(
        `${path}/wait?timeout=${Math.min(left, 30)}`,
        (Math.min(left, 30) + 10) * 1000,
      )) as LxdOperation;
      // `wait` answers 200 with Running when its own timeout passes: not an error, ask again.
      if (op.status_code !== 103 && op.status_code !== 105 && op.status_code !== 106) return op;
      if (Date.now() >= deadline)
        throw new LxdError(`LXD: ${what}: still ${op.status} after ${timeoutSec} s`, null);
    }
  }

  private async call(
    method: string,
    path: string,
    body?: unknown,
    timeoutMs = 30_000,
  ): Promise<Envelope> {
    const text = await this.raw(method, path, body, timeoutMs);
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      throw new LxdError(`LXD: ${method} ${path}: an answer that is not JSON`, null);
    }
    if (envelope.type === 'error' || (envelope.error_code ?? 0) >= 400)
      throw new LxdError(
        `LXD: ${method} ${path}: ${envelope.error || 'error'} (${envelope.error_code})`,
        envelope.error_code ?? 500,
      );
    return envelope;
  }

  private async raw(method: string, path: string, body?: unknown, timeoutMs = 30_000) {
    const sep = path.includes('?') ? '&' : '?';
    const scoped =
      this.project && this.project !== 'default' && !path.includes('project=')
        ? `${path}${sep}project=${encodeURIComponent(this.project)}`
        : path;
    try {
      const response = await request({
        url: `http://lxd${scoped}`,
        method,
        socketPath: this.socket,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        timeoutMs,
        maxBytes: 16 << 20,
      });
      return response.body.toString('utf8');
    } catch (error) {
      if (!isHttpError(error)) throw error;
      throw new LxdError(
        `LXD at ${this.socket}: ${method} ${path}: ${error.message}`,
        null,
        'is the LXD or Incus daemon running on this host, and may this user use its socket? LXD_SOCKET / INCUS_SOCKET name another one',
      );
    }
  }
}
