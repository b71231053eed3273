/**
 * The `_DATA` checksum (reference/esp32-flashing.md §1.3: 0xEF XOR every byte) against a
 * byte-at-a-time reading, on payloads of every length near a word and at every alignment in
 * their buffer, as packets cut out of a SLIP stream are.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dataChecksum } from '../../src/sim/esp32/index.ts';

function reference(data: Uint8Array): number {
  let state = 0xef;
  for (let i = 0; i < data.length; i++) state ^= data[i]!;
  return state;
}

test('the checksum is 0xEF XOR every byte, at any length and any alignment', () => {
  let seed = 0x2545f491;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 16;
  };
  const backing = new Uint8Array(0x4000 + 64);
  for (let i = 0; i < backing.length; i++) backing[i] = next() & 0xff;
  for (let offset = 0; offset < 8; offset++) {
    for (const length of [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1023, 0x4000]) {
      const data = backing.subarray(offset, offset + length);
      assert.equal(dataChecksum(data), reference(data), `offset ${offset}, length ${length}`);
    }
  }
  // A block whose bytes cancel out gives the seed; one bit flipped anywhere shows.
  const block = new Uint8Array(0x4000).fill(0x5a);
  assert.equal(dataChecksum(block), 0xef);
  for (const at of [0, 1, 2, 3, 0x1fff, 0x3fff]) {
    block[at] = block[at]! ^ 0x10;
    assert.equal(dataChecksum(block), 0xef ^ 0x10, `bit flipped at ${at}`);
    block[at] = block[at]! ^ 0x10;
  }
});
