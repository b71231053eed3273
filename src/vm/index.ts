/**
 * `hutctl vm`: the runner VM on the infra host, over LXD or Incus (GOAL-001 WS4/WS5; reference
 * apis.md §2). `create` makes it from a `vms:` entry — image, resources, cloud-init with the
 * spec's baseline and the runner user's key, one USB device per slot — or finds it there and
 * compares it key by key; waits for it to be ready as measured (agent up, a global address,
 * `cloud-init status --wait`); pins its SSH host key, read through the API, in a known_hosts file
 * hutctl keeps; and writes the runner target into hutctl.yaml. What the server can do is read
 * from its `api_extensions`, never guessed from its version.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HutConfig, VmSpec } from '../config/index.ts';
import { setMapStrings } from '../config/yaml-set.ts';
import { editDocument, readDocument } from '../docs/index.ts';
import { HutError, isHutError, oneLine } from '../errors/index.ts';
import { FileReadError, readTextFile, writeFileAtomic } from '../files/index.ts';
import { privateDir } from '../files/private.ts';
import { findSocket, LxdClient, type LxdServer } from '../lxd/client.ts';

/** The packages GOAL-001 names for the runner VM's baseline (Node comes from its snap). */
export const BASELINE = [
  'git',
  'openssh-server',
  'curl',
  'jq',
  'python3',
  'python3-pip',
  'python3-venv',
  'docker.io',
  'socat',
  'util-linux',
];

export interface VmAddress {
  nic: string;
  address: string;
}

export interface VmStatus {
  name: string;
  server: string;
  exists: boolean;
  status: string | null;
  addresses: VmAddress[];
  /** -1 while the VM's agent is not running. */
  processes: number | null;
  agent: boolean;
  usb: { slot: string; device: string; vendor: string; product: string; serial: string | null }[];
}

export interface VmCreated {
  name: string;
  server: string;
  action: 'created' | 'unchanged';
  address: string;
  host_key: string;
  known_hosts: string;
  target: string;
  config_changed: boolean;
  evidence: string;
  usb: VmStatus['usb'];
}

export function vmSpec(config: HutConfig, name: string): VmSpec {
  const spec = config.vms[name];
  if (!spec)
    throw new HutError('USAGE', `no VM '${name}' in hutctl.yaml`, {
      hint: `vms: ${Object.keys(config.vms).join(', ') || '(none: add a vms: entry)'}`,
    });
  return spec;
}

export function clientFor(spec: Pick<VmSpec, 'project'>, env = process.env): LxdClient {
  return new LxdClient(findSocket(env), { project: spec.project });
}

/** cloud-init user-data: the baseline packages, Node 22 for hutctl, the runner user and its key. */
export function cloudInit(spec: VmSpec, publicKey: string): string {
  const lines = [
    '#cloud-config',
    'package_update: true',
    `packages: [${BASELINE.join(', ')}]`,
    'users:',
    '  - default',
    `  - name: ${spec.user}`,
    '    shell: /bin/bash',
    '    groups: [dialout, plugdev]',
    `    ssh_authorized_keys: [${JSON.stringify(publicKey)}]`,
    'runcmd:',
    `  - [usermod, -aG, docker, ${spec.user}]`,
    '  - [snap, install, node, --classic, --channel=22/stable]',
    '',
  ];
  return lines.join('\n');
}

/** The instance as hutctl.yaml describes it: what POST /1.0/instances gets. */
export function instanceBody(spec: VmSpec, server: LxdServer, publicKey: string) {
  const devices: Record<string, Record<string, string>> = {
    root: { type: 'disk', path: '/', pool: spec.pool, size: spec.disk },
    eth0: { type: 'nic', network: spec.network, name: 'eth0' },
  };
  for (const [slot, usb] of Object.entries(spec.usb))
    devices[usbDevice(slot)] = usbBody(usb, server);
  const userData = server.extensions.has('cloud_init') ? 'cloud-init.user-data' : 'user.user-data';
  return {
    name: spec.name,
    type: 'virtual-machine',
    source: {
      type: 'image',
      alias: spec.image,
      server: spec.imageServer,
      protocol: 'simplestreams',
    },
    config: {
      'limits.cpu': String(spec.cpu),
      'limits.memory': spec.memory,
      [userData]: cloudInit(spec, publicKey),
      'security.secureboot': 'false',
    },
    devices,
    profiles: ['default'],
    ...(server.extensions.has('instance_create_start') ? { start: true } : {}),
  };
}

const usbDevice = (slot: string) => `usb-${slot}`;

