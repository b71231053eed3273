/**
 * The SSH transport: the system OpenSSH client with BatchMode, a connect timeout, and one shared
 * master connection per host (ControlMaster/ControlPersist), so each call costs a local socket
 * round trip instead of a handshake. Arguments are quoted so they arrive intact.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import type { HutConfig, Target } from '../config/index.ts';
import { HutError } from '../errors/index.ts';
import { makeDirs } from '../files/dirs.ts';
import { nameHash } from '../files/index.ts';
import { diagnoseSsh } from './ssh-diagnose.ts';
import { type SpawnOptions, shellQuote, type Transport } from './transport.ts';

const CD_THEN_EXEC = `cd -- "$1" 2>/dev/null || { printf 'hutctl: workdir %s does not exist on %s\\n' "$1" "$(uname -n)" >&2; exit 1; }
shift; exec "$@"`;

export class SshTransport implements Transport {
  readonly target: Target;
  private readonly settings: HutConfig['ssh'];
  private readonly controlPath: string | null;

  constructor(target: Target, settings: HutConfig['ssh']) {
    if (!target.host)
      throw new HutError('CONFIG', `target ${target.name}: ssh transport needs a host`);
    this.target = target;
    this.settings = settings;
    this.controlPath =
      settings.controlPersistSec > 0 ? join(settings.controlDir, connectionKey(target)) : null;
  }

  describe(): string {
    const { user, host, port } = this.target;
    return `${user ? `${user}@` : ''}${host}:${port ?? 22}`;
  }

  /** The options every ssh call shares (connection identity, safety, timeouts). */
  private baseArgs(): string[] {
    const t = this.target;
    const args = [
      '-o',
      'BatchMode=yes',
      '-o',
      `ConnectTimeout=${this.settings.connectTimeoutSec}`,
      '-o',
      `ServerAliveInterval=${this.settings.serverAliveIntervalSec}`,
      '-o',
      'ServerAliveCountMax=3',
    ];
    if (t.port !== undefined) args.push('-p', String(t.port));
    if (t.user !== undefined) args.push('-l', t.user);
    if (t.identityFile !== undefined) args.push('-i', t.identityFile, '-o', 'IdentitiesOnly=yes');
    // A known_hosts file hutctl keeps is the only one asked, and strictly: never accept-new.
    if (t.knownHosts !== undefined)
      args.push('-o', `UserKnownHostsFile=${t.knownHosts}`, '-o', 'StrictHostKeyChecking=yes');
    for (const [key, value] of Object.entries(t.sshOptions)) args.push('-o', `${key}=${value}`);
    if (this.controlPath) args.push('-o', `ControlPath=${this.controlPath}`);
    return args;
  }

  async connect(signal?: AbortSignal): Promise<void> {
    if (this.controlPath === null) {
      await this.runForDiagnosis(
        ['-o', 'ControlMaster=no', '-T', '--', this.target.host!, 'true'],
        signal,
      );
      return;
    }
    if (await socketAlive(this.controlPath)) return;
    makeDirs(this.settings.controlDir, 0o700);
    // Serialize master start-up across hutctl processes; re-check under the lock.
    const master = [
      'ssh',
      ...this.baseArgs(),
      '-o',
      'ControlMaster=yes',
      '-o',
      `ControlPersist=${this.settings.controlPersistSec}`,
      '-N',
      '-f',
      '--',
      this.target.host!,
    ];
    const check = ['ssh', ...this.baseArgs(), '-O', 'check', '--', this.target.host!];
    const script = `${check.map(shellQuote).join(' ')} >/dev/null 2>&1 && exit 0; rm -f -- ${shellQuote(this.controlPath)}; exec ${master.map(shellQuote).join(' ')}`;
    await this.runForDiagnosis(null, signal, [
      'flock',
      '-w',
      '60',
      `${this.controlPath}.lock`,
      'sh',
      '-c',
      script,
    ]);
  }

  /**
   * Runs ssh (or a given argv) with stderr to a file, not a pipe: a backgrounded master keeps
   * its stderr open, and a pipe would never reach EOF.
   */
  private async runForDiagnosis(
    sshArgs: string[] | null,
    signal: AbortSignal | undefined,
    argv: string[] = ['ssh', ...this.baseArgs(), ...(sshArgs ?? [])],
  ): Promise<void> {
    makeDirs(this.settings.controlDir, 0o700);
    const errFile = join(this.settings.controlDir, `.err-${process.pid}-${Date.now()}`);
    const fd = openSync(errFile, 'w', 0o600);
    try {
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', fd], signal });
        child.on('error', reject);
        child.on('exit', (exitCode) => resolve(exitCode));
      });
      if (code !== 0) {
        const stderr = readFileSync(errFile, 'utf8');
        const { reason, hint } = diagnoseSsh(stderr);
        throw new HutError(
          'CONNECT',
          `cannot reach ${this.target.name} (${this.who()}): ${reason}`,
          {
            hint,
            details: { stderr },
          },
        );
      }
    } finally {
      closeSync(fd);
      rmSync(errFile, { force: true });
    }
  }

  private who(): string {
    const key = this.target.identityFile ? `, key ${this.target.identityFile}` : '';
    return `${this.describe()}${key}`;
  }

  spawn(argv: readonly string[], options: SpawnOptions): ChildProcess {
    const cwd = options.cwd ?? this.target.workdir;
    // The remote shell parses this one string: every value in it is one quoted word, and the
    // working directory reaches `cd` only as a positional parameter.
    const words = cwd ? ['sh', '-c', CD_THEN_EXEC, 'hutctl-cd', cwd, ...argv] : argv;
    const command = `exec ${words.map(shellQuote).join(' ')}`;
    const args = [
      ...this.baseArgs(),
      '-o',
      'ControlMaster=no',
      '-T',
      '--',
      this.target.host!,
      command,
    ];
    return spawn('ssh', args, { stdio: options.stdio, detached: options.ownGroup === true });
  }

  /** Closes the shared master connection, if any (used by tests and `hutctl exec --close`). */
  async disconnect(): Promise<void> {
    if (!this.controlPath) return;
    await new Promise<void>((resolve) => {
      const child = spawn('ssh', [...this.baseArgs(), '-O', 'exit', '--', this.target.host!], {
        stdio: 'ignore',
      });
      child.on('exit', () => resolve());
      child.on('error', () => resolve());
    });
    try {
      unlinkSync(this.controlPath);
    } catch {}
  }
}

/** A short stable file name for one connection identity (socket paths are limited to ~108 bytes). */
function connectionKey(target: Target): string {
  const identity = JSON.stringify([
    target.user ?? '',
    target.host,
    target.port ?? 22,
    target.identityFile ?? '',
    target.knownHosts ?? '',
    target.sshOptions,
  ]);
  return `cm-${nameHash(identity)}`;
}

function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
