/**
 * `artifact get --from-github` against a GitHub that misbehaves: hostile JSON, hostile content
 * types and bodies, and hostile zips (slip names, links, corrupt data, bombs) end in a stored
 * artifact or one clean line, and nothing is ever written outside the store.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { zipSync } from 'fflate';
import { isHutError } from '../../src/errors/index.ts';
import { relativePathProblem } from '../../src/files/index.ts';
import { fetchFromGithub } from '../../src/hil/index.ts';
import { runCli } from '../support/cli.ts';
import {
  assertCleanError,
  hostileValue,
  RUNS,
  sandbox,
  snapshot,
  writesOutside,
} from '../support/hostile.ts';
import {
  flood,
  type HostileServer,
  type Misbehaviour,
  misbehaviour,
  normal,
  startHostileServer,
} from '../support/hostile-http.ts';

const SHA = 'c0ffee1234567890c0ffee1234567890c0ffee12';
const NAME = `firmware-${SHA}-i2s`;
let gh: HostileServer;
let storage: HostileServer;
before(async () => {
  [gh, storage] = await Promise.all([startHostileServer(), startHostileServer()]);
});
after(async () => {
  await Promise.all([gh.close(), storage.close()]);
});

const goodRuns = () => ({
  total_count: 1,
  workflow_runs: [
    {
      id: 8,
      head_sha: SHA,
      status: 'completed',
      conclusion: 'success',
      updated_at: '2026-11-24T10:00:00Z',
      name: 'build',
    },
  ],
});
const goodArtifacts = (size: number | undefined) => ({
  total_count: 1,
  artifacts: [
    {
      id: 800,
      name: NAME,
      expired: false,
      ...(size === undefined ? {} : { size_in_bytes: size }),
      archive_download_url: `${gh.url}/repos/o/r/actions/artifacts/800/zip`,
    },
  ],
});
const zipAnswer = (zip: Buffer): Misbehaviour => ({
  status: 200,
  contentType: 'application/zip',
  body: zip,
  repeat: 1,
  framing: 'length',
});

/** GitHub as documented, with any of its answers replaced. */
function serve(
  zip: Buffer | Misbehaviour,
  over: { runs?: Misbehaviour; artifacts?: Misbehaviour; announced?: number | null } = {},
) {
  const announced =
    over.announced === null
      ? undefined
      : (over.announced ?? (Buffer.isBuffer(zip) ? zip.length : undefined));
  gh.answer = (_method, path) => {
    if (path.startsWith('/repos/o/r/actions/runs?')) return over.runs ?? normal(200, goodRuns());
    if (path.startsWith('/repos/o/r/actions/runs/8/artifacts?'))
      return over.artifacts ?? normal(200, goodArtifacts(announced));
    if (path === '/repos/o/r/actions/artifacts/800/zip')
      return { ...normal(302, {}), headers: { location: `${storage.url}/blob/800?sig=x` } };
    return normal(404, { message: 'Not Found' });
  };
  storage.answer = () => (Buffer.isBuffer(zip) ? zipAnswer(zip) : zip);
}

type ZipEntry = [name: string, data: Uint8Array, attrs?: { os: number; attrs: number }];
const zipOf = (entries: ZipEntry[]) =>
  Buffer.from(
    zipSync(
      Object.fromEntries(
        entries.map(([name, data, attrs]) => [name, attrs ? [data, attrs] : data]),
      ),
    ),
  );
const bytes = (text: string) => new TextEncoder().encode(text);
const GOOD_ZIP = () =>
  zipOf([
    ['app.bin', new Uint8Array(4096).fill(9)],
    ['bootloader/bootloader.bin', bytes('boot')],
    ['partition_table/partition-table.bin', bytes('parts')],
    ['flash_args', bytes('0x1000 bootloader/bootloader.bin\n0x10000 app.bin\n')],
  ]);

/** The central-directory records of a zip: where each starts. */
function centralRecords(zip: Buffer): number[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(eocd + 10);
  const out: number[] = [];
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    out.push(at);
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return out;
}

