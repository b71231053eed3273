/**
 * The relay between a simulated board and its pseudo-terminal: `socat` holds the PTY (and the
 * /dev/serial/by-id-style link to it) and passes its bytes to and from this process.
 *
 * It is started by the keeper (src/keeper) when one runs, and then talks to us over a Unix
 * socket in a directory of this process's own: a board that powers on costs this process a line
 * on a pipe, not a fork of itself — on a small VM a fork of a Node process holds its event loop
 * 10–30 ms, so eight boards switched on at once by one Home Assistant call each answered the
 * last of those calls ~150 ms late, and a real relay board does not wait on its neighbours.
 * Without the keeper, socat is forked here with its standard input and output as the link.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { localKeeper } from '../keeper/index.ts';
import { shellQuote } from '../transport/index.ts';

export interface Relay {
  /** Bytes to the host (the PTY's reader). */
  readonly out: Writable;
  /** Ends socat, which takes the PTY and its link with it; resolves once it is gone. */
  stop(): Promise<void>;
}

/** Starts the relay for `link`; `onData` gets what the host writes. Resolves once the link exists. */
export async function startRelay(link: string, onData: (chunk: Buffer) => void): Promise<Relay> {
  const relay = (await keptRelay(link, onData)) ?? forkedRelay(link, onData);
  for (let i = 0; i < 100 && !existsSync(link); i++) await sleep(10);
  return relay;
}

const ADDRESS = (link: string) => `pty,raw,echo=0,link=${link}`;

let socketDir: string | null = null;
let sockets = 0;

async function keptRelay(link: string, onData: (chunk: Buffer) => void): Promise<Relay | null> {
  const keeper = await localKeeper();
  if (!keeper) return null;
  // mkdtemp makes it 0700: nobody else can connect in socat's place.
  if (socketDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'hutctl-sim-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    socketDir = dir;
  }
  const path = join(socketDir, `${++sockets}.sock`);
  const server = createServer();
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  try {
    await listening;
  } catch {
    return null;
  }
  const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const step = keeper.start({
    command: `exec socat ${shellQuote(ADDRESS(link))} ${shellQuote(`UNIX-CONNECT:${path}`)}`,
    workdir: '',
    loginShell: false,
    logPath: '/dev/null',
  });
  const socket = await Promise.race([connected, step.done.then(() => null)]);
  server.close();
  rmSync(path, { force: true });
  if (socket === null) return null;
  socket.on('data', onData);
  socket.on('error', () => {});
  return {
    out: socket,
    async stop() {
      step.signal('SIGTERM');
      await step.done;
      socket.destroy();
    },
  };
}

function forkedRelay(link: string, onData: (chunk: Buffer) => void): Relay {
  const child: ChildProcess = spawn('socat', [ADDRESS(link), 'STDIO'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  child.stdin!.on('error', () => {});
  child.stdout!.on('data', onData);
  return {
    out: child.stdin!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
