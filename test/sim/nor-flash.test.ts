/**
 * The simulated flash chip's NOR rules (a write only clears bits, an erase sets whole 4 KiB
 * sectors) against a byte-at-a-time model, for generated erases and writes anywhere.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FLASH_SIZE, SECTOR_SIZE, SimFlash } from '../../src/sim/esp32/flash.ts';

const REGION = 4 * SECTOR_SIZE;

test('writes AND into what is there and erases set whole sectors, as the byte-at-a-time model', () => {
  const operation = fc.oneof(
    fc.record({
      kind: fc.constant('write' as const),
      offset: fc.nat(REGION - 1),
      data: fc.uint8Array({ minLength: 1, maxLength: 2 * SECTOR_SIZE }),
    }),
    fc.record({
      kind: fc.constant('erase' as const),
      offset: fc.nat(REGION - 1),
      length: fc.nat(2 * SECTOR_SIZE),
    }),
  );
  fc.assert(
    fc.property(fc.array(operation, { maxLength: 12 }), (operations) => {
      const flash = new SimFlash(null);
      const model = Buffer.alloc(REGION + 2 * SECTOR_SIZE, 0xff);
      for (const op of operations) {
        if (op.kind === 'write') {
          assert.ok(flash.write(op.offset, op.data));
          for (let i = 0; i < op.data.length; i++) model[op.offset + i]! &= op.data[i]!;
        } else {
          assert.ok(flash.erase(op.offset, op.length));
          if (op.length === 0) continue;
          const start = Math.floor(op.offset / SECTOR_SIZE) * SECTOR_SIZE;
          const end = Math.ceil((op.offset + op.length) / SECTOR_SIZE) * SECTOR_SIZE;
          model.fill(0xff, start, end);
        }
      }
      assert.deepEqual(flash.view(0, model.length), model);
    }),
    { numRuns: 300, seed: 5 },
  );
  // Erased but for one byte, at either end of what is written over it.
  for (const at of [0, 99]) {
    const flash = new SimFlash(null);
    flash.write(0x1000 + at, Uint8Array.of(0x0f));
    flash.write(0x1000, new Uint8Array(100).fill(0xf3));
    const expected = Buffer.alloc(100, 0xf3);
    expected[at] = 0x03;
    assert.deepEqual(flash.view(0x1000, 100), expected);
  }
  // Outside the chip: refused, nothing changed.
  const flash = new SimFlash(null);
  assert.equal(flash.write(FLASH_SIZE - 1, Uint8Array.of(0, 0)), false);
  assert.equal(flash.changes, 0);
});
