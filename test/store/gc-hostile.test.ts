/**
 * `store gc` over files it reads that are not what they look like: an artifact's manifest.json
 * or a run's running record that is a FIFO, a device, a directory, huge or a link loop. gc never
 * waits on one or reads it to its end: an artifact whose manifest cannot be read goes by the age
 * of its files, and a dry run changes nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  symlinkSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli, tempDir } from '../support/cli.ts';

const OLD = new Date(Date.now() - 60 * 86400_000);

/** Makes a file or a whole tree look `OLD` (links themselves, never what they point to). */
function age(target: string): void {
  const stat = lstatSync(target);
  if (stat.isDirectory()) for (const name of readdirSync(target)) age(join(target, name));
  if (stat.isSymbolicLink()) lutimesSync(target, OLD, OLD);
  else utimesSync(target, OLD, OLD);
}

/** Every path under `dir` with its kind and size, links not followed. */
function snapshot(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    const s = lstatSync(p);
    const self = `${p} ${s.mode.toString(8)} ${s.isDirectory() ? '' : s.size}`;
    return s.isDirectory() ? [self, ...snapshot(p)] : [self];
  });
}

const HOSTILE: Record<string, (path: string) => void> = {
  fifo: (p) => execFileSync('mkfifo', [p]),
  device: (p) => symlinkSync('/dev/zero', p),
  directory: (p) => mkdirSync(p),
  huge: (p) => {
    writeFileSync(p, '{');
    truncateSync(p, 5 * 1024 * 1024);
  },
  loop: (p) => symlinkSync(p, p),
};

test('hostile manifests and running records: gc finishes at once, a dry run changes nothing, then they go by age', async () => {
  const dir = tempDir('hutctl-gc-hostile-');
  const evidence = join(dir, 'evidence');
  const store = join(dir, 'artifacts');
  mkdirSync(evidence, { mode: 0o700 });
  writeFileSync(
    join(dir, 'hutctl.yaml'),
    [
      'paths:',
      `  evidence_dir: ${evidence}`,
      `  state_dir: ${join(dir, 'state')}`,
      `  lock_dir: ${join(dir, 'locks')}`,
      `  slot_lock_dir: ${join(dir, 'locks')}`,
      'artifacts:',
      `  store: ${store}`,
      'store: {engine: off}',
      '',
    ].join('\n'),
  );
  const artifacts: string[] = [];
  const runs: string[] = [];
  for (const [n, [kind, make]] of Object.entries(HOSTILE).entries()) {
    const artifact = join(store, `${'abcdef0'}${n}`, 'i2s');
    mkdirSync(artifact, { recursive: true });
    writeFileSync(join(artifact, 'app.bin'), 'x');
    make(join(artifact, 'manifest.json'));
    artifacts.push(artifact);
    const base = `runner_job-${kind}_20260101_000000_utc`;
    make(join(evidence, `${base}.running`));
    writeFileSync(join(evidence, `${base}.log`), 'log\n');
    runs.push(base);
  }
  age(store);
  age(evidence);
  const before = snapshot(dir);
  const gc = (...args: string[]) =>
    runCli(['store', 'gc', '--keep', '30d', '--json', ...args], {
      cwd: dir,
      env: { HUTCTL_CONFIG: join(dir, 'hutctl.yaml') },
      killAfterMs: 30_000,
    });
  const dry = await gc('--dry-run');
  assert.equal(dry.signal, null, 'gc waited on a file');
  assert.equal(dry.code, 0, dry.stderr);
  const summary = JSON.parse(dry.stdout);
  assert.deepEqual(
    summary.removed
      .filter((r: { kind: string }) => r.kind === 'artifact')
      .map((r: { path: string }) => r.path)
      .sort(),
    artifacts.sort(),
  );
  assert.deepEqual(snapshot(dir), before, 'a dry run changed something');
  const real = await gc();
  assert.equal(real.signal, null, 'gc waited on a file');
  assert.equal(real.code, 0, real.stderr);
  for (const artifact of artifacts) assert.equal(existsSync(artifact), false, artifact);
  // The record that is a regular file (too big to be one) goes with its run; what is not a
  // regular file is left alone, and said so.
  const kept = JSON.parse(real.stdout).kept as Array<{ path: string; why: string }>;
  for (const base of runs) {
    const running = join(evidence, `${base}.running`);
    if (base.includes('-huge_')) assert.equal(existsSync(running), false, running);
    else assert.ok(kept.some((k) => k.path === running && /left alone|never followed/.test(k.why)));
  }
});