/** One board's LXD `usb` device: `serial` only where the server has `device_usb_serial`. */
function usbBody(usb: VmSpec['usb'][string], server: LxdServer): Record<string, string> {
  return {
    type: 'usb',
    vendorid: usb.vendor,
    productid: usb.product,
    ...(server.extensions.has('device_usb_serial') && usb.serial ? { serial: usb.serial } : {}),
    required: 'false',
  };
}

/** The target `vm create` writes into hutctl.yaml for a VM at `host`. */
function targetValues(spec: VmSpec, host: string, knownHosts: string): Record<string, string> {
  return {
    transport: 'ssh',
    host,
    user: spec.user,
    identity_file: spec.identityFile,
    known_hosts: knownHosts,
  };
}

/**
 * Two boards of the same vendor and product can only be told apart by serial, which needs the
 * server's `device_usb_serial`; without it both would be passed to the VM.
 */
export function checkUsb(spec: VmSpec, server: LxdServer): void {
  const seen = new Map<string, string>();
  for (const [slot, usb] of Object.entries(spec.usb)) {
    const key = `${usb.vendor}:${usb.product}`;
    const other = seen.get(key);
    if (other && !server.extensions.has('device_usb_serial'))
      throw new HutError(
        'INPUT',
        `${spec.source}: slots ${other} and ${slot} are both ${key}, and ${server.name} ${server.version} has no device_usb_serial, so both boards would go to the VM; nothing was created`,
        { hint: 'use an LXD or Incus with device_usb_serial (Incus 6.0+), or boards that differ' },
      );
    if (other && (!usb.serial || !spec.usb[other]!.serial))
      throw new HutError(
        'INPUT',
        `${spec.source}: slots ${other} and ${slot} are both ${key}: give each its usb serial`,
      );
    const twin = Object.entries(spec.usb).find(
      ([s, u]) =>
        s !== slot &&
        u.vendor === usb.vendor &&
        u.product === usb.product &&
        u.serial !== undefined &&
        u.serial === usb.serial,
    );
    if (twin)
      throw new HutError(
        'INPUT',
        `${spec.source}: slots ${slot} and ${twin[0]} are both ${key} serial ${usb.serial}: one board cannot be two slots`,
      );
    seen.set(key, slot);
  }
}

/** Where an existing instance differs from hutctl.yaml, key by key. */
export function differences(
  instance: {
    type?: string;
    config?: Record<string, string>;
    devices?: Record<string, Record<string, string>>;
  },
  body: ReturnType<typeof instanceBody>,
): string[] {
  const out: string[] = [];
  const say = (key: string, there: unknown, here: unknown) => {
    if ((there ?? null) !== (here ?? null))
      out.push(
        `${key}: ${there === undefined ? '(unset)' : JSON.stringify(there)} on the server, ${JSON.stringify(here)} in hutctl.yaml`,
      );
  };
  say('type', instance.type, body.type);
  for (const key of ['limits.cpu', 'limits.memory'])
    say(key, instance.config?.[key], body.config[key as 'limits.cpu']);
  say('devices.root.size', instance.devices?.root?.size, body.devices.root!.size);
  const names = new Set(
    [...Object.keys(instance.devices ?? {}), ...Object.keys(body.devices)].filter((n) =>
      n.startsWith('usb-'),
    ),
  );
  for (const device of [...names].sort())
    for (const key of ['vendorid', 'productid', 'serial'])
      say(
        `devices.${device}.${key}`,
        instance.devices?.[device]?.[key],
        body.devices[device]?.[key],
      );
  return out;
}

export async function vmStatus(client: LxdClient, name: string): Promise<VmStatus> {
  const server = await client.server();
  const instance = (await client.find(`/1.0/instances/${encodeURIComponent(name)}`)) as {
    devices?: Record<string, Record<string, string>>;
  } | null;
  const status: VmStatus = {
    name,
    server: `${server.name} ${server.version}`,
    exists: instance !== null,
    status: null,
    addresses: [],
    processes: null,
    agent: false,
    usb: [],
  };
  if (!instance) return status;
  for (const [device, d] of Object.entries(instance.devices ?? {}))
    if (d.type === 'usb')
      status.usb.push({
        slot: device.replace(/^usb-/, ''),
        device,
        vendor: d.vendorid ?? '',
        product: d.productid ?? '',
        serial: d.serial ?? null,
      });
  const state = (await client.get(`/1.0/instances/${encodeURIComponent(name)}/state`)) as {
    status?: string;
    processes?: number;
    network?: Record<
      string,
      { addresses?: { family: string; address: string; scope: string }[] }
    > | null;
  };
  status.status = state.status ?? null;
  status.processes = state.processes ?? null;
  status.agent = (state.processes ?? -1) > -1;
  for (const [nic, n] of Object.entries(state.network ?? {}))
    for (const a of n.addresses ?? [])
      if (a.family === 'inet' && a.scope === 'global')
        status.addresses.push({ nic, address: a.address });
  return status;
}

