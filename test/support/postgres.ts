/**
 * A throwaway PostgreSQL cluster for tests: initdb into a fresh temporary directory, a server
 * that listens on a Unix socket only (no TCP port for two test files to collide on), a `hutctl`
 * database, and a stop that leaves no process and no directory behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { ROOT, tempDir } from './cli.ts';

export interface TestPostgres {
  /** The `hutctl` database over the Unix socket, as a libpq / pg connection string. */
  url: string;
  socketDir: string;
  dataDir: string;
  /** Stops the server at once (no checkpoint) and removes its directories; idempotent. */
  stop(): Promise<void>;
}

const USER = 'hutctl';
const DATABASE = 'hutctl';
const SERVER_PROGRAMS = ['initdb', 'pg_ctl', 'postgres'];
/** PostgreSQL refuses to run as root, so as root the server runs as this user. */
const SERVER_USER = 'nobody';
const AS_SERVER_USER = [
  'setpriv',
  `--reuid=${SERVER_USER}`,
  '--regid=nogroup',
  '--clear-groups',
  '--',
];
// Durability is worthless for a cluster that lives as long as one test file.
const SERVER_OPTIONS =
  "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off";

const execFileAsync = promisify(execFile);

export async function startPostgres(): Promise<TestPostgres> {
  const bin = serverBinDir();
  const dir = tempDir('hutctl-pg-');
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  const log = join(dir, 'postgres.log');
  mkdirSync(socketDir);
  if (ROOT) {
    const { uid, gid } = serverUser();
    chownSync(dir, uid, gid);
    chownSync(socketDir, uid, gid);
  }
  // initdb makes the data directory itself, owned by the server's user and mode 0700.
  const initdb = ['-D', dataDir, '--auth=trust', '-U', USER, '--no-sync', '-E', 'UTF8'];
  await run(bin, 'initdb', [...initdb, '--locale=C']);
  try {
    const options = `-k '${socketDir}' ${SERVER_OPTIONS}`;
    await run(bin, 'pg_ctl', ['-D', dataDir, '-l', log, '-o', options, '-w', '-t', '30', 'start']);
  } catch (error) {
    quit(postmasterPid(dataDir));
    throw new Error(`${(error as Error).message}\n${log} ends:\n${tail(log)}`);
  }
  const pid = postmasterPid(dataDir);
  if (pid === undefined) throw new Error(`pg_ctl started no server?\n${log} ends:\n${tail(log)}`);
  watch(pid);

  const admin = new Client({ host: socketDir, user: USER, database: 'postgres' });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  } catch (error) {
    quit(pid);
    postmasters.delete(pid);
    throw error;
  } finally {
    await admin.end().catch(() => {});
  }

  let stopped: Promise<void> | undefined;
  return {
    url: `postgresql://${USER}@/${DATABASE}?host=${encodeURIComponent(socketDir)}`,
    socketDir,
    dataDir,
    stop() {
      stopped ??= (async () => {
        try {
          await run(bin, 'pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop']);
        } catch (error) {
          if (isRunning(pid)) throw error;
        }
        postmasters.delete(pid);
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

let binDir: string | undefined;

/** Where initdb, pg_ctl and postgres are: `pg_config --bindir`, else the newest Debian version. */
function serverBinDir(): string {
  if (binDir) return binDir;
  const candidates: string[] = [];
  try {
    const out = execFileSync('pg_config', ['--bindir'], { stdio: ['ignore', 'pipe', 'ignore'] });
    candidates.push(out.toString().trim());
  } catch {
    // no pg_config (it comes with libpq-dev, not with the server)
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+(\.\d+)?$/.test(v));
    versions.sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  binDir = candidates.find((dir) => SERVER_PROGRAMS.every((p) => existsSync(join(dir, p))));
  if (!binDir)
    throw new Error(
      `PostgreSQL server programs (${SERVER_PROGRAMS.join(', ')}) not found in ` +
        `${candidates.join(', ') || `pg_config --bindir or ${debian}/*/bin`}: ` +
        `install them with 'apt-get install postgresql' (npm test does this when run as root)`,
    );
  return binDir;
}

function serverUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, SERVER_USER]).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** Runs a server program, as the server's user when we are root. */
async function run(bin: string, program: string, args: string[]): Promise<void> {
  const argv = [join(bin, program), ...args];
  if (ROOT) argv.unshift(...AS_SERVER_USER);
  // No PG* variables from the caller's shell; TZ set spares initdb its time zone search.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^PG/.test(k)));
  try {
    await execFileAsync(argv[0]!, argv.slice(1), {
      cwd: '/',
      env: { ...env, LC_ALL: 'C', TZ: 'UTC' },
      timeout: 60_000,
    });
  } catch (error) {
    const { stderr, stdout, message } = error as { stderr?: string; stdout?: string } & Error;
    throw new Error(`${program} failed: ${(stderr || stdout || message).trim()}`);
  }
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Whether a process is alive (a zombie waiting for its reaper is not). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

// pg_ctl puts the server in a session of its own, so a test process that dies or is interrupted
// does not take it along: on the way out, immediate shutdown (SIGQUIT) for every server not stopped.
const postmasters = new Set<number>();

function watch(pid: number): void {
  if (!watching) {
    watching = true;
    // Before tempDir's own exit hook removes the directories under a running server.
    process.prependListener('exit', quitAll);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.once(signal, () => {
        quitAll();
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
  }
  postmasters.add(pid);
}
let watching = false;

function quitAll(): void {
  for (const pid of postmasters) quit(pid);
  const until = Date.now() + 3000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while ([...postmasters].some(isRunning) && Date.now() < until) Atomics.wait(pause, 0, 0, 10);
  postmasters.clear();
}

function quit(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    // already gone
  }
}