/** One fetch in this process; what it came to, with what changed in the sandbox. */
async function fetchOnce() {
  const box = sandbox();
  mkdirSync(box.inside, { recursive: true });
  const store = join(box.inside, 'store');
  const before = snapshot(box.root);
  let outcome: { manifest: Awaited<ReturnType<typeof fetchFromGithub>> } | { error: unknown };
  try {
    outcome = {
      manifest: await fetchFromGithub({
        repo: 'o/r',
        sha: SHA,
        profile: 'i2s',
        store,
        apiUrl: gh.url,
        token: 'gh-token',
      }),
    };
  } catch (error) {
    outcome = { error };
  }
  const outside = writesOutside(before, snapshot(box.root), [relative(box.root, store)]);
  assert.deepEqual(outside, [], 'nothing is written outside the store');
  const left = (existsSync(store) ? readdirSync(store) : []).filter((n) => n.startsWith('.'));
  assert.deepEqual(left, [], 'no work directory is left in the store');
  if ('error' in outcome) {
    const { error } = outcome;
    assert.ok(isHutError(error), `not a HutError: ${(error as Error)?.stack}`);
    assert.ok(['ARTIFACT', 'CONNECT'].includes(error.code), `${error.code}: ${error.message}`);
    assert.doesNotMatch(error.message, /[\r\n\u2028\u2029]/, 'one line');
    assert.ok(error.message.length < 500, error.message);
  }
  return { ...outcome, store };
}

describe('GitHub answers that are not what the API documents', () => {
  test('the documented exchange stores the tree, and the token never goes to blob storage', async () => {
    serve(GOOD_ZIP());
    gh.seen.length = 0;
    storage.seen.length = 0;
    const result = await fetchOnce();
    assert.ok('manifest' in result, String((result as { error?: unknown }).error));
    assert.deepEqual(result.manifest.files.map((f) => f.name).sort(), [
      'app.bin',
      'bootloader/bootloader.bin',
      'flash_args',
      'partition_table/partition-table.bin',
    ]);
    const stored = join(result.store, SHA, 'i2s');
    assert.equal(readFileSync(join(stored, 'bootloader', 'bootloader.bin'), 'utf8'), 'boot');
    assert.ok(gh.seen.every((r) => r.authorization === 'Bearer gh-token'));
    assert.deepEqual(
      storage.seen.map((r) => r.authorization),
      [undefined],
    );
  });

  test('property: hostile JSON, statuses and content types from the API are one clean line', async () => {
    const field = fc.record({
      where: fc.constantFrom('runs', 'artifacts'),
      key: fc.constantFrom(
        'workflow_runs',
        'artifacts',
        'id',
        'head_sha',
        'conclusion',
        'updated_at',
        'name',
        'expired',
        'size_in_bytes',
        'archive_download_url',
      ),
      value: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        hostileValue,
        fc.constant(null),
        fc.constant(undefined),
        fc.constantFrom(
          'http://169.254.169.254/latest/meta-data',
          'file:///etc/passwd',
          '../../../../etc/passwd',
          `${'../'.repeat(8)}x`,
          -1,
          1e300,
          2 ** 53,
        ),
      ),
    });
    const answer = fc.oneof(
      { weight: 2, arbitrary: field.map((f) => ({ kind: 'field' as const, ...f })) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('raw' as const),
          where: fc.constantFrom('runs', 'artifacts'),
          answer: misbehaviour(),
        }),
      },
    );
    await fc.assert(
      fc.asyncProperty(answer, async (a) => {
        const zip = GOOD_ZIP();
        let over: Parameters<typeof serve>[1];
        if (a.kind === 'raw') over = { [a.where]: a.answer };
        else {
          const body: Record<string, unknown> =
            a.where === 'runs' ? goodRuns() : goodArtifacts(zip.length);
          const list = a.where === 'runs' ? 'workflow_runs' : 'artifacts';
          if (a.key === list) body[list] = a.value;
          else (body[list] as Array<Record<string, unknown>>)[0]![a.key] = a.value;
          over = { [a.where]: normal(200, body) };
        }
        serve(zip, over);
        await fetchOnce();
      }),
      RUNS(200),
    );
  });

  test('hostile downloads: HTML instead of a zip, a flood past the announced size, a redirect loop, another origin', async () => {
    const zip = GOOD_ZIP();
    const cases: Array<[() => void, RegExp]> = [
      [
        () => serve({ ...zipAnswer(Buffer.from('<html>')), contentType: 'text/html' }),
        /^GitHub download of firmware-\w+-i2s: 200 with a text\/html body \(expected application\/zip or /,
      ],
      [
        () => serve({ ...flood(50), contentType: 'application/zip' }, { announced: 1000 }),
        /: 200 with a body larger than 1\.0 MiB$/,
      ],
      [() => serve(zipAnswer(Buffer.alloc(0)), { announced: 0 }), /not a zip archive/],
      [
        () => {
          serve(zip);
          const api = gh.answer;
          gh.answer = (m, p, h) =>
            p.includes('/zip') ? { ...normal(302, {}), headers: { location: p } } : api(m, p, h);
        },
        /: 302: more than 3 redirect\(s\)$/,
      ],
      [
        () =>
          serve(zip, {
            artifacts: normal(200, {
              artifacts: [
                {
                  ...goodArtifacts(zip.length).artifacts[0],
                  archive_download_url: `${storage.url}/steal`,
                },
              ],
            }),
          }),
        /archive_download_url is not on http:\/\/127\.0\.0\.1:\d+ \(refused: the token would go there\)$/,
      ],
      [() => serve(flood(20)), /GitHub download/],
    ];
    for (const [setup, expected] of cases) {
      setup();
      storage.seen.length = 0;
      const result = await fetchOnce();
      assert.ok('error' in result);
      assert.match((result.error as Error).message, expected);
      assert.ok(storage.seen.every((r) => r.authorization === undefined));
    }
    // Huge JSON from the API stops at its cap.
    serve(zip, { runs: { ...flood(20), body: Buffer.alloc(64 * 1024, 0x5b) } });
    const huge = await fetchOnce();
    assert.ok('error' in huge);
    assert.match((huge.error as Error).message, /larger than 8\.0 MiB/);
  });
});

