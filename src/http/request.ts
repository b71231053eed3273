/**
 * One HTTP exchange over node:http(s) — not fetch, whose first call costs tens of milliseconds of
 * loading before it sends anything — with what every caller needs against a server that may
 * misbehave: one deadline for the whole exchange, a byte cap on the body (the connection is
 * closed the moment it is passed, so memory stays flat), the content type checked before a body
 * is read as JSON, and redirects followed only when asked, never carrying credentials to another
 * origin. The default agent keeps connections open between the calls of a power cycle.
 */
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { formatBytes } from '../format/index.ts';
import { describeBody, isJsonType, mediaTypeOf, parseJson } from './body.ts';
import { HttpError } from './error.ts';

export interface HttpRequest {
  url: string | URL;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** The whole exchange — redirects and body included — ends within this, or fails `timeout`. */
  timeoutMs: number;
  /** The most body bytes read; a larger body fails `too_large` and its connection is closed. */
  maxBytes: number;
  /** `json`: a 2xx must be JSON (checked before its body is read) and is parsed into `json`. */
  expect?: 'json';
  /** GET only: redirects to follow (0: a 3xx is returned as it is). */
  redirects?: number;
  /** A unix socket to talk HTTP over (LXD, Incus): the URL then only gives the path and Host. */
  socketPath?: string;
}

export interface HttpResponse {
  status: number;
  /** Where the answer came from, after redirects. */
  url: URL;
  headers: IncomingHttpHeaders;
  /** `type/subtype` in lower case without parameters; null when the response names none. */
  mediaType: string | null;
  body: Buffer;
  /** The parsed body of a 2xx when `expect: 'json'`; undefined otherwise. */
  json: unknown;
}

/** What a reader of the final response gets: the response, and how to drop its connection. */
export interface Answer {
  res: IncomingMessage;
  status: number;
  url: URL;
  close(): void;
}

export async function request(options: HttpRequest): Promise<HttpResponse> {
  return exchange(options, async ({ res, status, url, close }) => {
    const mediaType = mediaTypeOf(res.headers);
    const success = status >= 200 && status < 300;
    if (success && options.expect === 'json' && !isJsonType(mediaType)) {
      close();
      throw new HttpError(
        'content_type',
        `${status} with ${describeBody(mediaType)} (expected JSON)`,
        status,
      );
    }
    const body = await readBody({ res, status, url, close }, options.maxBytes);
    const json = success && options.expect === 'json' ? parseJson(body, status) : undefined;
    return { status, url, headers: res.headers, mediaType, body, json };
  });
}

/**
 * Sends the request, follows the redirects it may, and hands the final response to `read`; any
 * failure on the way becomes an HttpError (or the caller's own abort reason).
 */
export async function exchange<T>(
  options: HttpRequest,
  read: (answer: Answer) => Promise<T>,
): Promise<T> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const method = options.method ?? 'GET';
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new HttpError('unreachable', `${String(options.url)} is not a URL`);
  }
  let headers: Record<string, string> = { ...options.headers };
  const hops = method === 'GET' ? (options.redirects ?? 0) : 0;
  for (let hop = 0; ; hop++) {
    let sent: { req: ClientRequest; res: IncomingMessage };
    try {
      sent = await send(url, method, headers, options.body, signal, options.socketPath);
    } catch (error) {
      throw failure(error, options, timeout, undefined);
    }
    const { req, res } = sent;
    const status = res.statusCode ?? 0;
    const close = () => req.destroy();
    if (hops > 0 && [301, 302, 303, 307, 308].includes(status)) {
      close();
      if (hop >= hops)
        throw new HttpError('redirect', `${status}: more than ${hops} redirect(s)`, status);
      const next = redirectTarget(url, res.headers.location, status);
      // The token is for the origin that was asked; a storage URL carries its own credential.
      if (next.origin !== url.origin) headers = withoutCredentials(headers);
      url = next;
      continue;
    }
    try {
      return await read({ res, status, url, close });
    } catch (error) {
      close();
      throw failure(error, options, timeout, status);
    }
  }
}

/** Reads a body whole, up to `maxBytes`; a larger one closes the connection. */
export function readBody(answer: Answer, maxBytes: number): Promise<Buffer> {
  const { res, status, close } = answer;
  const tooLarge = () =>
    new HttpError(
      'too_large',
      `${status} with a body larger than ${formatBytes(maxBytes)}`,
      status,
    );
  if (Number(res.headers['content-length']) > maxBytes) {
    close();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let done = false;
    res.on('data', (chunk: Buffer) => {
      if (done) return;
      total += chunk.length;
      if (total > maxBytes) {
        done = true;
        reject(tooLarge());
        close();
        return;
      }
      chunks.push(chunk);
    });
    res.on('end', () => {
      done = true;
      resolve(Buffer.concat(chunks, total));
    });
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(midBody(status));
    });
  });
}

export function midBody(status: number): HttpError {
  return new HttpError('broken', `${status}: the connection closed mid-body`, status);
}

async function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
  socketPath?: string,
): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new HttpError('unreachable', `${url.protocol} is not http or https`);
  const { request } =
    url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const all =
    body === undefined
      ? headers
      : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers: all, signal, ...(socketPath ? { socketPath } : {}) },
      (res) => resolve({ req, res }),
    );
    req.on('error', reject);
    req.end(body);
  });
}

function redirectTarget(from: URL, location: string | undefined, status: number): URL {
  let next: URL;
  try {
    if (!location) throw new Error('no location');
    next = new URL(location, from);
  } catch {
    throw new HttpError('redirect', `${status} without a usable Location`, status);
  }
  if (next.protocol !== 'https:' && !(next.protocol === 'http:' && from.protocol === 'http:'))
    throw new HttpError('redirect', `${status} to a ${next.protocol} URL (not followed)`, status);
  return next;
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!['authorization', 'cookie', 'proxy-authorization'].includes(name.toLowerCase()))
      out[name] = value;
  }
  return out;
}

const NO_CONNECTION = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

/** Any failure of an exchange as the HttpError that says it (the caller's abort stays its own). */
function failure(
  error: unknown,
  options: HttpRequest,
  timeout: AbortSignal,
  status: number | undefined,
): unknown {
  if (error instanceof HttpError) return error;
  if (timeout.aborted) {
    return new HttpError(
      'timeout',
      `no complete answer within ${options.timeoutMs / 1000} s`,
      status,
    );
  }
  if (options.signal?.aborted) return options.signal.reason;
  // A file the body was going to (a download) could not be written: that is the disk's story.
  if ((error as NodeJS.ErrnoException).path) return error;
  const code = (error as NodeJS.ErrnoException).code;
  if (status === undefined) {
    if (code?.startsWith('HPE_'))
      return new HttpError('broken', `the answer is not HTTP (${code})`);
    return new HttpError(
      'unreachable',
      code && NO_CONNECTION.has(code) ? code : (code ?? (error as Error).message ?? String(error)),
    );
  }
  if (code?.startsWith('HPE_'))
    return new HttpError('broken', `${status}: the body is not valid HTTP (${code})`, status);
  return midBody(status);
}
