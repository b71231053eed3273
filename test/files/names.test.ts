/** File names derived from keys and random digits (no node:crypto on the start-up path). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nameHash, randomHex } from '../../src/files/index.ts';

test('nameHash is 64-bit FNV-1a: the published test vectors, stable, 16 hex digits', () => {
  assert.equal(nameHash(''), 'cbf29ce484222325');
  assert.equal(nameHash('a'), 'af63dc4c8601ec8c');
  assert.equal(nameHash('foobar'), '85944171f73967e8');
  assert.equal(nameHash('/srv/repo/hutctl.yaml'), nameHash('/srv/repo/hutctl.yaml'));
  assert.notEqual(nameHash('/srv/a/hutctl.yaml'), nameHash('/srv/b/hutctl.yaml'));
});

test('randomHex gives exactly the digits asked for, and differs between calls', () => {
  for (const digits of [1, 4, 8, 9, 16])
    assert.match(randomHex(digits), new RegExp(`^[0-9a-f]{${digits}}$`));
  const seen = new Set(Array.from({ length: 1000 }, () => randomHex(8)));
  assert.ok(seen.size > 990);
});