/** An SSH public key is a line of at most some 3 KiB (RSA 16384 bits): a few KiB is plenty. */
const PUBLIC_KEY_MAX_BYTES = 8 * 1024;

export interface CreateOptions {
  config: HutConfig;
  name: string;
  timeoutSec: number;
  client: LxdClient;
  progress: (line: string) => void;
  /** Writes the runner target into this hutctl.yaml (the loaded one); null: leave it alone. */
  configFile: string | null;
  evidenceDir: string;
}

export async function createVm(options: CreateOptions): Promise<VmCreated> {
  const { config, client, progress } = options;
  const spec = vmSpec(config, options.name);
  const deadline = Date.now() + options.timeoutSec * 1000;
  let publicKey: string;
  try {
    // A plain file only, and small: a FIFO or /dev/zero named here is refused, not waited on.
    publicKey = readTextFile(spec.sshPublicKey, PUBLIC_KEY_MAX_BYTES).trim();
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    throw new HutError(
      'INPUT',
      `${spec.source}: the runner user's public key ${spec.sshPublicKey} cannot be read: ${error.reason}`,
      {
        hint:
          error.code === 'ENOENT'
            ? `make one: ssh-keygen -t ed25519 -f ${spec.identityFile}`
            : `vms.${spec.name}.ssh_public_key must name the plain .pub file ssh-keygen made`,
      },
    );
  }
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/.test(publicKey))
    throw new HutError('INPUT', `${spec.sshPublicKey} is not an SSH public key`);
  // hutctl.yaml must take the target before anything is created (a flow map cannot).
  if (options.configFile)
    setMapStrings(
      readDocument(options.configFile),
      ['targets', spec.target],
      targetValues(spec, '192.0.2.1', join(config.paths.stateDir, 'known_hosts')),
      options.configFile,
    );
  const server = await client.server();
  checkUsb(spec, server);
  const body = instanceBody(spec, server, publicKey);
  const path = `/1.0/instances/${encodeURIComponent(spec.name)}`;
  const existing = (await client.find(path)) as Parameters<typeof differences>[0] | null;
  let action: VmCreated['action'] = 'created';
  if (existing) {
    const diff = differences(existing, body);
    if (diff.length > 0)
      throw new HutError(
        'INPUT',
        `${spec.name} exists on ${server.name} and differs from hutctl.yaml: ${diff.join('; ')}; nothing was changed`,
        {
          hint: `change hutctl.yaml to match, or: hutctl vm delete ${spec.name} --force, then create it again`,
        },
      );
    action = 'unchanged';
    progress(`${spec.name} exists on ${server.name} and matches hutctl.yaml`);
  } else {
    progress(
      `creating ${spec.name} on ${server.name} ${server.version} (${spec.image} from ${spec.imageServer}, ${spec.cpu} CPU, ${spec.memory}, ${spec.disk}, USB ${Object.keys(spec.usb).join(', ') || 'none'})`,
    );
    await client.run('POST', '/1.0/instances', body, remaining(deadline));
  }
  // From here the VM exists: whatever happens next, its evidence says how far it got.
  const made: Made = {
    spec,
    client,
    path,
    action,
    server: `${server.name} ${server.version}`,
    // How to look inside it before hutctl.yaml has its target: the server's own client.
    inside: `${server.name === 'incus' ? 'incus' : 'lxc'} exec ${spec.project !== 'default' ? `--project ${spec.project} ` : ''}${spec.name} --`,
    deadline,
    reached: { address: null, usb: [], cloudInit: null, hostKey: null },
  };
  try {
    return await makeReady(options, made);
  } catch (error) {
    if (!isHutError(error)) throw error;
    const evidence = await writeEvidence(options, made, [
      `# hutctl vm create ${spec.name}: ${action} on ${made.server}, not ready`,
      `failed: ${oneLine(error.message)}`,
      `target ${spec.target}: not written to ${options.configFile ?? '(no hutctl.yaml)'}${made.reached.hostKey ? '' : '; host key not pinned'}`,
    ]).catch(() => null);
    const hint = [error.hint, evidence && `evidence: ${evidence}`].filter(Boolean).join('; ');
    throw new HutError(error.code, error.message, { ...(hint ? { hint } : {}), cause: error });
  }
}

