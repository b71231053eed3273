/**
 * `hutctl vm`: the runner VM on the infra host, over LXD or Incus (GOAL-001 WS4/WS5; reference
 * apis.md §2) — or a container where the host cannot run VMs (`type: container`). `create` makes
 * it from a `vms:` entry — image, resources, cloud-init with the spec's baseline and the runner
 * user's key, one device per slot's board (instance.ts) — or finds it there and compares it key
 * by key; brings it to ready (ready.ts); and writes the runner target into hutctl.yaml. What the
 * server can do is read from its `api_extensions`, never guessed from its version.
 */
import { join } from 'node:path';
import type { HutConfig, VmSpec } from '../config/index.ts';
import { setMapStrings } from '../config/yaml-set.ts';
import { readDocument } from '../docs/index.ts';
import { HutError, isHutError, oneLine } from '../errors/index.ts';
import { FileReadError, readTextFile } from '../files/index.ts';
import { findSocket, LxdClient } from '../lxd/client.ts';
import { checkUsb, differences, instanceBody, usbBody, usbDevice } from './instance.ts';
import {
  type CreateOptions,
  type Made,
  makeReady,
  remaining,
  targetValues,
  type VmCreated,
  writeEvidence,
} from './ready.ts';
import { type VmStatus, vmStatus } from './status.ts';

export { BASELINE, checkUsb, cloudInit, differences, instanceBody } from './instance.ts';
export type { CloudInitOutcome, CreateOptions, VmCreated } from './ready.ts';
export { type VmAddress, type VmStatus, vmStatus } from './status.ts';

/** An SSH public key is a line of at most some 3 KiB (RSA 16384 bits): a few KiB is plenty. */
const PUBLIC_KEY_MAX_BYTES = 8 * 1024;

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

/**
 * The runner user's public key that `spec` names, checked: a HutError (INPUT) naming the file and
 * `vms.<name>.ssh_public_key` when it cannot be read or is not a key. Asked before anything is
 * made (the evidence directory, the instance).
 */
export function readPublicKey(spec: VmSpec): string {
  const hint = `vms.${spec.name}.ssh_public_key must name the plain .pub file ssh-keygen made`;
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
            : hint,
      },
    );
  }
  if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/.test(publicKey))
    throw new HutError(
      'INPUT',
      `${spec.source}: the runner user's public key ${spec.sshPublicKey} is not an SSH public key (one line: <type> <base64> [comment])`,
      { hint },
    );
  return publicKey;
}

export async function createVm(options: CreateOptions): Promise<VmCreated> {
  const { config, client, progress } = options;
  const spec = vmSpec(config, options.name);
  const deadline = Date.now() + options.timeoutSec * 1000;
  const publicKey = options.publicKey ?? readPublicKey(spec);
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
      `creating ${spec.type === 'container' ? 'container ' : ''}${spec.name} on ${server.name} ${server.version} (${spec.image} from ${spec.imageServer === 'local' ? 'the server' : spec.imageServer}, ${spec.cpu} CPU, ${spec.memory}, ${spec.disk}, USB ${Object.keys(spec.usb).join(', ') || 'none'})`,
    );
    await client.run('POST', '/1.0/instances', body, remaining(deadline));
  }
  // From here the instance exists: whatever happens next, its evidence says how far it got.
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
    devices[usbDevice(slot)] = usbBody(spec, usb, server);
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
