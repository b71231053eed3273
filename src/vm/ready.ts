/**
 * A runner instance `vm create` made or found, brought to ready as measured (apis.md §2.3):
 * started; a VM's agent up (a container has none: its state is there once it runs) and a global
 * address; `cloud-init status --wait` where the image has cloud-init; its SSH host key, read
 * through the API, pinned in the known_hosts file hutctl keeps; the target written into
 * hutctl.yaml; and the evidence log, which says how far it got when it did not get there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HutConfig, VmSpec } from '../config/index.ts';
import { setMapStrings } from '../config/yaml-set.ts';
import { editDocument } from '../docs/index.ts';
import { HutError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { privateDir } from '../files/private.ts';
import type { LxdClient } from '../lxd/client.ts';
import { type VmStatus, vmStatus } from './status.ts';

export interface CreateOptions {
  config: HutConfig;
  name: string;
  timeoutSec: number;
  client: LxdClient;
  progress: (line: string) => void;
  /** Writes the runner target into this hutctl.yaml (the loaded one); null: leave it alone. */
  configFile: string | null;
  evidenceDir: string;
  /** The key `readPublicKey` read (and checked) first; else createVm reads it. */
  publicKey?: string;
}

/** What cloud-init said: done, done with recoverable errors, or not in the image at all. */
export type CloudInitOutcome = 'done' | 'recoverable errors' | 'not in the image';

export interface VmCreated {
  name: string;
  type: VmSpec['type'];
  server: string;
  action: 'created' | 'unchanged';
  address: string;
  cloud_init: CloudInitOutcome;
  host_key: string;
  known_hosts: string;
  target: string;
  config_changed: boolean;
  evidence: string;
  usb: VmStatus['usb'];
}

/** An instance `createVm` made or found, and what it reached on the way to ready. */
export interface Made {
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
    /** cloud-init's exit; 127: it is not in the image. */
    cloudInit: number | null;
    /** `<key> (pinned in <known_hosts>)` once it is. */
    hostKey: string | null;
  };
}

/** The target `vm create` writes into hutctl.yaml for an instance at `host`. */
export function targetValues(
  spec: VmSpec,
  host: string,
  knownHosts: string,
): Record<string, string> {
  return {
    transport: 'ssh',
    host,
    user: spec.user,
    identity_file: spec.identityFile,
    known_hosts: knownHosts,
  };
}

/** Started, agent and address, cloud-init done, host key pinned, target written, evidence. */
export async function makeReady(options: CreateOptions, made: Made): Promise<VmCreated> {
  const { config, progress } = options;
  const { spec, client, path, deadline, reached } = made;
  const vm = spec.type === 'virtual-machine';
  const again = `then hutctl vm create ${spec.name} again (it resumes; target ${spec.target} is written once the ${vm ? 'VM' : 'container'} is ready)`;
  const state = (await client.get(`${path}/state`)) as { status?: string };
  if (state.status !== 'Running') {
    progress(`starting ${spec.name}`);
    await client.run('PUT', `${path}/state`, { action: 'start', timeout: 60 }, remaining(deadline));
  }
  // Ready as measured: a VM's agent answers (processes > -1; a running container's processes
  // are counted at once), and a global address.
  progress(`waiting for ${spec.name}'s ${vm ? 'agent and address' : 'address'}`);
  const began = Date.now();
  let status = await vmStatus(client, spec.name);
  while (!status.agent || status.addresses.length === 0) {
    if (Date.now() >= deadline)
      throw new HutError(
        'CONNECT',
        `${spec.name} is ${status.status ?? '?'} but not ready after ${options.timeoutSec} s (${vm ? `agent ${status.agent ? 'up' : 'not running'}, ` : ''}${status.addresses.length ? status.addresses[0]!.address : 'no address'})`,
        { hint: `look at it: hutctl vm status ${spec.name}; ${again}` },
      );
    // A container has its address within a second or so, a VM's agent takes tens of seconds:
    // asked often at first, then once a second.
    await sleep(Math.min(1000, 100 + (Date.now() - began) / 10));
    status = await vmStatus(client, spec.name);
  }
  const address = status.addresses[0]!.address;
  reached.address = address;
  reached.usb = status.usb;
  progress(`${spec.name} is up at ${address}; waiting for cloud-init`);
  const cloud = await client.exec(spec.name, ['cloud-init', 'status', '--wait'], {
    timeoutSec: remaining(deadline),
  });
  // 2: done with recoverable errors (cloud-init ≥ 23.4) — the baseline may be partial: say so.
  // 127: LXD's answer for a program that is not there (apis.md §2.5) — nothing to wait for.
  const outcome: CloudInitOutcome | null =
    cloud.return === 0
      ? 'done'
      : cloud.return === 2
        ? 'recoverable errors'
        : cloud.return === 127
          ? 'not in the image'
          : null;
  reached.cloudInit = cloud.return;
  if (!outcome)
    throw new HutError(
      'FAILED',
      `cloud-init on ${spec.name} failed (exit ${cloud.return}): ${oneLineOf(cloud.stdout + cloud.stderr)}`,
      { hint: `read it there: ${made.inside} cloud-init status --long; ${again}` },
    );
  if (outcome === 'recoverable errors')
    progress(
      `cloud-init on ${spec.name} finished with recoverable errors: ${oneLineOf(cloud.stdout)}`,
    );
  if (outcome === 'not in the image')
    progress(
      `${spec.name}'s image ${spec.image} has no cloud-init: nothing waited for, and its user-data (the baseline, user ${spec.user} and its key) was not applied`,
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
    type: spec.type,
    server: made.server,
    action: made.action,
    address,
    cloud_init: outcome,
    host_key: hostKey,
    known_hosts: knownHosts,
    target: spec.target,
    config_changed: configChanged,
    evidence,
    usb: status.usb,
  };
}

/**
 * `infra_vm_<name>_<ts>_utc.log`: the heading, the instance as asked, what it reached (address,
 * USB, cloud-init's exit), then the rest of `lines`; its path.
 */
export async function writeEvidence(
  options: CreateOptions,
  made: Made,
  [heading, ...rest]: string[],
): Promise<string> {
  const { spec, reached } = made;
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '_').slice(0, 15);
  const path = join(options.evidenceDir, `infra_vm_${spec.name}_${stamp}_utc.log`);
  const lines = [
    heading,
    `${spec.type === 'container' ? 'container; ' : ''}image ${spec.image} (${spec.imageServer}); ${spec.cpu} CPU, ${spec.memory} memory, ${spec.disk} disk, pool ${spec.pool}, network ${spec.network}`,
    reached.address
      ? `address ${reached.address}; user ${spec.user}${reached.hostKey ? `; host key ${reached.hostKey}` : ''}`
      : 'no address',
    ...reached.usb.map(
      (u) =>
        `usb ${u.slot}: ${u.vendor}:${u.product}${u.serial ? ` serial ${u.serial}` : ''} (${u.device})`,
    ),
    ...(reached.cloudInit === null
      ? []
      : reached.cloudInit === 127
        ? ['cloud-init: not in the image (nothing waited for; user-data not applied)']
        : [`cloud-init: exit ${reached.cloudInit}`]),
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

export function remaining(deadline: number): number {
  return Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
}

const oneLineOf = (text: string) =>
  text.trim().split(/\r?\n/).slice(-2).join(' | ') || '(no output)';
