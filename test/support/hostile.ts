/**
 * Hostile input for property tests: generators of the values an attacker or a broken machine
 * hands hutctl, a sandbox whose every file is snapshotted so a test can prove nothing was
 * written outside the roots it allows, and the check that an error reached the user cleanly.
 */
import assert from 'node:assert/strict';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import fc from 'fast-check';
import type { CliResult } from './cli.ts';
import { runCli, tempDir } from './cli.ts';

/** Fragments that have broken tools before: traversal, shell syntax, separators, encodings. */
export const HOSTILE_FRAGMENTS = [
  '..',
  '../',
  '../../',
  '../../../../../../tmp/hutctl-escape',
  '/',
  '/tmp/hutctl-escape',
  '~',
  '~root',
  '.',
  '$(touch /tmp/hutctl-pwned)',
  '`touch /tmp/hutctl-pwned`',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell expansion, on purpose
  '${IFS}',
  "'",
  '"',
  '\\',
  ';',
  '&&',
  '|',
  ' | ',
  '||',
  '>',
  '<',
  '*',
  '?',
  '[',
  '{a,b}',
  '\n',
  '\r',
  '\r\n',
  '\t',
  '\0',
  '\u0085',
  '\u2028',
  '\u202e',
  '\ufeff',
  '\ud800',
  'é',
  '😀',
  ' ',
  '-',
  '--',
  '--help',
  '-rf',
  '%s%n',
  '```',
  'Entries:',
] as const;

/** A string built from hostile fragments and ordinary characters (never empty). */
export const hostileString = (maxParts = 6): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_FRAGMENTS) },
        { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/) },
        { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }) },
      ),
      { minLength: 1, maxLength: maxParts },
    )
    .map((parts) => parts.join(''));

/** Hostile strings, plus the odd very long one. */
export const hostileValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 9, arbitrary: hostileString() },
  { weight: 1, arbitrary: fc.constantFrom('a'.repeat(300), 'x'.repeat(5000), '../'.repeat(100)) },
);

/** A string that is NOT a valid id in hutctl's one id grammar (docs/contract.md). */
export const hostileId: fc.Arbitrary<string> = hostileValue.filter(
  (s) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(s),
);

/** Random bytes of a file: a mix of text lines, CRLF, BOM, Latin-1 and raw bytes. */
export const hostileBytes: fc.Arbitrary<Buffer> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        Buffer.from('\r\n'),
        Buffer.from('\n'),
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from([0xe9]),
        Buffer.from([0xc3, 0xa9]),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('| a | b |'),
        Buffer.from('```'),
        Buffer.from('\0'),
      ),
      fc.uint8Array({ minLength: 1, maxLength: 16 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 40 }).map((s) => Buffer.from(s, 'utf8')),
    ),
    { maxLength: 30 },
  )
  .map((parts) => Buffer.concat(parts));

/** Every file, directory and link under `root`, with what it holds (for before/after diffs). */
export function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const rel = relative(root, path);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) out.set(rel, `link ${readlinkSync(path)}`);
      else if (stat.isDirectory()) {
        out.set(rel, `dir ${(stat.mode & 0o7777).toString(8)}`);
        walk(path);
      } else if (stat.isFile())
        out.set(
          rel,
          `file ${(stat.mode & 0o7777).toString(8)} ${readFileSync(path).toString('base64')}`,
        );
      else out.set(rel, `other ${stat.mode.toString(8)}`);
    }
  };
  walk(root);
  return out;
}

/** The paths that differ between two snapshots (added, removed or changed). */
export function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed = new Set<string>();
  for (const [path, value] of after) if (before.get(path) !== value) changed.add(path);
  for (const path of before.keys()) if (!after.has(path)) changed.add(path);
  return [...changed].sort();
}

/**
 * A directory tree for one property run: `root/outside/` is watched (nothing may change there)
 * and `root/inside/a/b/c/` is where the command runs, so `../` in any value lands in `outside`.
 */
