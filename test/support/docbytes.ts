/**
 * Document bytes for the lossless-edit properties: the team's real files mutated the ways files
 * really are (CRLF, a BOM, Latin-1 and invalid bytes, NULs, a huge line, no final newline), and
 * the byte-level oracle of an edit — computed from the original bytes split at 0x0A, not with
 * the code under test — that says what the file must be after lines were inserted or replaced.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { tempDir } from './cli.ts';
import { hostileBytes } from './hostile.ts';

export const FIXTURE = fileURLToPath(new URL('../fixtures/squeezelite', import.meta.url));
export const LOG = 'documentation/short-term/coordination/handoff_log.md';
export const BOARD = 'documentation/short-term/coordination/workstream_board.md';
export const QUEUE = 'documentation/short-term/coordination/ad_hoc_ticket_queue.md';
export const TRANSPORT = 'documentation/agents/remote_transport_lock.md';
export const GOAL1 = 'documentation/short-term/active/GOAL-001-lxd-codex-hardware-ci.md';
export const GOAL2 = 'documentation/short-term/active/GOAL-002-hut-surface-first-test.md';

/** A fresh copy of the team's repository. */
export function repoCopy(): string {
  const dir = join(tempDir('hutctl-docs-'), 'repo');
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

export const fixtureBytes = (rel: string): Buffer => readFileSync(join(FIXTURE, rel));

interface Mutation {
  crlf: 'none' | 'all' | 'some';
  bom: boolean;
  final: 'keep' | 'drop' | 'extra';
  junk: Array<[number, Buffer]>;
  huge: number | undefined;
}

/** `file` mutated: line endings, BOM, final newline, hostile bytes on some lines, a huge line. */
export function mutated(file: Buffer): fc.Arbitrary<Buffer> {
  return fc
    .record({
      crlf: fc.constantFrom('none', 'all', 'some'),
      bom: fc.boolean(),
      final: fc.constantFrom('keep', 'drop', 'extra'),
      junk: fc.array(fc.tuple(fc.nat(), hostileBytes), { maxLength: 6 }),
      huge: fc.option(fc.integer({ min: 1_000, max: 200_000 }), { nil: undefined }),
    })
    .map((m: Mutation) => mutate(file, m));
}

function mutate(file: Buffer, m: Mutation): Buffer {
  const lines = split(file).map((l) => (l.at(-1) === 0x0a ? l.subarray(0, -1) : l));
  const last = lines.pop()!; // what follows the final newline (empty for a file that has one)
  for (const [at, bytes] of m.junk) {
    const i = at % lines.length;
    // Hostile bytes at the end of a line, without 0x0A (each edit's line count stays known).
    lines[i] = Buffer.concat([lines[i]!, bytes.filter((b) => b !== 0x0a)]);
  }
  if (m.huge !== undefined) {
    const i = m.huge % lines.length;
    lines.splice(i, 0, Buffer.concat([Buffer.alloc(m.huge, 'x'), Buffer.from([0xe9, 0])]));
  }
  const out: Buffer[] = [];
  if (m.bom) out.push(Buffer.from([0xef, 0xbb, 0xbf]));
  lines.forEach((line, i) => {
    const cr = m.crlf === 'all' || (m.crlf === 'some' && i % 3 === 1);
    out.push(line, Buffer.from(cr ? '\r\n' : '\n'));
  });
  out.push(last);
  if (m.final === 'drop' && last.length === 0) out.splice(-2, 2);
  if (m.final === 'extra') out.push(Buffer.from('\n'));
  return Buffer.concat(out);
}

/** The file's lines, each with its 0x0A (the last one has none; empty when the file ends with one). */
export function split(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    out.push(buf.subarray(start, nl + 1));
    start = nl + 1;
  }
  out.push(buf.subarray(start));
  return out;
}

/** CRLF when more lines end with it than with a bare LF, else LF. */
export function newlineOf(buf: Buffer): Buffer {
  let crlf = 0;
  let lf = 0;
  for (const line of split(buf)) {
    if (line.at(-1) !== 0x0a) continue;
    if (line.at(-2) === 0x0d) crlf++;
    else lf++;
  }
  return Buffer.from(crlf > lf ? '\r\n' : '\n');
}

export interface Splice {
  /** Index of the first original line affected (0-based). */
  at: number;
  remove: number;
  insert: string[];
}

/**
 * What an edit must produce: the original bytes, with each splice's removed lines gone and its
 * inserted lines (encoded by `encode`) ending in the file's newline — none for the very last line.
 * An original line without a newline that stops being last gets the file's newline.
 */
export function expectedBytes(
  orig: Buffer,
  splices: Splice[],
  encode: (text: string) => Buffer,
): Buffer {
  const lines = split(orig);
  const nl = newlineOf(orig);
  const items: Array<{ orig: Buffer } | { text: string }> = [];
  const sorted = [...splices].sort((a, b) => a.at - b.at);
  let i = 0;
  for (const s of sorted) {
    while (i < s.at) items.push({ orig: lines[i++]! });
    for (const text of s.insert) items.push({ text });
    i += s.remove;
  }
  while (i < lines.length) items.push({ orig: lines[i++]! });
  return Buffer.concat(
    items.map((item, k) => {
      const last = k === items.length - 1;
      if ('text' in item) return Buffer.concat([encode(item.text), last ? Buffer.alloc(0) : nl]);
      if (item.orig.at(-1) === 0x0a || last) return item.orig;
      return Buffer.concat([item.orig, nl]);
    }),
  );
}
