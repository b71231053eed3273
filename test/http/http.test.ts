/** The HTTP client every outside service goes through: caps, content types, redirects. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { HttpError, request } from '../../src/http/index.ts';
import { RUNS } from '../support/hostile.ts';
import {
  type HostileServer,
  misbehaviour,
  normal,
  startHostileServer,
} from '../support/hostile-http.ts';

let server: HostileServer;
let other: HostileServer;
before(async () => {
  [server, other] = await Promise.all([startHostileServer(), startHostileServer()]);
});
after(async () => {
  await Promise.all([server.close(), other.close()]);
});

test('property: a body is returned whole when it fits the cap and refused when it does not, whatever its framing', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.nat({ max: 4096 }),
      fc.uint8Array({ minLength: 1, maxLength: 512 }),
      fc.nat({ max: 8 }),
      fc.constantFrom('length', 'chunked', 'close') as fc.Arbitrary<'length' | 'chunked' | 'close'>,
      async (cap, piece, repeat, framing) => {
        const body = Buffer.from(piece);
        server.answer = () => ({
          status: 200,
          contentType: 'application/octet-stream',
          body,
          repeat,
          framing,
        });
        const sent = Buffer.concat(Array.from({ length: repeat }, () => body));
        try {
          const response = await request({ url: server.url, timeoutMs: 2000, maxBytes: cap });
          assert.ok(sent.length <= cap, `${sent.length} bytes passed a cap of ${cap}`);
          assert.deepEqual(response.body, sent);
        } catch (error) {
          assert.ok(error instanceof HttpError, String(error));
          assert.equal(error.kind, 'too_large', error.message);
          assert.ok(sent.length > cap);
        }
      },
    ),
    RUNS(200),
  );
});

test('property: any answer is a response or an HttpError, never anything else', async () => {
  await fc.assert(
    fc.asyncProperty(
      misbehaviour(),
      fc.constantFrom(undefined, 'json' as const),
      async (m, expect) => {
        server.answer = () => m;
        try {
          const response = await request({
            url: server.url,
            timeoutMs: 500,
            maxBytes: 1024,
            ...(expect ? { expect } : {}),
          });
          assert.ok(response.body.length <= 1024);
          if (expect && response.status >= 200 && response.status < 300)
            assert.notEqual(response.json, undefined);
        } catch (error) {
          assert.ok(error instanceof HttpError, `${(error as Error)?.stack}`);
          assert.doesNotMatch(error.message, /[\r\n]/);
        }
      },
    ),
    RUNS(200),
  );
});

test('redirects are followed only when asked, and the credentials stay with their origin', async () => {
  other.answer = () => normal(200, { here: 'other' });
  server.answer = (_m, path) =>
    path === '/start'
      ? { ...normal(302, {}), headers: { location: '/same' } }
      : path === '/same'
        ? { ...normal(307, {}), headers: { location: `${other.url}/elsewhere` } }
        : normal(404, {});
  const headers = { authorization: 'Bearer secret', cookie: 'c=1', accept: 'application/json' };
  const unfollowed = await request({
    url: `${server.url}/start`,
    headers,
    timeoutMs: 2000,
    maxBytes: 1024,
  });
  assert.equal(unfollowed.status, 302);
  server.seen.length = 0;
  other.seen.length = 0;
  const followed = await request({
    url: `${server.url}/start`,
    headers,
    timeoutMs: 2000,
    maxBytes: 1024,
    redirects: 3,
    expect: 'json',
  });
  assert.deepEqual(followed.json, { here: 'other' });
  assert.equal(followed.url.href, `${other.url}/elsewhere`);
  assert.deepEqual(
    server.seen.map((r) => r.authorization),
    ['Bearer secret', 'Bearer secret'],
    'the same origin keeps the token',
  );
  assert.deepEqual(
    other.seen.map((r) => r.authorization),
    [undefined],
    'another origin never gets it',
  );
  // A POST is never redirected.
  const posted = await request({
    url: `${server.url}/start`,
    method: 'POST',
    body: '{}',
    timeoutMs: 2000,
    maxBytes: 1024,
    redirects: 3,
  });
  assert.equal(posted.status, 302);
  server.answer = () => ({ ...normal(302, {}), headers: { location: 'file:///etc/passwd' } });
  await assert.rejects(
    request({ url: server.url, timeoutMs: 2000, maxBytes: 1024, redirects: 3 }),
    /302 to a file: URL \(not followed\)/,
  );
});

test("the caller's abort stays the caller's; the deadline is a timeout", async () => {
  server.answer = () => ({ ...normal(200, {}), pieceDelayMs: 5000 });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error('cancelled by the job')), 50);
  await assert.rejects(
    request({ url: server.url, timeoutMs: 5000, maxBytes: 1024, signal: controller.signal }),
    /cancelled by the job/,
  );
  await assert.rejects(request({ url: server.url, timeoutMs: 100, maxBytes: 1024 }), (error) => {
    assert.ok(error instanceof HttpError);
    assert.equal(error.kind, 'timeout');
    return true;
  });
});
