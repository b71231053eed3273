/**
 * A double of the LXD REST API for what cannot run here — virtual machines (no vhost_vsock, no
 * QEMU) — built from reference/apis.md §2's checklist: 202 + Location for async calls, `wait`
 * answering 200 "Running" when its own timeout passes, failures inside a 200, operations gone
 * (404) 5 s after they end, exec in record-output mode with `return` vs a Failure with 127, output
 * log URLs, a VM whose agent is not running (processes -1, no address, exec refused) for a while
 * after it starts, 500 on PATCH validation, and `api_extensions` gating `start` and `serial`.
 * Everything a container exercises is tested against the real daemon instead (test/lxd/).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { tempDir } from './cli.ts';

export interface DoubleInstance {
  name: string;
  type: string;
  status: 'Running' | 'Stopped';
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
  /** State polls left before the agent answers (after each start). */
  agentIn: number;
}

interface Operation {
  id: string;
  description: string;
  status: string;
  status_code: number;
  err: string;
  metadata: unknown;
  endsAt: number;
  endedAt: number | null;
  finish: () => { err?: string; metadata?: unknown };
}

export interface LxdDoubleOptions {
  /** Default: Debian bookworm's LXD 5.0.2 (no device_usb_serial, no instance_create_start). */
  extensions?: string[];
  server?: 'lxd' | 'incus';
  /** How long each operation runs. */
  opMs?: number;
  /** State polls after a start before the VM agent answers. */
  agentPolls?: number;
  address?: string;
  hostKey?: string;
  /** Exit of `cloud-init status --wait` (0 done, 2 recoverable errors, 1 failed). */
  cloudInitExit?: number;
}

export const LXD_502_EXTENSIONS = [
  'usb_devices',
  'usb_optional_vendorid',
  'unix_hotplug_devices',
  'cloud_init',
  'patch',
  'etag',
];
export const INCUS_6_EXTENSIONS = [
  ...LXD_502_EXTENSIONS,
  'device_usb_serial',
  'instance_create_start',
  'usb_attached',
];

export class LxdDouble {
  readonly socket: string;
  readonly instances = new Map<string, DoubleInstance>();
  /** Every request as `METHOD path` (and the body of the ones that have one). */
  readonly calls: { call: string; body: unknown }[] = [];
  private readonly ops = new Map<string, Operation>();
  private readonly logs = new Map<string, string>();
  private readonly server: Server;
  private readonly options: Required<LxdDoubleOptions>;

