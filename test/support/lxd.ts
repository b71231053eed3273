/**
 * A real LXD daemon for tests (Debian's `lxd`, apis.md §2.8): its own directory, started in a
 * network namespace with only loopback (so its start-up image refresh reaches nothing, and
 * `images.auto_update_interval` is set to 0 besides), a `dir` storage pool, a managed bridge
 * `lxdbr0` whose dnsmasq leases addresses inside that namespace, and a busybox image built here,
 * so nothing is downloaded and the host's network is never touched. Containers only: this
 * machine cannot run its VMs.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from './cli.ts';

export interface RealLxd {
  dir: string;
  socket: string;
  /**
   * The local image alias of a busybox container (sh, cat, echo, sleep, true): its init takes an
   * address by DHCP on eth0 when it has one, and it carries an SSH host key (no sshd, no
   * cloud-init).
   */
  image: string;
  /** The managed bridge (10.87.0.1/24, DHCP, no NAT) in the daemon's namespace. */
  network: string;
  stop(): Promise<void>;
}

/** The public SSH host key the busybox image carries (its private half exists nowhere). */
export const HOST_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHutctlBusyboxHostKeyForTheRunnerContainer00';

/** Why a real daemon cannot run here, or null when it can. */
export function lxdUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'the LXD daemon needs root';
  if (!existsSync('/usr/bin/lxd')) return 'lxd is not installed (apt-get install lxd)';
  if (!existsSync('/bin/busybox')) return 'busybox-static is not installed';
  if (!existsSync('/usr/sbin/dnsmasq'))
    return 'dnsmasq is not installed (apt-get install dnsmasq-base)';
  return null;
}

export async function startLxd(): Promise<RealLxd> {
  const dir = tempDir('hutctl-lxd-real-');
  // The container's root user (mapped) must be able to pass through to its rootfs.
  chmodSync(dir, 0o711);
  const lxdDir = join(dir, 'lxd');
  mkdirSync(lxdDir, { mode: 0o711 });
  // This host has no iptables; the bridge lives in the daemon's own network namespace, where
  // nothing needs filtering, so LXD's calls to the firewall are answered with success.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['iptables', 'ip6tables', 'iptables-save', 'ip6tables-save', 'ebtables'])
    writeFileSync(join(bin, tool), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  // Its own mount namespace too, with a sysfs of its own network namespace (LXD finds its bridge
  // under /sys/class/net), and the host's cgroups moved over it again for the limits.
  const daemon: ChildProcess = spawn(
    'unshare',
    [
      '-n',
      '-m',
      '--',
      'sh',
      '-c',
      [
        'set -e',
        'mkdir "$1/cgroup"',
        'mount --rbind /sys/fs/cgroup "$1/cgroup"',
        'mount -t sysfs sysfs /sys',
        'mount --move "$1/cgroup" /sys/fs/cgroup',
        'ip link set lo up',
        'PATH="$1/bin:$PATH" exec lxd --group root --logfile "$1/lxd.log"',
      ].join('\n'),
      'lxd',
      dir,
    ],
    { env: { ...process.env, LXD_DIR: lxdDir }, stdio: 'ignore' },
  );
  const socket = join(lxdDir, 'unix.socket');
  const lxc = (...args: string[]) =>
    execFileSync('lxc', args, {
      env: { ...process.env, LXD_DIR: lxdDir },
      stdio: 'pipe',
      timeout: 60_000,
    });
  const stopDaemon = async () => {
    daemon.kill('SIGTERM');
    for (let i = 0; i < 100 && daemon.exitCode === null && daemon.signalCode === null; i++)
      await sleep(100);
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
  };
  try {
    return await setUp();
  } catch (error) {
    // A daemon left running keeps the test's process alive for ever after its tests are done.
    await stopDaemon();
    throw error;
  }

  async function setUp(): Promise<RealLxd> {
    for (let i = 0; ; i++) {
      if (existsSync(socket)) {
        try {
          lxc('config', 'set', 'images.auto_update_interval', '0');
          break;
        } catch {}
      }
      if (i > 300 || daemon.exitCode !== null)
        throw new Error(`lxd did not start (see ${dir}/lxd.log)`);
      await sleep(100);
    }
    lxc('storage', 'create', 'default', 'dir');
    lxc('profile', 'device', 'add', 'default', 'root', 'disk', 'path=/', 'pool=default');
    const network = 'lxdbr0';
    lxc(
      'network',
      'create',
      network,
      'ipv4.address=10.87.0.1/24',
      'ipv4.nat=false',
      'ipv6.address=none',
    );
    const image = join(dir, 'image');
    const rootfs = join(image, 'rootfs');
    for (const d of ['bin', 'sbin', 'dev', 'proc', 'sys', 'tmp', 'etc/ssh', 'root'])
      mkdirSync(join(rootfs, d), { recursive: true });
    copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
    chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
    for (const tool of ['sh', 'cat', 'echo', 'sleep', 'true', 'id', 'ls', 'ip', 'udhcpc'])
      symlinkSync('busybox', join(rootfs, 'bin', tool));
    // udhcpc only reports a lease: this script puts its address on the interface.
    writeFileSync(
      join(rootfs, 'bin', 'dhcp-bound'),
      '#!/bin/sh\ncase "$1" in bound|renew) ip addr add "$ip/$mask" dev "$interface" ;; esac\n',
      { mode: 0o755 },
    );
    writeFileSync(
      join(rootfs, 'sbin', 'init'),
      '#!/bin/sh\nip link set eth0 up 2>/dev/null && udhcpc -b -q -i eth0 -s /bin/dhcp-bound >/dev/null 2>&1\nexec /bin/sleep 2147483647\n',
      { mode: 0o755 },
    );
    writeFileSync(
      join(rootfs, 'etc', 'ssh', 'ssh_host_ed25519_key.pub'),
      `${HOST_KEY} root@busybox\n`,
    );
    writeFileSync(
      join(image, 'metadata.yaml'),
      `architecture: ${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}\ncreation_date: 1700000000\nproperties:\n  description: busybox for hutctl tests\n`,
    );
    execFileSync('tar', [
      '-C',
      image,
      '-czf',
      join(dir, 'busybox.tar.gz'),
      'metadata.yaml',
      'rootfs',
    ]);
    lxc('image', 'import', join(dir, 'busybox.tar.gz'), '--alias', 'busybox');
    return {
      dir,
      socket,
      image: 'busybox',
      network,
      async stop() {
        try {
          lxc('delete', '--force', ...listInstances(lxc));
        } catch {}
        // A stopping daemon leaves its networks' dnsmasq running (a restart keeps them): the network
        // goes first, with it.
        try {
          lxc('network', 'delete', network);
        } catch {}
        await stopDaemon();
      },
    };
  }
}

function listInstances(lxc: (...args: string[]) => Buffer): string[] {
  return lxc('list', '--format', 'csv', '-c', 'n').toString().split('\n').filter(Boolean);
}
