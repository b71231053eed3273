/**
 * A misbehaving HTTP server for property tests: it reads each request whole, then answers with
 * whatever a test describes — any status and content type, any bytes, a lying Content-Length,
 * chunked or close-delimited framing, a slow trickle, a flood of hundreds of MiB, a reset in
 * the middle of the body, or no HTTP at all. Raw TCP on 127.0.0.1, one request per connection.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import fc from 'fast-check';

export interface Misbehaviour {
  status: number;
  /** The Content-Type header, or none. */
  contentType: string | null;
  /** One piece of the body; sent `repeat` times. */
  body: Buffer;
  repeat: number;
  framing: 'length' | 'chunked' | 'close' | 'raw';
  /** A Content-Length that is not the body's (with framing `length`). */
  declaredLength?: number;
  /** A pause before each piece. */
  pieceDelayMs?: number;
  /** Reset the connection after this many body bytes. */
  resetAfter?: number;
  /** A pause before the status line. */
  headDelayMs?: number;
  headers?: Record<string, string>;
}

export interface HostileServer {
  url: string;
  /** How to answer a request; a test replaces it at will. */
  answer: (method: string, path: string, headers: Record<string, string>) => Misbehaviour;
  /** The requests seen, newest last: method, path and the authorization header. */
  seen: Array<{ method: string; path: string; authorization: string | undefined }>;
  close(): Promise<void>;
}

export const normal = (status: number, body: unknown): Misbehaviour => ({
  status,
  contentType: 'application/json',
  body: Buffer.from(JSON.stringify(body)),
  repeat: 1,
  framing: 'length',
});

export async function startHostileServer(): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  const server: HostileServer = {
    url: '',
    answer: () => normal(200, {}),
    seen: [],
    close: async () => {},
  };
  const net = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = Buffer.alloc(0);
    const onData = (data: Buffer) => {
      buffered = Buffer.concat([buffered, data]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      if (buffered.length - end - 4 < Number(headers['content-length'] ?? 0)) return;
      socket.off('data', onData);
      const [method = '', path = ''] = (head[0] ?? '').split(' ');
      server.seen.push({ method, path, authorization: headers.authorization });
      respond(socket, server.answer(method, path, headers)).catch(() => socket.destroy());
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => net.listen(0, '127.0.0.1', resolve));
  server.url = `http://127.0.0.1:${(net.address() as AddressInfo).port}`;
  server.close = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      net.close(() => resolve());
    });
  return server;
}

async function respond(socket: Socket, b: Misbehaviour): Promise<void> {
  const total = b.body.length * b.repeat;
  const head = [`HTTP/1.1 ${b.status} Hostile`, 'connection: close'];
  if (b.contentType !== null) head.push(`content-type: ${b.contentType}`);
  if (b.framing === 'length') head.push(`content-length: ${b.declaredLength ?? total}`);
  if (b.framing === 'chunked') head.push('transfer-encoding: chunked');
  for (const [name, value] of Object.entries(b.headers ?? {})) head.push(`${name}: ${value}`);
  const alive = () => !socket.destroyed && socket.writable;
  const write = async (data: Buffer | string) => {
    if (!alive()) return false;
    if (!socket.write(data)) await Promise.race([once(socket, 'drain'), once(socket, 'close')]);
    return alive();
  };
  if (b.headDelayMs) await sleep(b.headDelayMs);
  if (b.framing !== 'raw' && !(await write(`${head.join('\r\n')}\r\n\r\n`))) return;
  let sent = 0;
  for (let i = 0; i < b.repeat; i++) {
    if (b.pieceDelayMs) await sleep(b.pieceDelayMs);
    let piece = b.body;
    if (b.resetAfter !== undefined && sent + piece.length >= b.resetAfter) {
      await write(piece.subarray(0, b.resetAfter - sent));
      socket.resetAndDestroy();
      return;
    }
    sent += piece.length;
    if (b.framing === 'chunked' && piece.length > 0)
      piece = Buffer.concat([
        Buffer.from(`${piece.length.toString(16)}\r\n`),
        piece,
        Buffer.from('\r\n'),
      ]);
    if (!(await write(piece))) return;
  }
  if (b.framing === 'chunked') await write('0\r\n\r\n');
  socket.end();
}

// Unref'd: a trickle still being served does not keep a finished test file alive.
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Content types a server might send where JSON was expected. */
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/problem+json',
  'text/html',
  'text/html; charset=utf-8',
  'text/plain',
  'application/octet-stream',
  'application/zip',
  'json',
  '',
  ';;;',
  'text/plain\u00e9',
] as const;

/** JSON bodies of the wrong shape, and bytes that are not JSON. */
const BODIES: fc.Arbitrary<Buffer> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc
    .constantFrom(
      '{"state":"on"}',
      '{"state":"off"}',
      '{"state":null}',
      '{"state":"on\\nhutctl: unexpected error"}',
      `{"state":"${'x'.repeat(300)}"}`,
      '{"message":"device offline"}',
      '{"message":"line one\\nline two\\u2028three\\u001b[31m"}',
      '[]',
      '<html><body><h1>502 Bad Gateway</h1></body></html>',
      '401: Unauthorized',
      '500 Internal Server Error\n\nServer got itself in trouble',
      '',
      '\ufeff{"state":"on"}',
      '{"state":"on"',
      'null',
    )
    .map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
);

/** A hostile answer, bounded so that a few hundred of them run in well under a minute. */
export const misbehaviour = (options: { slowMs?: number } = {}): fc.Arbitrary<Misbehaviour> =>
  fc.record(
    {
      status: fc.oneof(
        {
          weight: 4,
          arbitrary: fc.constantFrom(200, 201, 204, 301, 302, 400, 401, 403, 404, 500, 502, 503),
        },
        { weight: 1, arbitrary: fc.integer({ min: 100, max: 999 }) },
      ),
      contentType: fc.oneof(fc.constantFrom(...CONTENT_TYPES), fc.constant(null)),
      body: BODIES,
      repeat: fc.oneof(
        { weight: 5, arbitrary: fc.constant(1) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 50 }) },
      ),
      framing: fc.constantFrom('length', 'chunked', 'close', 'raw'),
      declaredLength: fc.option(fc.oneof(fc.nat({ max: 100 }), fc.constant(2 ** 40)), {
        nil: undefined,
      }),
      pieceDelayMs: fc.option(fc.integer({ min: 1, max: options.slowMs ?? 30 }), {
        nil: undefined,
        freq: 8,
      }),
      resetAfter: fc.option(fc.nat({ max: 40 }), { nil: undefined, freq: 6 }),
    },
    { requiredKeys: ['status', 'contentType', 'body', 'repeat', 'framing'] },
  );

/** A body of `mib` MiB streamed in 64 KiB pieces (chunked, or with its true length). */
export function flood(mib: number, framing: 'chunked' | 'length' = 'chunked'): Misbehaviour {
  return {
    status: 200,
    contentType: 'application/json',
    body: Buffer.alloc(64 * 1024, 0x20),
    repeat: mib * 16,
    framing,
  };
}
