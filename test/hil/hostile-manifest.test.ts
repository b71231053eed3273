/**
 * Stored artifacts that were tampered with or broke: hostile manifests (names that leave the
 * artifact, nulls, wrong types, duplicates, directories) and links planted in the store that
 * point outside. `artifact verify`, `artifact get --to` and `hil run` refuse them in one clean
 * line and write nothing outside their roots; an ESP-IDF build tree's nested names are accepted.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { isHutError } from '../../src/errors/index.ts';
import { relativePathProblem } from '../../src/files/index.ts';
import { isPrintableLine } from '../../src/format/index.ts';
import { getArtifact, putArtifact, verifyArtifact } from '../../src/hil/index.ts';
import { runCli } from '../support/cli.ts';
import { flashChanges, startTestFarm, type TestFarm } from '../support/farm.ts';
import {
  assertCleanError,
  hostileBytes,
  hostileValue,
  RUNS,
  sandbox,
  snapshot,
  writesOutside,
} from '../support/hostile.ts';
import { writeIdfBuild } from '../support/idf-build.ts';

const SHA = 'a1b2c3d4e5f6';
const SECRET = 'SECRET: outside the artifact\n';
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
/** An ESP-IDF build (project `app`), as a tree: real images that flash and boot. */
const TREE: Record<string, Buffer> = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'hostile-build-'));
  try {
    const build = writeIdfBuild(dir, { project: 'app', appSize: 81920 });
    return Object.fromEntries(
      [
        'app.bin',
        'bootloader/bootloader.bin',
        'partition_table/partition-table.bin',
        'flash_args',
      ].map((name) => [name, readFileSync(join(build.buildDir, name))]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

/** A store holding the tree for SHA/i2s, and a secret outside it. */
async function storeWithTree(root: string, store: string, secretDir: string) {
  mkdirSync(secretDir, { recursive: true });
  writeFileSync(join(secretDir, 'secret'), SECRET);
  const src = join(root, 'build');
  const files = Object.entries(TREE).map(([name, data]) => {
    const path = join(src, ...name.split('/'));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, data);
    return { name, path };
  });
  await putArtifact(store, SHA, files, { profile: 'i2s', lane: 'upstream' });
  rmSync(src, { recursive: true });
  return join(store, SHA, 'i2s');
}

/** What is done to a stored artifact. */
type Tamper =
  | { kind: 'files'; files: unknown }
  | { kind: 'field'; key: string; value: unknown }
  | { kind: 'text'; bytes: Buffer }
  | { kind: 'plant'; how: Plant };
type Plant =
  | 'file-link'
  | 'dir-link'
  | 'profile-link'
  | 'sha-link'
  | 'manifest-link'
  | 'file-is-dir'
  | 'fifo'
  | 'missing';

const secretEntry = {
  name: '../../../../outside/secret',
  size: SECRET.length,
  sha256: sha256(SECRET),
};
const goodFiles = () =>
  Object.entries(TREE).map(([name, data]) => ({ name, size: data.length, sha256: sha256(data) }));

const entryName = fc.oneof(
  hostileValue,
  fc.constantFrom(
    ...Object.keys(TREE),
    'bootloader',
    'bootloader/',
    'partition_table',
    '../outside/secret',
    '../../../../outside/secret',
    '/etc/passwd',
    'manifest.json',
    'a//b',
    'bootloader\\bootloader.bin',
    './app.bin',
  ),
  fc.constant(null),
  fc.integer(),
);
const entry = fc.record(
  {
    name: entryName,
    size: fc.oneof(fc.nat({ max: 100 }), fc.constantFrom(-1, 1.5, '7', null, SECRET.length)),
    sha256: fc.oneof(
      fc.constantFrom(sha256(SECRET), ...goodFiles().map((f) => f.sha256), 'A'.repeat(64), null),
      hostileValue,
    ),
  },
  { requiredKeys: [] },
);
const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({
    kind: fc.constant('files' as const),
    files: fc.oneof(
      fc.constant(null),
      fc.jsonValue({ maxDepth: 2 }),
      fc.array(entry, { maxLength: 4 }),
      entry.map((e) => [...goodFiles(), e]),
      fc.constant([...goodFiles(), secretEntry]),
      fc.constant([...goodFiles(), goodFiles()[0]]),
      fc.constant([...goodFiles(), { name: 'bootloader', size: 0, sha256: sha256('') }]),
    ),
  }),
  fc.record({
    kind: fc.constant('field' as const),
    key: fc.constantFrom('schema_version', 'commit_sha', 'profile', 'lane', 'created_utc'),
    value: fc.oneof(hostileValue, fc.jsonValue({ maxDepth: 1 }), fc.constant(undefined)),
  }),
  fc.record({ kind: fc.constant('text' as const), bytes: hostileBytes }),
  fc.record({
    kind: fc.constant('plant' as const),
    how: fc.constantFrom<Plant>(
      'file-link',
      'dir-link',
      'profile-link',
      'sha-link',
      'manifest-link',
      'file-is-dir',
      'fifo',
      'missing',
    ),
  }),
);

/** Applies `t` to the artifact in `dir`; links point at `secretDir`, which is outside. */
function apply(t: Tamper, dir: string, store: string, secretDir: string): void {
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (t.kind === 'files' || t.kind === 'field') {
    if (t.kind === 'files') manifest.files = t.files;
    else manifest[t.key] = t.value;
    writeFileSync(manifestPath, JSON.stringify(manifest));
    return;
  }
  if (t.kind === 'text') {
    writeFileSync(manifestPath, t.bytes);
    return;
  }
  // A copy of the artifact outside, with the secret where the firmware was: were a link
  // followed, every digest would still match.
  const copy = join(secretDir, 'artifact');
  cpSync(dir, copy, { recursive: true });
  writeFileSync(join(secretDir, 'bootloader.bin'), TREE['bootloader/bootloader.bin']!);
  switch (t.how) {
    case 'file-link':
      rmSync(join(dir, 'app.bin'));
      writeFileSync(join(secretDir, 'app.bin'), TREE['app.bin']!);
      symlinkSync(join(secretDir, 'app.bin'), join(dir, 'app.bin'));
      return;
    case 'dir-link':
      rmSync(join(dir, 'bootloader'), { recursive: true });
      symlinkSync(secretDir, join(dir, 'bootloader'));
      return;
    case 'profile-link':
      rmSync(dir, { recursive: true });
      symlinkSync(copy, dir);
      return;
    case 'sha-link':
      renameSync(join(store, SHA), join(secretDir, 'sha'));
      symlinkSync(join(secretDir, 'sha'), join(store, SHA));
      return;
    case 'manifest-link':
      renameSync(manifestPath, join(secretDir, 'manifest.json'));
      symlinkSync(join(secretDir, 'manifest.json'), manifestPath);
      return;
    case 'file-is-dir':
      rmSync(join(dir, 'flash_args'));
      mkdirSync(join(dir, 'flash_args'));
      return;
    case 'fifo':
      rmSync(join(dir, 'flash_args'));
      assert.equal(spawnSync('mkfifo', [join(dir, 'flash_args')]).status, 0);
      return;
    case 'missing':
      rmSync(join(dir, 'partition_table', 'partition-table.bin'));
      return;
  }
}

/** Whether `t` leaves an artifact that is exactly what was stored (nothing to refuse). */
function harmless(t: Tamper): boolean {
  return (
    // Free text the manifest's schema accepts (the same test), as the upstream lane may write it.
    t.kind === 'field' &&
    (t.key === 'lane' || t.key === 'created_utc') &&
    typeof t.value === 'string' &&
    isPrintableLine(t.value)
  );
}

describe('tampered artifacts in the store', () => {
  test('property: verify and get refuse in one line, copy nothing that is not the artifact, and write only under --to', async () => {
    await fc.assert(
      fc.asyncProperty(tamper, async (t) => {
        const box = sandbox();
        mkdirSync(box.inside, { recursive: true });
        const store = join(box.inside, 'store');
        const dir = await storeWithTree(box.root, store, box.outside);
        apply(t, dir, store, box.outside);
        const to = join(box.inside, 'out');
        const before = snapshot(box.root);
        for (const action of ['verify', 'get'] as const) {
          try {
            const got =
              action === 'verify'
                ? (await verifyArtifact(store, SHA, 'i2s')).manifest
                : await getArtifact(store, SHA, 'i2s', to);
            for (const file of got.files) assert.equal(relativePathProblem(file.name), null);
            assert.ok(
              t.kind !== 'plant',
              `${t.kind} ${JSON.stringify(t).slice(0, 200)} was accepted`,
            );
          } catch (error) {
            assert.ok(isHutError(error), `not a HutError: ${(error as Error)?.stack}`);
            assert.equal(error.code, 'ARTIFACT', error.message);
            assert.doesNotMatch(error.message, /[\r\n\u2028\u2029]/);
            assert.ok(error.message.length < 600, error.message);
            assert.ok(!harmless(t), `refused a harmless change: ${error.message}`);
          }
        }
        const after = snapshot(box.root);
        assert.deepEqual(writesOutside(before, after, [relative(box.root, to)]), []);
        const secret = Buffer.from(SECRET).toString('base64');
        for (const [path, value] of after)
          if (path.startsWith(relative(box.root, to))) assert.ok(!value.includes(secret), path);
      }),
      RUNS(300),
    );
  });

  test('property: artifact verify and artifact get --to from the CLI exit 0, or 1 with one line', async () => {
    await fc.assert(
      fc.asyncProperty(tamper, fc.constantFrom('verify', 'get'), async (t, action) => {
        const box = sandbox();
        mkdirSync(box.inside, { recursive: true });
        const store = join(box.inside, 'store');
        const dir = await storeWithTree(box.root, store, box.outside);
        apply(t, dir, store, box.outside);
        const before = snapshot(box.root);
        const r = await runCli(
          [
            'artifact',
            action,
            SHA,
            '--profile',
            'i2s',
            '--store',
            'store',
            ...(action === 'get' ? ['--to', 'out'] : []),
          ],
          { cwd: box.inside },
        );
        if (r.code !== 0 || t.kind === 'plant') assertCleanError(r, [1]);
        const inside = relative(box.root, box.inside);
        assert.deepEqual(writesOutside(before, snapshot(box.root), [`${inside}/out`]), []);
      }),
      RUNS(30),
    );
  });

  test('an ESP-IDF build tree is verified and copied to the same relative paths', async () => {
    const box = sandbox();
    mkdirSync(box.inside, { recursive: true });
    await storeWithTree(box.root, join(box.inside, 'store'), box.outside);
    const verified = await runCli(
      ['artifact', 'verify', SHA, '--profile', 'i2s', '--store', 'store'],
      {
        cwd: box.inside,
      },
    );
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal(verified.stdout.trim(), `${SHA}/i2s: 4 file(s) intact`);
    const got = await runCli(
      ['artifact', 'get', SHA, '--profile', 'i2s', '--store', 'store', '--to', 'out', '--json'],
      { cwd: box.inside },
    );
    assert.equal(got.code, 0, got.stderr);
    for (const [name, data] of Object.entries(TREE))
      assert.ok(readFileSync(join(box.inside, 'out', ...name.split('/'))).equals(data), name);
    assert.ok(existsSync(join(box.inside, 'out', 'manifest.json')));
    // A link planted in --to is not written through.
    rmSync(join(box.inside, 'out', 'bootloader'), { recursive: true });
    symlinkSync(box.outside, join(box.inside, 'out', 'bootloader'));
    const refused = await runCli(
      ['artifact', 'get', SHA, '--profile', 'i2s', '--store', 'store', '--to', 'out'],
      { cwd: box.inside },
    );
    assertCleanError(refused, [2]);
    assert.match(
      refused.stderr,
      /out\/bootloader is a symbolic link; hutctl does not write through it/,
    );
    assert.equal(existsSync(join(box.outside, 'bootloader.bin')), false);
  });
});

describe('hil run on a tampered artifact', () => {
  let t: TestFarm;
  before(async () => {
    t = await startTestFarm(1);
  });
  after(async () => {
    await t.stop();
  });
  const flashes = () => flashChanges(t);
  // Evidence names have a one-second resolution: each run gets its own directory.
  let runs = 0;
  const hil = async () => {
    const evidence = join(t.dir, 'evidence', `run-${++runs}`);
    mkdirSync(evidence, { recursive: true }); // hil run does not create --evidence-dir itself
    const r = await t.hutctl([
      'hil',
      'run',
      '--sha',
      SHA,
      '--slot',
      'hut-01',
      '--json',
      '--evidence-dir',
      evidence,
    ]);
    return { ...r, json: r.stdout ? JSON.parse(r.stdout) : null };
  };

  test('an ESP-IDF build tree passes: flashed from the same relative paths', async () => {
    await storeWithTree(t.dir, join(t.dir, 'artifacts'), join(t.dir, 'outside'));
    const r = await hil();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.status, 'pass');
    const log = readFileSync(r.json.evidence[0], 'utf8');
    assert.match(
      log,
      /^Wrote \d+ bytes at 0x00001000 \(bootloader\/bootloader\.bin\), md5 [0-9a-f]{32}, verified$/m,
    );
    assert.match(log, /app_init: Project name: +app$/m);
  });

  test('property: blocked at the artifact phase in one line, never flashed, nothing written outside state and evidence', async () => {
    await fc.assert(
      fc.asyncProperty(
        tamper.filter((x) => !harmless(x)),
        async (tampering) => {
          const store = join(t.dir, 'artifacts');
          rmSync(store, { recursive: true, force: true });
          rmSync(join(t.dir, 'outside'), { recursive: true, force: true });
          const dir = await storeWithTree(t.dir, store, join(t.dir, 'outside'));
          apply(tampering, dir, store, join(t.dir, 'outside'));
          const flashed = flashes();
          const before = snapshot(t.dir);
          const r = await hil();
          const context = `${JSON.stringify(tampering).slice(0, 300)}\n${r.stdout}\n${r.stderr}`;
          assert.equal(r.stderr, '', context);
          if (r.json.status === 'pass') {
            assert.notEqual(tampering.kind, 'plant', context);
            return;
          }
          assert.equal(r.code, 3, context);
          assert.deepEqual([r.json.status, r.json.phase], ['blocked', 'artifact'], context);
          assert.doesNotMatch(r.json.reason, /[\r\n\u2028\u2029]/);
          assert.equal(flashes(), flashed, 'the flasher never ran');
          assert.deepEqual(
            writesOutside(before, snapshot(t.dir), ['state', 'evidence', 'locks']),
            [],
            context,
          );
        },
      ),
      RUNS(15),
    );
  });
});
