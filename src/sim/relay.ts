/**
 * The relay between a simulated board and its pseudo-terminal: `socat` holds the PTY and passes
 * its bytes to and from this process. socat links the PTY in a private directory of this
 * process; the board publishes it at its /dev/serial/by-id-style path when it powers on.
 *
 * It is started by the keeper (src/keeper) when one runs, and then talks to us over a Unix
 * socket in that private directory: a board that powers on costs this process a line on a pipe,
 * not a fork of itself — on a small VM a fork of a Node process holds its event loop 10–30 ms,
 * so eight boards switched on at once by one Home Assistant call each answered the last of
 * those calls ~150 ms late, and a real relay board does not wait on its neighbours. Without the
 * keeper, socat is forked here with its standard input and output as the link.
 *
 * A board opens its next relay while it is off (SimBoard), so powering on only publishes the
 * link: starting socat takes 10–40 ms of CPU, and eight boards switched on together then showed
 * their ports up to ~250 ms apart, a queue no USB bus has.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync } from 'node:fs';
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
  /** Links the PTY at `link` too (atomically, replacing what is there). */
  publish(link: string): void;
  /** Ends socat, which takes the PTY with it; resolves once it is gone. */
  stop(): Promise<void>;
}

/**
 * Starts a relay for board `name`, its PTY linked in this process's private directory only
 * (`<name>-<n>.pty`); `onData` gets what the host writes. Resolves once the PTY exists.
 */
export async function openRelay(name: string, onData: (chunk: Buffer) => void): Promise<Relay> {
  const own = join(privateDir(), `${name}-${++relays}.pty`);
  const started = (await keptRelay(own, onData)) ?? forkedRelay(own, onData);
  for (let i = 0; i < 100 && !existsSync(own); i++) await sleep(10);
  return {
    ...started,
    publish(link) {
      const temp = `${link}.${process.pid}.new`;
      rmSync(temp, { force: true });
      symlinkSync(readlinkSync(own), temp);
      renameSync(temp, link);
    },
  };
}

const ADDRESS = (link: string) => `pty,raw,echo=0,link=${link}`;

let ownDir: string | null = null;
let relays = 0;

/** A directory of this process's own (mkdtemp makes it 0700: nobody connects in socat's place). */
function privateDir(): string {
  if (ownDir === null) {
    const dir = mkdtempSync(join(tmpdir(), 'hutctl-sim-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    ownDir = dir;
  }
  return ownDir;
}

type Started = Omit<Relay, 'publish'>;

async function keptRelay(link: string, onData: (chunk: Buffer) => void): Promise<Started | null> {
  const keeper = await localKeeper();
  if (!keeper) return null;
  const path = `${link}.sock`;
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

function forkedRelay(link: string, onData: (chunk: Buffer) => void): Started {
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