describe('hostile zips', () => {
  const slipNames = fc.oneof(
    fc.constantFrom(
      '../x',
      '../../../../../../tmp/hutctl-escape',
      '/abs',
      '/tmp/hutctl-escape',
      'a/../../x',
      'a/./b',
      'a//b',
      './a',
      'a\\..\\..\\x',
      '..\\x',
      'C:\\x',
      'manifest.json',
      'dir/',
      'a/b/c.bin',
      'ok.bin',
    ),
    hostileValue,
    fc.stringMatching(/^[a-z]{1,6}(\/[a-z]{1,6}){0,2}$/),
  );

  test('property: generated entry names are stored at their relative path when valid, refused before a byte is written when not', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(slipNames, { minLength: 1, maxLength: 4 }), async (names) => {
        const zip = zipOf(names.map((n) => [n, bytes(`data of ${n}`)]));
        serve(zip);
        const result = await fetchOnce();
        // What the zip holds, as the reader decodes it.
        const stored = names.map((n) => Buffer.from(n, 'utf8').toString('utf8'));
        const files = stored.filter((n) => !n.endsWith('/'));
        const valid =
          files.length > 0 &&
          !files.includes('manifest.json') &&
          stored.every((n) => relativePathProblem(n.endsWith('/') ? n.slice(0, -1) : n) === null) &&
          files.every((n) => !files.some((o) => o.startsWith(`${n}/`)));
        assert.equal(
          'manifest' in result,
          valid,
          `${JSON.stringify(names)}: ${String((result as { error?: unknown }).error)}`,
        );
        if ('manifest' in result) {
          assert.deepEqual(result.manifest.files.map((f) => f.name).sort(), [...files].sort());
          for (const name of files)
            assert.equal(
              readFileSync(join(result.store, SHA, 'i2s', ...name.split('/')), 'utf8'),
              Buffer.from(`data of ${names[stored.indexOf(name)]}`).toString(),
            );
        }
      }),
      RUNS(200),
    );
  });

  test('property: a flipped byte anywhere in the zip is stored intact or refused, never half-stored', async () => {
    const zip = GOOD_ZIP();
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: zip.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        async (at, xor) => {
          const bent = Buffer.from(zip);
          bent[at]! ^= xor;
          serve(bent);
          const result = await fetchOnce();
          if ('manifest' in result) {
            // Whatever was stored verifies: the same bytes the manifest records.
            const { verifyArtifact } = await import('../../src/hil/index.ts');
            await verifyArtifact(result.store, SHA, 'i2s');
          }
        },
      ),
      RUNS(200),
    );
  });

  test('links, special files, duplicates, file-and-directory names, bombs and bad CRCs are refused', async () => {
    const link = { os: 3, attrs: (0o120777 << 16) >>> 0 };
    const fifo = { os: 3, attrs: (0o010644 << 16) >>> 0 };
    const zeros = new Uint8Array(20 * 1024 * 1024);
    const patched = (zip: Buffer, name: string, field: number, value: number) => {
      for (const at of centralRecords(zip)) {
        const n = zip.subarray(at + 46, at + 46 + zip.readUInt16LE(at + 28)).toString();
        if (n === name) zip.writeUInt32LE(value, at + field);
      }
      return zip;
    };
    const dup = zipOf([
      ['a.bin', bytes('1')],
      ['b.bin', bytes('2')],
    ]);
    for (const at of centralRecords(dup))
      if (dup.toString('latin1', at + 46, at + 51) === 'b.bin')
        dup.write('a.bin', at + 46, 'latin1');
    const cases: Array<[Buffer, RegExp]> = [
      [
        zipOf([
          ['app.bin', bytes('x')],
          ['link', bytes('/etc/passwd'), link],
        ]),
        /entry "link": a symbolic link$/,
      ],
      [zipOf([['fifo', bytes(''), fifo]]), /entry "fifo": a special file$/],
      [dup, /entry "a\.bin": named twice$/],
      [
        zipOf([
          ['a', bytes('1')],
          ['a/b', bytes('2')],
        ]),
        /entry "a" is a file and a directory$/,
      ],
      // A bomb that declares what it unpacks to, and one that lies about it.
      [
        patched(zipOf([['big.bin', zeros]]), 'big.bin', 24, 3 * 1024 ** 3),
        /would unpack to more than 2\.0 GiB$/,
      ],
      [
        patched(zipOf([['big.bin', zeros]]), 'big.bin', 24, 1000),
        /entry "big\.bin": unpacks to more than its declared 1000 bytes$/,
      ],
      [
        patched(zipOf([['app.bin', bytes('data')]]), 'app.bin', 16, 0x1234),
        /entry "app\.bin": corrupt data \(size or CRC-32 does not match\)$/,
      ],
    ];
    for (const [zip, expected] of cases) {
      serve(zip);
      const began = performance.now();
      const result = await fetchOnce();
      assert.ok('error' in result, `expected a refusal matching ${expected}`);
      assert.match((result.error as Error).message, expected);
      assert.ok(performance.now() - began < 5000);
    }
  });
});