/** A VM `createVm` made or found, and what it reached on the way to ready. */
interface Made {
  spec: VmSpec;
  client: LxdClient;
  path: string;
  action: VmCreated['action'];
  server: string;
  inside: string;
  deadline: number;
  reached: {
    address: string | null;
    usb: VmStatus['usb'];
    cloudInit: number | null;
    /** `<key> (pinned in <known_hosts>)` once it is. */
    hostKey: string | null;
  };
}

/** Started, agent and address, cloud-init done, host key pinned, target written, evidence. */
async function makeReady(options: CreateOptions, made: Made): Promise<VmCreated> {
  const { config, progress } = options;
  const { spec, client, path, deadline, reached } = made;
  const again = `then hutctl vm create ${spec.name} again (it resumes; target ${spec.target} is written once the VM is ready)`;
  const state = (await client.get(`${path}/state`)) as { status?: string };
  if (state.status !== 'Running') {
    progress(`starting ${spec.name}`);
    await client.run('PUT', `${path}/state`, { action: 'start', timeout: 60 }, remaining(deadline));
  }
  // Ready as measured: the agent answers (processes > -1), a global address, cloud-init done.
  progress(`waiting for ${spec.name}'s agent and address`);
  let status = await vmStatus(client, spec.name);
  while (!status.agent || status.addresses.length === 0) {
    if (Date.now() >= deadline)
      throw new HutError(
        'CONNECT',
        `${spec.name} is ${status.status ?? '?'} but not ready after ${options.timeoutSec} s (agent ${status.agent ? 'up' : 'not running'}, ${status.addresses.length ? status.addresses[0]!.address : 'no address'})`,
        { hint: `look at it: hutctl vm status ${spec.name}; ${again}` },
      );
    await sleep(1000);
    status = await vmStatus(client, spec.name);
  }
  const address = status.addresses[0]!.address;
  reached.address = address;
  reached.usb = status.usb;
  progress(`${spec.name} is up at ${address}; waiting for cloud-init`);
  const cloud = await client.exec(spec.name, ['cloud-init', 'status', '--wait'], {
    timeoutSec: remaining(deadline),
  });
  reached.cloudInit = cloud.return;
  // 2: done with recoverable errors (cloud-init ≥ 23.4) — the baseline may be partial: say so.
  if (cloud.return !== 0 && cloud.return !== 2)
    throw new HutError(
      'FAILED',
      `cloud-init on ${spec.name} failed (exit ${cloud.return}): ${oneLineOf(cloud.stdout + cloud.stderr)}`,
      { hint: `read it there: ${made.inside} cloud-init status --long; ${again}` },
    );
  if (cloud.return === 2)
    progress(
      `cloud-init on ${spec.name} finished with recoverable errors: ${oneLineOf(cloud.stdout)}`,
    );
  const key = await client.exec(spec.name, ['cat', '/etc/ssh/ssh_host_ed25519_key.pub']);
  const hostKey = key.stdout.trim().split(/\s+/).slice(0, 2).join(' ');
  if (key.return !== 0 || !/^ssh-ed25519 [A-Za-z0-9+/=]+$/.test(hostKey))
    throw new HutError(
      'FAILED',
      `${spec.name} has no readable SSH host key (exit ${key.return}): ${oneLineOf(key.stderr)}`,
      { hint: `look there: ${made.inside} ls -l /etc/ssh; ${again}` },
    );
  privateDir(config.paths.stateDir, config.paths.shareGroup);
  const knownHosts = join(config.paths.stateDir, 'known_hosts');
  await pinHostKey(knownHosts, address, hostKey);
  reached.hostKey = `${hostKey} (pinned in ${knownHosts})`;
  let configChanged = false;
  if (options.configFile) {
    // The one writer of hand-kept files: atomic, and every byte the edit does not change kept
    // (line endings — a CRLF file stays CRLF —, mode, owner, a symlink).
    const file = options.configFile;
    const values = targetValues(spec, address, knownHosts);
    const edit = await editDocument(
      file,
      (text) => setMapStrings(text, ['targets', spec.target], values, file) ?? text,
    );
    configChanged = edit.changed;
  }
  const evidence = await writeEvidence(options, made, [
    `# hutctl vm create ${spec.name}: ${made.action} on ${made.server}`,
    `target ${spec.target}: ${configChanged ? 'written to' : 'already in'} ${options.configFile ?? '(no hutctl.yaml)'}`,
  ]);
  return {
    name: spec.name,
    server: made.server,
    action: made.action,
    address,
    host_key: hostKey,
    known_hosts: knownHosts,
    target: spec.target,
    config_changed: configChanged,
    evidence,
    usb: status.usb,
  };
}

