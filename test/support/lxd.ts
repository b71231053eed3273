/**
 * A real LXD daemon for tests (Debian's `lxd`, apis.md §2.8): its own directory, started in a
 * network namespace with only loopback (so its start-up image refresh reaches nothing, and
 * `images.auto_update_interval` is set to 0 besides), a `dir` storage pool and a busybox image
 * built here, so nothing is downloaded and the host's network is never touched. Containers only:
 * this machine cannot run its VMs.
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
  /** The local image alias of a busybox container (sh, cat, echo, sleep, true). */
  image: string;
  stop(): Promise<void>;
}

/** Why a real daemon cannot run here, or null when it can. */
export function lxdUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'the LXD daemon needs root';
  if (!existsSync('/usr/bin/lxd')) return 'lxd is not installed (apt-get install lxd)';
  if (!existsSync('/bin/busybox')) return 'busybox-static is not installed';
  return null;
}

export async function startLxd(): Promise<RealLxd> {
  const dir = tempDir('hutctl-lxd-real-');
  // The container's root user (mapped) must be able to pass through to its rootfs.
  chmodSync(dir, 0o711);
  const lxdDir = join(dir, 'lxd');
  mkdirSync(lxdDir, { mode: 0o711 });
  const daemon: ChildProcess = spawn(
    'unshare',
    [
      '-n',
      '--',
      'sh',
      '-c',
      'ip link set lo up; exec lxd --group root --logfile "$1/lxd.log"',
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
  const image = join(dir, 'image');
  const rootfs = join(image, 'rootfs');
  for (const d of ['bin', 'sbin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'root'])
    mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  chmodSync(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const tool of ['sh', 'cat', 'echo', 'sleep', 'true', 'id', 'ls'])
    symlinkSync('busybox', join(rootfs, 'bin', tool));
  writeFileSync(join(rootfs, 'sbin', 'init'), '#!/bin/sh\nexec /bin/sleep 2147483647\n', {
    mode: 0o755,
  });
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
    async stop() {
      try {
        lxc('delete', '--force', ...listInstances(lxc));
      } catch {}
      daemon.kill('SIGTERM');
      for (let i = 0; i < 100 && daemon.exitCode === null; i++) await sleep(100);
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
    },
  };
}

function listInstances(lxc: (...args: string[]) => Buffer): string[] {
  return lxc('list', '--format', 'csv', '-c', 'n').toString().split('\n').filter(Boolean);
}
