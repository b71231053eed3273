/**
 * Who may use `hutctl serve`: one token, kept in a 0600 file that only its owner can read.
 *
 *  - Bound to loopback, reading needs no token (the page works at once); changing anything
 *    (power, health, cancel, MCP) always needs it.
 *  - Bound to any other address, everything but the page's static files needs it, and a server
 *    without a token file refuses to start: a farm's controls never go on a network open.
 *  - The token travels as `Authorization: Bearer …`, or as the `hutctl_token` cookie the page
 *    gets from `POST /api/session` (an EventSource cannot send headers). Write actions accept
 *    only the header, so a page from another site cannot act with the cookie.
 *  - Requests naming a Host that is not this server's are refused (DNS rebinding: a web page
 *    from elsewhere must not read a loopback server through the visitor's browser).
 */
import { timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HutError } from '../errors/index.ts';
import { randomHex, writeFileAtomic } from '../files/index.ts';
import { fsReason } from '../files/reason.ts';
import { isLoopback } from '../http/loopback.ts';

export const COOKIE = 'hutctl_token';

export { isLoopback };

/**
 * The token in `path`, or null when there is none. A file that another user owns, or that
 * group or others may read, is refused: whoever can read it can power the farm off.
 */
export function readToken(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new HutError('CONFIG', `cannot read the token file ${path}: ${fsReason(error)}`, {
      hint: 'it must be a plain file (not a symlink) this user can read',
    });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile())
      throw new HutError('CONFIG', `the token file ${path} is not a plain file`, {
        hint: 'point --token-file at a file made with hutctl serve --new-token',
      });
    const uid = process.getuid?.() ?? stat.uid;
    if (stat.uid !== uid || (stat.mode & 0o077) !== 0)
      throw new HutError(
        'CONFIG',
        `the token file ${path} is ${stat.uid !== uid ? `owned by uid ${stat.uid}` : `mode ${(stat.mode & 0o777).toString(8)}`}: it must be this user's and 0600`,
        {
          hint: `chmod 600 ${path} (and chown it to this user), or make a new one with --new-token`,
        },
      );
    const token = readFileSync(fd, 'utf8').trim();
    if (!/^[\x21-\x7e]{16,512}$/.test(token))
      throw new HutError(
        'CONFIG',
        `the token file ${path} does not hold a token (16 to 512 printable characters, no spaces)`,
        { hint: 'make a new one with hutctl serve --new-token' },
      );
    return token;
  } finally {
    closeSync(fd);
  }
}

/** Writes a new random token to `path` (0600, atomically) and returns it. */
export async function newToken(path: string): Promise<string> {
  const token = randomHex(64);
  await writeFileAtomic(path, `${token}\n`, { mode: 0o600 });
  return token;
}

export interface Access {
  /** Whether the request carries the token (header or cookie). */
  token: boolean;
  /** Whether it carries it in the Authorization header (what write actions require). */
  header: boolean;
}

export class Gate {
  readonly #token: Buffer | null;
  readonly #hosts: Set<string>;
  readonly loopback: boolean;

  constructor(token: string | null, bind: string, port: number) {
    this.#token = token === null ? null : Buffer.from(token);
    this.loopback = isLoopback(bind);
    const names = this.loopback
      ? ['127.0.0.1', 'localhost', '[::1]', bind.includes(':') ? `[${bind}]` : bind]
      : null;
    this.#hosts = new Set(names ? names.flatMap((n) => [n, `${n}:${port}`]) : []);
  }

  /** Whether the Host header names this server (any host is fine off loopback: a real name). */
  hostAllowed(request: IncomingMessage): boolean {
    if (!this.loopback) return true;
    const host = (request.headers.host ?? '').toLowerCase();
    return this.#hosts.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
  }

  access(request: IncomingMessage): Access {
    const header = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (header !== undefined) {
      const ok = this.#matches(header);
      return { token: ok, header: ok };
    }
    const cookie = cookieOf(request, COOKIE);
    return { token: cookie !== null && this.#matches(cookie), header: false };
  }

  /** Whether a token exists at all (write actions are impossible without one). */
  get hasToken(): boolean {
    return this.#token !== null;
  }

  /** Whether `given` is the token (constant time). */
  matches(given: string): boolean {
    return this.#matches(given);
  }

  #matches(given: string): boolean {
    if (this.#token === null) return false;
    const bytes = Buffer.from(given);
    return bytes.length === this.#token.length && timingSafeEqual(bytes, this.#token);
  }
}

function cookieOf(request: IncomingMessage, name: string): string | null {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return null;
}
