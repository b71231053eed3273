/** `stty` on a serial port hutctl has open. */
import { spawn } from 'node:child_process';

/**
 * Runs `stty args` on the open port `fd` at `path`; throws with stty's words when it fails. The
 * default forks stty from this process; a caller with a cheaper way (hutctl's keeper, which
 * forks only itself) passes its own.
 */
export type Stty = (path: string, fd: number, args: string[]) => Promise<void>;

/** `stty` on our open file (its standard input), so the port is not opened a second time. */
export function stty(fd: number, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('stty', args, { stdio: [fd, 'ignore', 'pipe'], timeout: STTY_MS });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(stderr.trim() || `stty exited ${code}`)),
    );
  });
}

/** The default Stty: forked from this process, on the open file. */
export const sttyOn: Stty = (_path, fd, args) => stty(fd, args);

/** How long stty may take before it is given up on. */
export const STTY_MS = 5000;