export function sandbox(): { root: string; inside: string; outside: string } {
  const root = tempDir('hutctl-hostile-');
  return { root, inside: join(root, 'inside', 'a', 'b', 'c'), outside: join(root, 'outside') };
}

/** The paths changed under `root` outside the `allowed` prefixes (relative to root). */
export function writesOutside(
  before: Map<string, string>,
  after: Map<string, string>,
  allowed: string[],
): string[] {
  return changedPaths(before, after).filter(
    (path) => !allowed.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)),
  );
}

/**
 * A user mistake reached the user as it should: the documented exit status, a short message on
 * stderr that names the problem, no stack trace, and never "unexpected error".
 */
export function assertCleanError(result: CliResult, statuses: number[] = [1, 2]): void {
  const context = `exit ${result.code}\nstderr: ${result.stderr}\nstdout: ${result.stdout}`;
  assert.ok(
    statuses.includes(result.code ?? -1),
    `expected exit ${statuses.join('|')}: ${context}`,
  );
  // hutctl's own phrase, at the start of a line (a server may echo any text inside a message).
  assert.doesNotMatch(result.stderr, /^hutctl: unexpected error/m, context);
  assert.doesNotMatch(result.stderr, /\n\s+at .+:\d+:\d+\)?\n/, `a stack trace: ${context}`);
  assert.match(result.stderr, /^hutctl: \S/, context);
  assert.ok(result.stderr.split('\n').filter(Boolean).length <= 3, `too long: ${context}`);
}

/** Property-run settings: bounded, reproducible from the seed fast-check prints on failure. */
export const RUNS = (numRuns: number): fc.Parameters<unknown> => ({
  numRuns: Number(process.env.HUTCTL_PROPERTY_RUNS ?? numRuns),
  interruptAfterTimeLimit: 60_000,
});

/** Values that can travel in argv (no NUL, no lone surrogate: the kernel or Node would change them). */
export const argvSafe = (value: string): boolean =>
  !value.includes('\0') && !/[\ud800-\udfff]/.test(value);

/**
 * Runs every command of `surfaces` with every value in a sandbox configured with one local
 * target, two slots on /dev/null and private paths: each must be refused (exit 2, one line) and
 * nothing may change anywhere in the sandbox.
 */
export async function refusedEverywhere(
  surfaces: Record<string, (value: string) => string[]>,
  values: string[],
): Promise<void> {
  const box = sandbox();
  mkdirSync(box.inside, { recursive: true });
  mkdirSync(box.outside, { recursive: true });
  writeFileSync(join(box.outside, 'keep.txt'), 'untouched\n');
  writeFileSync(
    join(box.inside, 'hutctl.yaml'),
    [
      'paths:',
      `  lock_dir: ${join(box.inside, 'locks')}`,
      `  cancel_dir: ${join(box.inside, 'cancel')}`,
      `  evidence_dir: ${join(box.inside, 'evidence')}`,
      `  state_dir: ${join(box.inside, 'state')}`,
      `  slot_lock_dir: ${join(box.inside, 'slot-locks')}`,
      `artifacts: {store: ${join(box.inside, 'artifacts')}}`,
      'targets: {runner: {transport: local, codex: {command: ["false"]}}}',
      'slots:',
      '  hut-01: {serial: /dev/null, labels: [esp32]}',
      '  hut-02: {serial: /dev/null}',
      '',
    ].join('\n'),
  );
  const before = snapshot(box.root);
  for (const [name, argv] of Object.entries(surfaces)) {
    for (const value of values) {
      const result = await runCli(argv(value), { cwd: box.inside });
      try {
        assertCleanError(result, [2]);
      } catch (error) {
        throw new Error(`${name} ${JSON.stringify(value)}: ${(error as Error).message}`);
      }
    }
  }
  assert.deepEqual(writesOutside(before, snapshot(box.root), []), []);
}
