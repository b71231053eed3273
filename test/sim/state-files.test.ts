/**
 * `hutctl sim board|relay|latency --dir D` read D/sim.json and the token file it names: both as
 * files named from outside. A FIFO, a device, a directory, a huge file or a link loop at either is
 * one line naming it and why, exit 1, never a hang; nothing in D changes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
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
