/**
 * The instance a `vms:` entry describes — what POST /1.0/instances gets — and where one on the
 * server differs from it. Each slot's board is one device named `usb-<slot>`: for a VM a `usb`
 * device (the whole device passed through QEMU); for a container a `unix-hotplug` device, its tty
 * nodes (a container's `usb` device passes only the libusb node, no tty: apis.md §2.6).
 */
import type { VmSpec } from '../config/index.ts';
import { HutError } from '../errors/index.ts';
import type { LxdServer } from '../lxd/client.ts';

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

/** The device types `usb-<slot>` may have: `usb` in a VM, `unix-hotplug` in a container. */
export const BOARD_DEVICES = new Set(['usb', 'unix-hotplug']);

/** `dialout` on Debian and Ubuntu: the runner user's group that may open serial ports. */
const DIALOUT_GID = '20';

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
    devices[usbDevice(slot)] = usbBody(spec, usb, server);
  const userData = server.extensions.has('cloud_init') ? 'cloud-init.user-data' : 'user.user-data';
  const config: Record<string, string> = {
    'limits.cpu': String(spec.cpu),
    'limits.memory': spec.memory,
    [userData]: cloudInit(spec, publicKey),
  };
  // A VM-only key: a container has no firmware to boot.
  if (spec.type === 'virtual-machine') config['security.secureboot'] = 'false';
  return {
    name: spec.name,
    type: spec.type,
    source:
      spec.imageServer === 'local'
        ? { type: 'image', alias: spec.image }
        : { type: 'image', alias: spec.image, server: spec.imageServer, protocol: 'simplestreams' },
    config,
    devices,
    profiles: ['default'],
    ...(server.extensions.has('instance_create_start') ? { start: true } : {}),
  };
}

export const usbDevice = (slot: string) => `usb-${slot}`;

/**
 * One board's device. In a VM, `serial` only where the server has `device_usb_serial`; in a
 * container the kernel's driver on the host makes the tty, which `unix-hotplug` passes by vendor
 * and product (it has no serial), owned by dialout as the runner user's group.
 */
export function usbBody(
  spec: Pick<VmSpec, 'type'>,
  usb: VmSpec['usb'][string],
  server: LxdServer,
): Record<string, string> {
  if (spec.type === 'container')
    return {
      type: 'unix-hotplug',
      vendorid: usb.vendor,
      productid: usb.product,
      gid: DIALOUT_GID,
      required: 'false',
    };
  return {
    type: 'usb',
    vendorid: usb.vendor,
    productid: usb.product,
    ...(server.extensions.has('device_usb_serial') && usb.serial ? { serial: usb.serial } : {}),
    required: 'false',
  };
}

/**
 * Two boards of the same vendor and product can only be told apart by serial, which needs a VM
 * and the server's `device_usb_serial`; without it both would be passed to the instance.
 */
export function checkUsb(spec: VmSpec, server: LxdServer): void {
  const container = spec.type === 'container';
  if (
    container &&
    Object.keys(spec.usb).length > 0 &&
    !server.extensions.has('unix_hotplug_devices')
  )
    throw new HutError(
      'INPUT',
      `${spec.source}: ${server.name} ${server.version} has no unix_hotplug_devices, which a container's boards need; nothing was created`,
      {
        hint: 'use an LXD or Incus with unix_hotplug_devices (LXD 5.0.2 has it), or type: virtual-machine',
      },
    );
  const bySerial = !container && server.extensions.has('device_usb_serial');
  const seen = new Map<string, string>();
  for (const [slot, usb] of Object.entries(spec.usb)) {
    const key = `${usb.vendor}:${usb.product}`;
    const other = seen.get(key);
    if (other && container)
      throw new HutError(
        'INPUT',
        `${spec.source}: slots ${other} and ${slot} are both ${key}, and a container's unix-hotplug devices match by vendor and product only, so each would pass both boards; nothing was created`,
        { hint: 'boards that differ, or type: virtual-machine on a host that can run one' },
      );
    if (other && !bySerial)
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
    say(key, instance.config?.[key], body.config[key]);
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
