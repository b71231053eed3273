/**
 * `hutctl sim board|relay|latency --dir D` read D/sim.json and the token file it names: both as
 * files named from outside. A FIFO, a device, a directory, a huge file or a link loop at either is
 * one line naming it and why, exit 1, never a hang; nothing in D changes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from '../support/cli.ts';

/** Each kind of hostile file, as a maker of it at a path, with the reason hutctl gives. */
function hostile(limit: { bytes: number; shown: string }) {
  return [
    { make: (p: string) => execFileSync('mkfifo', [p]), reason: 'not a regular file' },
    { make: (p: string) => symlinkSync('/dev/zero', p), reason: 'not a regular file' },
    { make: (p: string) => mkdirSync(p), reason: 'it is a directory' },
    {
      make: (p: string) => writeFileSync(p, Buffer.alloc(limit.bytes + 1, ' ')),
      // One byte over rounds to the limit: said in bytes.
      reason: `${limit.bytes + 1} bytes is more than the ${limit.bytes} (${limit.shown}) such a file may have`,
    },
    {
      make: (p: string) => symlinkSync(p, p),
      reason: 'too many levels of symbolic links (a loop)',
    },
  ];
}

const latency = (dir: string) =>
  runCli(['sim', 'latency', '0', '--dir', dir], { killAfterMs: 20_000 });

test('a sim.json that is a FIFO, a device, a directory, huge or a link loop: one line, exit 1', async () => {
  for (const { make, reason } of hostile({ bytes: 1024 * 1024, shown: '1.0 MiB' })) {
    const dir = tempDir('hutctl-sim-');
    const path = join(dir, 'sim.json');
    make(path);
    const before = readdirSync(dir);
    const r = await latency(dir);
    assert.equal(r.signal, null, `waited on ${reason}`);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr,
      `hutctl: no simulated farm at ${dir}: ${path}: ${reason}\n  start one with 'hutctl sim up'\n`,
    );
    assert.deepEqual(readdirSync(dir), before);
  }
});

test('a token file that is a FIFO, a device, a directory, huge or a link loop: one line, exit 1', async () => {
  for (const { make, reason } of hostile({ bytes: 4 * 1024, shown: '4.0 KiB' })) {
    const dir = tempDir('hutctl-sim-');
    const token = join(dir, 'ha-token');
    make(token);
    writeFileSync(
      join(dir, 'sim.json'),
      JSON.stringify({ pid: 1, ha_url: 'http://127.0.0.1:9', token_file: token, slots: {} }),
    );
    const before = readdirSync(dir);
    const r = await latency(dir);
    assert.equal(r.signal, null, `waited on ${reason}`);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr,
      `hutctl: the simulated farm's token file ${token}: ${reason}\n  stop the farm and start it again with 'hutctl sim up'\n`,
    );
    assert.deepEqual(readdirSync(dir), before);
  }
});

test('a sim.json that is not JSON, or not the state of a farm: one line, exit 1', async () => {
  for (const text of ['{"pid": 1,', '[]', 'null', '{"ha_url": "http://x"}']) {
    const dir = tempDir('hutctl-sim-');
    writeFileSync(join(dir, 'sim.json'), text);
    const r = await latency(dir);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr,
      `hutctl: no simulated farm at ${dir}: ${join(dir, 'sim.json')} is not the state of one\n  start one with 'hutctl sim up'\n`,
    );
  }
});

test("another user's sim.json is not believed, nor one that sends the token anywhere but the farm's own loopback server", async () => {
  // A server that would take the token, were it sent.
  const { createServer } = await import('node:http');
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(String(req.headers.authorization));
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  try {
    const secret = join(tempDir('hutctl-secret-'), 'my-ha-token');
    writeFileSync(secret, 'REAL_HA_TOKEN\n', { mode: 0o600 });
    const plant = (state: Record<string, unknown>, owner?: number) => {
      const dir = tempDir('hutctl-sim-');
      const path = join(dir, 'sim.json');
      writeFileSync(path, JSON.stringify({ pid: 1, slots: {}, ...state }));
      if (owner !== undefined) chownSync(path, owner, owner);
      return dir;
    };
    const elsewhere = plant({ ha_url: `http://127.0.0.1:${port}`, token_file: secret });
    const r = await latency(elsewhere);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /does not describe a farm 'hutctl sim up' started/);
    const far = plant({ ha_url: 'http://192.0.2.1:8123', token_file: join(elsewhere, 'ha-token') });
    writeFileSync(join(far, 'ha-token'), 'x\n');
    assert.equal((await latency(far)).code, 2);
    if (process.getuid?.() === 0) {
      const theirs = tempDir('hutctl-sim-');
      writeFileSync(join(theirs, 'ha-token'), 'x\n');
      writeFileSync(
        join(theirs, 'sim.json'),
        JSON.stringify({
          pid: 1,
          slots: {},
          ha_url: `http://127.0.0.1:${port}`,
          token_file: join(theirs, 'ha-token'),
        }),
      );
      chownSync(join(theirs, 'sim.json'), 65534, 65534);
      const other = await latency(theirs);
      assert.equal(other.code, 1, other.stderr);
      assert.match(other.stderr, /sim\.json: owned by another user \(uid 65534\)/);
    }
    assert.deepEqual(seen, [], 'the token was sent');
  } finally {
    server.close();
  }
});

test('a farm that is not running (killed, its state left behind) is said so, with the command that starts it in that directory', async () => {
  // A loopback port nothing listens on: a farm whose process was killed.
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  const dir = join(tempDir('hutctl-sim-'), 'my farm');
  mkdirSync(dir);
  writeFileSync(join(dir, 'ha-token'), 'x\n', { mode: 0o600 });
  writeFileSync(
    join(dir, 'sim.json'),
    JSON.stringify({
      pid: 1,
      slots: {},
      ha_url: `http://127.0.0.1:${port}`,
      token_file: join(dir, 'ha-token'),
    }),
  );
  const r = await latency(dir);
  assert.equal(r.code, 255, r.stderr);
  assert.match(
    r.stderr,
    /the simulated farm at .*my farm is not running\n {2}start it with: hutctl sim up --dir '.*my farm'\n/,
  );
});
