/** Bytes to text and back without loss, and line edits that leave every other byte alone. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  applyLines,
  decodeBytes,
  encodeText,
  lfText,
  matchLines,
  splitLines,
} from '../../src/files/index.ts';
import { expectedBytes } from '../support/docbytes.ts';
import { hostileBytes, RUNS } from '../support/hostile.ts';

const anyBytes = fc.oneof(
  hostileBytes,
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  // Near-UTF-8: valid sequences cut short, overlong forms, surrogates encoded as UTF-8.
  fc
    .array(
      fc.constantFrom(
        [0xe2, 0x82],
        [0xf0, 0x9f, 0x98],
        [0xc0, 0xaf],
        [0xed, 0xa0, 0x80],
        [0xed, 0xb2, 0x80],
        [0xf4, 0x90, 0x80, 0x80],
        [0xf0, 0x9f, 0x98, 0x80],
        [0x0d],
        [0x0a],
      ),
      { maxLength: 20 },
    )
    .map((parts) => Buffer.from(parts.flat())),
);

test('any bytes decode and encode back to themselves', () => {
  fc.assert(
    fc.property(anyBytes, (bytes) => {
      const text = decodeBytes(bytes);
      assert.deepEqual(encodeText(text), bytes);
      // Valid UTF-8 decodes as UTF-8 (a BOM kept), so edits of ordinary text are ordinary.
      if (Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes))
        assert.equal(text, new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
    }),
    RUNS(5000),
  );
});

test('an unchanged text comes back byte for byte, whatever its line endings', () => {
  fc.assert(
    fc.property(anyBytes, (bytes) => {
      const file = splitLines(decodeBytes(bytes));
      assert.deepEqual(encodeText(applyLines(file, lfText(file))), bytes);
    }),
    RUNS(3000),
  );
});

test('inserted and replaced lines take the file newline; every other line keeps its bytes', () => {
  fc.assert(
    fc.property(
      anyBytes,
      fc.nat(),
      fc.boolean(),
      fc.string({ maxLength: 30 }).map((s) => s.replace(/[\n\ud800-\udfff]/g, '')),
      (bytes, at, replace, content) => {
        const file = splitLines(decodeBytes(bytes));
        const lines = lfText(file).split('\n');
        const i = at % (lines.length + (replace ? 0 : 1));
        const line = `NEW ${content} NEW`;
        const after = [...lines];
        after.splice(i, replace ? 1 : 0, line);
        const actual = encodeText(applyLines(file, after.join('\n')));
        const splice = { at: i, remove: replace ? 1 : 0, insert: [line] };
        assert.deepEqual(actual, expectedBytes(bytes, [splice], encodeText));
      },
    ),
    RUNS(3000),
  );
});

test('line matching keeps the most lines: a shortest edit script', () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom('a', 'b', 'c', ''), { maxLength: 40 }),
      fc.array(fc.constantFrom('a', 'b', 'c', ''), { maxLength: 40 }),
      (a, b) => {
        const from = matchLines(a, b);
        let last = -1;
        let kept = 0;
        for (const [j, i] of from.entries()) {
          if (i < 0) continue;
          assert.equal(a[i], b[j]);
          assert.ok(i > last, 'matches keep their order');
          last = i;
          kept++;
        }
        // The longest common subsequence, by dynamic programming, as the oracle.
        const lcs = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
        for (let x = a.length - 1; x >= 0; x--)
          for (let y = b.length - 1; y >= 0; y--)
            lcs[x]![y] =
              a[x] === b[y] ? lcs[x + 1]![y + 1]! + 1 : Math.max(lcs[x + 1]![y]!, lcs[x]![y + 1]!);
        assert.equal(kept, lcs[0]![0]);
      },
    ),
    RUNS(2000),
  );
});
