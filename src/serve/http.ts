/**
 * The small pieces of HTTP `serve` answers with: JSON replies and refusals, request bodies read
 * within a bound, path segments unescaped, the page's files, and the PostgreSQL ledger's poll.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HutError } from '../errors/index.ts';
import type { ServeContext } from './views.ts';

/** A request body is at most this large (every action takes a few fields). */
const MAX_BODY = 64 * 1024;

export function send(response: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(body),
  });
  response.end(body);
}

export function unauthorized(response: ServerResponse, why: string): void {
  response.setHeader('WWW-Authenticate', 'Bearer realm="hutctl"');
  send(response, 401, {
    error: why,
    hint: 'the token is in the file serve was started with (--token-file)',
  });
}

export async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new HutError('USAGE', `the request body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HutError('USAGE', 'the request body is not JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new HutError('USAGE', 'the request body must be a JSON object');
  return value as Record<string, unknown>;
}

export async function page(response: ServerResponse, path: string): Promise<void> {
  const { pageAssets } = await import('./page/assets.ts');
  const assets = await pageAssets();
  const files: Record<string, [string, string]> = {
    '/': ['text/html; charset=utf-8', assets.html],
    '/assets/app.js': ['text/javascript; charset=utf-8', assets.js],
    '/assets/app.css': ['text/css; charset=utf-8', assets.css],
  };
  const file = files[path];
  if (!file) return send(response, 404, { error: `no such file: ${path}` });
  response.writeHead(200, {
    'Content-Type': file[0],
    'Cache-Control': 'no-cache',
    'Content-Security-Policy':
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    'X-Frame-Options': 'DENY',
  });
  response.end(file[1]);
}

/** Calls `moved` whenever the ledger's newest rows change (another host recorded something). */
export function pollLedger(db: NonNullable<ServeContext['db']>, moved: () => void): NodeJS.Timeout {
  let last = '';
  const timer = setInterval(async () => {
    try {
      const [row] = await db.all(
        'SELECT (SELECT MAX(end_utc) FROM jobs) AS j, (SELECT MAX(ended_utc) FROM hil_results) AS h, (SELECT MAX(started_utc) FROM power_events) AS p, (SELECT MAX(at_utc) FROM actions) AS a, (SELECT MAX(at_utc) FROM health_events) AS e',
      );
      const now = JSON.stringify(row);
      if (last && now !== last) moved();
      last = now;
    } catch {}
  }, 2000);
  timer.unref();
  return timer;
}

/** A path segment, unescaped; a malformed escape is the client's mistake, not a server error. */
export function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HutError('USAGE', `the path has a malformed %-escape: ${segment.slice(0, 80)}`);
  }
}

/** Refuses fields the action does not know (a typo such as "focre" must not pass silently). */
export function known(body: Record<string, unknown>, fields: string[]): void {
  const unknown = Object.keys(body).filter((key) => !fields.includes(key));
  if (unknown.length > 0)
    throw new HutError(
      'USAGE',
      `unknown field ${unknown.join(', ')} (this action takes ${fields.join(', ')})`,
    );
}
