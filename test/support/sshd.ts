/**
 * A throwaway OpenSSH server on 127.0.0.1 for tests: its own host key, its own user key and
 * authorized_keys, a free port; the machine's sshd and ~/.ssh are never touched.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import * as testHooks from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

export interface TestSshd {
  dir: string;
  port: number;
  user: string;
  identityFile: string;
  knownHosts: string;
  /** A hutctl.yaml target block for this server. */
  targetYaml(name: string, extra?: string): string;
  stop(): Promise<void>;
}

const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => {
  try {
    execFileSync(p, ['-V'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // `sshd -V` exits non-zero on older versions but still proves the binary runs.
    return (error as { status?: number }).status !== undefined;
  }
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export async function startSshd(): Promise<TestSshd> {
  if (!SSHD)
    throw new Error('sshd not found: install openssh-server (npm test does this when run as root)');
  const dir = mkdtempSync(join(tmpdir(), 'hutctl-sshd-'));
  const port = await freePort();
  const user = userInfo().username;
  const hostKey = join(dir, 'host_ed25519');
  const identityFile = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', identityFile]);
  execFileSync('cp', [`${identityFile}.pub`, join(dir, 'authorized_keys')]);
  mkdirSync('/run/sshd', { recursive: true });
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'MaxSessions 200',
      'MaxStartups 100:30:200',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${stderr}`);
    if (await canConnect(port)) break;
    if (i > 100) throw new Error(`sshd did not listen on ${port}: ${stderr}`);
    await sleep(50);
  }
  const knownHosts = join(dir, 'known_hosts');
  return {
    dir,
    port,
    user,
    identityFile,
    knownHosts,
    targetYaml(name, extra = '') {
      return [
        `  ${name}:`,
        '    transport: ssh',
        '    host: 127.0.0.1',
        `    port: ${port}`,
        `    user: ${user}`,
        `    identity_file: ${identityFile}`,
        '    ssh_options:',
        `      UserKnownHostsFile: ${knownHosts}`,
        '      StrictHostKeyChecking: accept-new',
        extra,
      ]
        .filter(Boolean)
        .join('\n');
    },
    async stop() {
      // Shared-connection masters and their server sessions all name this directory.
      spawnSync('pkill', ['-TERM', '-f', dir]);
      child.kill('SIGTERM');
      await new Promise((resolve) =>
        child.exitCode !== null ? resolve(null) : child.once('exit', resolve),
      );
      child.stderr!.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * One throwaway sshd for a test file, and the `runner` target YAML of each transport, so a
 * suite can run once per transport (local and ssh).
 */
export function transportTargets(): {
  local: () => string;
  ssh: () => string;
  sshd: () => TestSshd;
} {
  let sshd: TestSshd | null = null;
  const { before, after } = testHooks;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });
  return {
    local: () => '  runner:\n    transport: local',
    ssh: () => sshd!.targetYaml('runner'),
    sshd: () => sshd!,
  };
}
