/**
 * Any relay CLI (uhubctl, usbrelay, a vendor tool): argv to switch on, off, and to print the state.
 *
 *   power: {backend: command, on: [uhubctl, -l, 1-1, -p, '2', -a, on],
 *           off: [uhubctl, -l, 1-1, -p, '2', -a, off], status: [my-relay, status, '2']}
 *
 * `status` must print a line containing `on` or `off`; without it the last commanded state is used.
 */
import { spawn } from 'node:child_process';
import { type PowerBackend, PowerError, type RelayState } from '../backend.ts';

export class CommandBackend implements PowerBackend {
  private readonly argv: { on: string[]; off: string[]; status: string[] | undefined };
  private last: RelayState = 'unknown';

  constructor(on: string[], off: string[], status?: string[]) {
    this.argv = { on, off, status };
  }

  describe(): string {
    return `command ${this.argv.on[0]}`;
  }

  async set(state: 'on' | 'off', signal: AbortSignal): Promise<void> {
    await run(this.argv[state], signal);
    this.last = state;
  }

  async get(signal: AbortSignal): Promise<RelayState> {
    if (!this.argv.status) return this.last;
    const out = await run(this.argv.status, signal);
    const match = /\b(on|off)\b/i.exec(out);
    return match ? (match[1]!.toLowerCase() as RelayState) : 'unknown';
  }
}

function run(argv: string[], signal: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    child.on('error', (error) =>
      reject(new PowerError('ha_error', `${argv[0]}: ${(error as Error).message}`)),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(
            new PowerError(
              'ha_error',
              `${argv.join(' ')} exited ${code}: ${err.trim() || out.trim()}`,
            ),
          ),
    );
  });
}
