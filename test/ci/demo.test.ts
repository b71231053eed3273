/** The Quick start's main job, run as a user runs it: every board flashed, booted and recorded. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../support/cli.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

test('npm run demo: an ESP-IDF build flashed through the ROM on two boards, both pass, the handoff entry written', async () => {
  const dir = tempDir('hutctl-demo-');
  const child = spawn(process.execPath, [join(ROOT, 'scripts', 'demo.mjs')], {
    env: { ...process.env, HUTCTL_DEMO_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0, out);
  assert.match(
    out,
    /^hut-01\s+i2s\s+pass\s+boot\s+boot marker seen after [\d.]+ s, running v2\.0\.0-demo$/m,
  );
  assert.match(
    out,
    /^hut-02\s+muse\s+pass\s+boot\s+boot marker seen after [\d.]+ s, running v2\.0\.0-demo$/m,
  );
  assert.match(
    out,
    /Wrote \d+ bytes at 0x00010000 \(squeezelite\.bin\), md5 [0-9a-f]{32}, verified/,
  );
  const junit = readFileSync(join(dir, 'evidence', 'hil-junit.xml'), 'utf8');
  assert.equal(junit.match(/<testcase /g)?.length, 2);
  assert.doesNotMatch(junit, /<failure|<error/);
  const handoff = readFileSync(
    join(dir, 'squeezelite-docs', 'documentation', 'short-term', 'coordination', 'handoff_log.md'),
    'utf8',
  );
  assert.match(
    handoff,
    /\| runner-live \| execute \| no \| executor=ssh_direct HW-BOOT-001 surfacing for `3f9c2a7d41b0`.*hut-01 pass, hut-02 pass/,
  );
  const results = readdirSync(join(dir, 'evidence')).filter((n) =>
    /^runner_hil_.*_utc\.json$/.test(n),
  );
  assert.equal(results.length, 2);
});