describe('the CLI against a hostile GitHub', () => {
  test('property: artifact get --from-github exits 0, or 1/255 with one line, and writes only the store and --to', async () => {
    const scenario = fc.oneof(
      misbehaviour().map((m) => ({ runs: m })),
      misbehaviour().map((m) => ({ artifacts: m })),
      misbehaviour().map((m) => ({ zip: m })),
      fc.constant({}),
    );
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        serve('zip' in s ? s.zip : GOOD_ZIP(), s as Parameters<typeof serve>[1]);
        const box = sandbox();
        mkdirSync(box.inside, { recursive: true });
        const before = snapshot(box.root);
        const r = await runCli(
          [
            'artifact',
            'get',
            SHA,
            '--profile',
            'i2s',
            '--from-github',
            'o/r',
            '--store',
            'store',
            '--to',
            'out',
          ],
          { cwd: box.inside, env: { GITHUB_API_URL: gh.url, GITHUB_TOKEN: 'gh-token' } },
        );
        if (r.code !== 0) assertCleanError(r, [1, 255]);
        const inside = relative(box.root, box.inside);
        assert.deepEqual(
          writesOutside(before, snapshot(box.root), [`${inside}/store`, `${inside}/out`]),
          [],
        );
      }),
      RUNS(30),
    );
  });
});
