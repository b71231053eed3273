/** Runs the built hutctl CLI as a user would, and small helpers around processes. */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Every temporary directory a test file makes goes when its process ends, unless a test failed
// (then they stay, with their evidence, for a look) or HUTCTL_KEEP_TEST_DIRS is set.
const made: string[] = [];
process.on('exit', (code) => {
  if (code !== 0 || process.exitCode || process.env.HUTCTL_KEEP_TEST_DIRS) return;
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** One config cache for the whole test file, out of the user's ~/.cache. */
const CACHE = tempDir('hutctl-cache-');

export const CLI = fileURLToPath(new URL('../../dist/hutctl.cjs', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  /** Start in a process group of its own (to send it a terminal's Ctrl-C). */
  ownGroup?: boolean;
  /** Run as this other local user (setpriv; the tests run as root). */
  asUser?: 'nobody';
  /** SIGKILL it after this many ms: a command that waits on a file fails its test, not hangs it. */
  killAfterMs?: number;
}

/** Starts hutctl; the caller decides when to wait (see `finished`). */
export function startCli(args: string[], options: CliOptions = {}): ChildProcess {
  const argv = [process.execPath, CLI, ...args];
  if (options.asUser)
    argv.unshift('setpriv', `--reuid=${options.asUser}`, '--regid=nogroup', '--clear-groups', '--');
  return spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, HUTCTL_CONFIG: '', XDG_CACHE_HOME: CACHE, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: options.ownGroup === true,
  });
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  const timer =
    options.killAfterMs === undefined
      ? undefined
      : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
  const done = finished(child);
  child.stdin!.end(options.input ?? '');
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

export function tempDir(prefix = 'hutctl-test-', parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  made.push(dir);
  return dir;
}

/**
 * A working directory with a hutctl.yaml whose lock, cancel and evidence paths are private to it
 * (`paths` overrides or adds keys under `paths:`).
 */
export function workspace(
  targetsYaml = '',
  extraYaml = '',
  parent?: string,
  paths: Record<string, string> = {},
): string {
  const dir = tempDir('hutctl-test-', parent);
  const path = (key: string, own: string) => `  ${key}: ${paths[key] ?? join(dir, own)}`;
  const more = Object.entries(paths)
    .filter(([key]) => !['lock_dir', 'cancel_dir', 'evidence_dir', 'state_dir'].includes(key))
    .map(([key, value]) => `  ${key}: ${value}`);
  writeFileSync(
    join(dir, 'hutctl.yaml'),
    [
      'paths:',
      path('lock_dir', 'locks'),
      path('cancel_dir', 'cancel'),
      path('evidence_dir', 'evidence'),
      path('state_dir', 'state'),
      ...more,
      'ssh:',
      `  control_dir: ${join(dir, 'cm')}`,
      'jobs:',
      '  kill_grace_sec: 1',
      targetsYaml ? `targets:\n${targetsYaml}` : '',
      extraYaml,
      '',
    ].join('\n'),
  );
  return dir;
}

export function invocation(fields: Record<string, unknown>): string {
  return JSON.stringify({
    schema_version: 'ws2.invocation.v1',
    job_id: `t-${Math.random().toString(16).slice(2, 10)}`,
    target_role: 'runner',
    requested_by: 'arch',
    request_utc: '2026-02-12T15:30:00Z',
    command: ['true'],
    timeout_sec: 60,
    lock_key: 'test',
    ...fields,
  });
}

/** Whether a process with this exact marker in its command line is alive. */
export async function processesMatching(marker: string): Promise<number> {
  const child = spawn('pgrep', ['-f', marker], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  await new Promise((resolve) => child.on('close', resolve));
  return out.split('\n').filter(Boolean).length;
}

/**
 * Processes other than this one and the board's own socat that hold `link`'s terminal open:
 * a flasher, a boot-log reader, or anything they left behind.
 */
export function portHolders(link: string): number[] {
  let tty: string;
  try {
    tty = realpathSync(link);
  } catch {
    return [];
  }
  const holders: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'socat') continue;
      const fds = readdirSync(`/proc/${pid}/fd`);
      if (fds.some((fd) => readlinkOrNull(`/proc/${pid}/fd/${fd}`) === tty)) holders.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return holders;
}

function readlinkOrNull(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Whether this test process may switch user, mount and chown (CI runs the tests as root). */
export const ROOT = process.getuid?.() === 0;