  private constructor(socket: string, options: LxdDoubleOptions) {
    this.socket = socket;
    this.options = {
      extensions: options.extensions ?? LXD_502_EXTENSIONS,
      server: options.server ?? 'lxd',
      opMs: options.opMs ?? 50,
      agentPolls: options.agentPolls ?? 2,
      address: options.address ?? '10.87.0.23',
      hostKey:
        options.hostKey ??
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHutctlDoubleHostKeyForTheRunnerVm0000000000 root@hil-runner',
      cloudInitExit: options.cloudInitExit ?? 0,
    };
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(options: LxdDoubleOptions = {}): Promise<LxdDouble> {
    const double = new LxdDouble(join(tempDir('hutctl-lxd-'), 'unix.socket'), options);
    await new Promise<void>((resolve) => double.server.listen(double.socket, resolve));
    return double;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    const url = new URL(req.url ?? '/', 'http://lxd');
    const method = req.method ?? 'GET';
    let body: Record<string, unknown> = {};
    if (text) {
      try {
        body = JSON.parse(text);
      } catch (error) {
        return error400(res, (error as Error).message);
      }
    }
    this.calls.push({ call: `${method} ${url.pathname}`, body: text ? body : undefined });
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const sync = (metadata: unknown) =>
      json(res, 200, {
        type: 'sync',
        status: 'Success',
        status_code: 200,
        operation: '',
        error_code: 0,
        error: '',
        metadata,
      });
    if (url.pathname === '/1.0') {
      return sync({
        api_extensions: this.options.extensions,
        environment: {
          server: this.options.server,
          server_version: this.options.server === 'incus' ? '6.0.4' : '5.0.2',
        },
      });
    }
    if (parts[1] === 'operations' && parts[2]) {
      const op = this.ops.get(parts[2]);
      if (!op) return error(res, 404, 'Operation not found');
      if (parts[3] === 'wait') {
        const wait = Number(url.searchParams.get('timeout') ?? '-1');
        const until = wait < 0 ? op.endsAt : Math.min(op.endsAt, Date.now() + wait * 1000);
        await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())));
      }
      return sync(this.view(op));
    }
    if (parts[1] !== 'instances') return error(res, 404, 'not found');
    const name = parts[2];
    if (!name) {
      if (method !== 'POST')
        return sync([...this.instances.keys()].map((n) => `/1.0/instances/${n}`));
      return this.async(res, 'Creating instance', () => {
        const n = String(body.name);
        if (this.instances.has(n))
          return {
            err: 'Failed creating instance record: Add instance info to the database: This "instances" entry already exists',
          };
        const devices = (body.devices ?? {}) as Record<string, Record<string, string>>;
        const bad = this.badDevices(devices);
        if (bad) return { err: `Failed creating instance record: ${bad}` };
        const instance: DoubleInstance = {
          name: n,
          type: String(body.type ?? 'container'),
          status: 'Stopped',
          config: (body.config ?? {}) as Record<string, string>,
          devices,
          agentIn: this.options.agentPolls,
        };
        // `start` is ignored (silently) by a server without instance_create_start.
        if (body.start === true && this.options.extensions.includes('instance_create_start'))
          instance.status = 'Running';
        this.instances.set(n, instance);
        return {};
      });
    }
    const instance = this.instances.get(name);
    if (!instance) return error(res, 404, 'Instance not found');
    const sub = parts[3];
    if (!sub) {
      if (method === 'GET')
        return sync({
          name,
          type: instance.type,
          status: instance.status,
          config: instance.config,
          devices: instance.devices,
        });
      if (method === 'PATCH') {
        const devices = body.devices as Record<string, Record<string, string>> | undefined;
        const bad = devices && this.badDevices(devices);
        // LXD 5.0.2 answers a PATCH that fails validation with a 500 (apis.md §2.2).
        if (bad) return error(res, 500, `Invalid devices: ${bad}`);
        if (devices) instance.devices = devices;
        return sync({});
      }
      if (method === 'DELETE') {
        if (instance.status === 'Running') return error(res, 400, 'Instance is running');
        return this.async(res, 'Deleting instance', () => {
          this.instances.delete(name);
          return {};
        });
      }
    }
    if (sub === 'state') {
      if (method === 'GET') {
        const running = instance.status === 'Running';
        const agent =
          running && instance.type === 'virtual-machine' ? instance.agentIn-- <= 0 : running;
        return sync({
          status: instance.status,
          status_code: running ? 103 : 102,
          processes: running ? (agent ? 12 : -1) : 0,
          network: running
            ? agent
              ? {
                  eth0: {
                    addresses: [
                      {
                        family: 'inet',
                        address: this.options.address,
                        netmask: '24',
                        scope: 'global',
                      },
                      { family: 'inet6', address: 'fe80::1', netmask: '64', scope: 'link' },
                    ],
                  },
                  lo: {
                    addresses: [
                      { family: 'inet', address: '127.0.0.1', netmask: '8', scope: 'local' },
                    ],
                  },
                }
              : {}
            : null,
        });
      }
      return this.async(res, `${String(body.action)} instance`, () => {
        if (body.action === 'start') {
          if (instance.status === 'Running') return { err: 'The instance is already running' };
          instance.status = 'Running';
          instance.agentIn = this.options.agentPolls;
        } else if (body.action === 'stop') {
          if (instance.status === 'Stopped') return { err: 'The instance is already stopped' };
          instance.status = 'Stopped';
        }
        return {};
      });
    }
    if (sub === 'exec') {
      if (instance.status !== 'Running') return error(res, 400, 'Instance is not running');
      if (instance.type === 'virtual-machine' && instance.agentIn > 0)
        return error(res, 400, "LXD VM agent isn't currently running");
      const argv = (body.command as string[]) ?? [];
      return this.async(res, 'Executing command', () => {
        const answer = this.execAnswer(argv);
        if (answer === null) return { err: 'Command not found', metadata: { return: 127 } };
        const id = randomUUID();
        const out = `/1.0/instances/${name}/logs/exec_${id}.stdout`;
        const err = `/1.0/instances/${name}/logs/exec_${id}.stderr`;
        this.logs.set(out, answer.stdout);
        this.logs.set(err, answer.stderr);
        return { metadata: { return: answer.return, output: { '1': out, '2': err } } };
      });
    }
    if (sub === 'logs') {
      const text = this.logs.get(url.pathname);
      if (text === undefined) return error(res, 404, 'not found');
      if (method === 'DELETE') {
        this.logs.delete(url.pathname);
        return sync({});
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(text);
      return;
    }
    return error(res, 404, 'not found');
  }

  private execAnswer(argv: string[]): { return: number; stdout: string; stderr: string } | null {
    const line = argv.join(' ');
    if (line === 'cloud-init status --wait')
      return {
        return: this.options.cloudInitExit,
        stdout: this.options.cloudInitExit === 0 ? '\nstatus: done\n' : '\nstatus: error\n',
        stderr: '',
      };
    if (line === 'cat /etc/ssh/ssh_host_ed25519_key.pub')
      return { return: 0, stdout: `${this.options.hostKey}\n`, stderr: '' };
    if (argv[0] === 'true') return { return: 0, stdout: '', stderr: '' };
    return null;
  }

  private badDevices(devices: Record<string, Record<string, string>>): string | null {
    for (const [name, d] of Object.entries(devices)) {
      if (d.type !== 'usb') continue;
      for (const key of ['vendorid', 'productid'])
        if (d[key] !== undefined && !/^[0-9a-f]{4}$/.test(d[key]!))
          return `Device validation failed for "${name}": Invalid value for device option "${key}": Invalid value, must be four lower case hex characters`;
      if (d.serial !== undefined && !this.options.extensions.includes('device_usb_serial'))
        return `Device validation failed for "${name}": Invalid device option "serial"`;
    }
    return null;
  }

  /** 202 with the operation; it ends `opMs` later; it is gone 5 s after it ended. */
  private async(res: ServerResponse, description: string, finish: Operation['finish']): void {
    const id = randomUUID();
    const op: Operation = {
      id,
      description,
      status: 'Running',
      status_code: 103,
      err: '',
      metadata: null,
      endsAt: Date.now() + this.options.opMs,
      endedAt: null,
      finish,
    };
    this.ops.set(id, op);
    setTimeout(() => {
      const outcome = finish();
      op.endedAt = Date.now();
      op.status = outcome.err ? 'Failure' : 'Success';
      op.status_code = outcome.err ? 400 : 200;
      op.err = outcome.err ?? '';
      op.metadata = outcome.metadata ?? null;
      setTimeout(() => this.ops.delete(id), 5000).unref();
    }, this.options.opMs);
    res.writeHead(202, { 'content-type': 'application/json', location: `/1.0/operations/${id}` });
    res.end(
      JSON.stringify({
        type: 'async',
        status: 'Operation created',
        status_code: 100,
        operation: `/1.0/operations/${id}`,
        error_code: 0,
        error: '',
        metadata: this.view(op),
      }),
    );
  }

  private view(op: Operation) {
    return {
      id: op.id,
      class: 'task',
      description: op.description,
      status: op.status,
      status_code: op.status_code,
      err: op.err,
      metadata: op.metadata,
      may_cancel: false,
    };
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function error(res: ServerResponse, code: number, message: string): void {
  json(res, code, {
    type: 'error',
    status: '',
    status_code: 0,
    operation: '',
    error_code: code,
    error: message,
    metadata: null,
  });
}

function error400(res: ServerResponse, message: string): void {
  error(res, 400, message);
}