/**
 * `infra_vm_<name>_<ts>_utc.log`: the heading, the VM as asked, what it reached (address, USB,
 * cloud-init's exit), then the rest of `lines`; its path.
 */
async function writeEvidence(
  options: CreateOptions,
  made: Made,
  [heading, ...rest]: string[],
): Promise<string> {
  const { spec, reached } = made;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  const path = join(options.evidenceDir, `infra_vm_${spec.name}_${stamp}_utc.log`);
  const lines = [
    heading,
    `image ${spec.image} (${spec.imageServer}); ${spec.cpu} CPU, ${spec.memory} memory, ${spec.disk} disk, pool ${spec.pool}, network ${spec.network}`,
    reached.address
      ? `address ${reached.address}; user ${spec.user}${reached.hostKey ? `; host key ${reached.hostKey}` : ''}`
      : 'no address',
    ...reached.usb.map(
      (u) =>
        `usb ${u.slot}: ${u.vendor}:${u.product}${u.serial ? ` serial ${u.serial}` : ''} (${u.device})`,
    ),
    ...(reached.cloudInit === null ? [] : [`cloud-init: exit ${reached.cloudInit}`]),
    ...rest,
    '',
  ];
  await writeFileAtomic(path, lines.join('\n'));
  return path;
}

/** `address keytype key` in `file`, replacing what was there for that address. */
async function pinHostKey(file: string, address: string, key: string): Promise<void> {
  let lines: string[] = [];
  try {
    lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {}
  const kept = lines.filter((l) => l.split(' ')[0] !== address);
  await writeFileAtomic(file, `${[...kept, `${address} ${key}`].join('\n')}\n`);
}

function remaining(deadline: number): number {
  return Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
}

const oneLineOf = (text: string) =>
  text.trim().split(/\r?\n/).slice(-2).join(' | ') || '(no output)';

/** Adds or removes one slot's USB device; the board moves between the host and the VM. */
export async function usbChange(
  client: LxdClient,
  spec: VmSpec,
  slot: string,
  attach: boolean,
): Promise<VmStatus> {
  const path = `/1.0/instances/${encodeURIComponent(spec.name)}`;
  const instance = (await client.find(path)) as {
    devices?: Record<string, Record<string, string>>;
  } | null;
  if (!instance)
    throw new HutError('NOT_FOUND', `no instance ${spec.name}: hutctl vm create ${spec.name}`);
  const devices = { ...(instance.devices ?? {}) };
  if (attach) {
    const usb = spec.usb[slot];
    if (!usb)
      throw new HutError('INPUT', `${spec.source}: vms.${spec.name}.usb has no ${slot}`, {
        hint: `usb: {${slot}: {vendor: 10c4, product: ea60, serial: …}}`,
      });
    const server = await client.server();
    checkUsb(
      {
        ...spec,
        usb: {
          ...Object.fromEntries(Object.entries(spec.usb).filter(([s]) => devices[usbDevice(s)])),
          [slot]: usb,
        },
      },
      server,
    );
    devices[usbDevice(slot)] = usbBody(usb, server);
  } else {
    if (!devices[usbDevice(slot)])
      throw new HutError('INPUT', `${spec.name} has no USB device for ${slot}`);
    delete devices[usbDevice(slot)];
  }
  // PATCH merges top-level keys: the devices map goes whole.
  await client.run('PATCH', path, { devices });
  return vmStatus(client, spec.name);
}

export async function deleteVm(
  client: LxdClient,
  name: string,
  force: boolean,
): Promise<'deleted' | 'absent'> {
  const path = `/1.0/instances/${encodeURIComponent(name)}`;
  const state = (await client.find(`${path}/state`)) as { status?: string } | null;
  if (!state) return 'absent';
  if (state.status === 'Running') {
    if (!force)
      throw new HutError('INPUT', `${name} is running; nothing was deleted`, {
        hint: `stop it first, or: hutctl vm delete ${name} --force`,
      });
    await client.run('PUT', `${path}/state`, { action: 'stop', force: true, timeout: 60 });
  }
  await client.run('DELETE', path);
  return 'deleted';
}
