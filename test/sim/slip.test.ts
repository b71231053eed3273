/**
 * SLIP framing (reference/esp32-flashing.md §1.1) against a byte-at-a-time reading of the rules:
 * generated packets dense with 0xC0 and 0xDB, cut into chunks anywhere, with line noise between
 * packets, bad escapes and packets over the limit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlipDecoder, slipEncode, slipReadHost } from '../../src/sim/esp32/slip.ts';

/** The rules, one byte at a time, as the ROM reads them. */
function referenceDecode(stream: Uint8Array, maxPacket: number): Buffer[] {
  const packets: Buffer[] = [];
  let current: number[] = [];
  let inPacket = false;
  let escaping = false;
  let dropping = false;
  for (const byte of stream) {
    if (byte === 0xc0) {
      if (inPacket && current.length > 0 && !dropping) packets.push(Buffer.from(current));
      [current, inPacket, escaping, dropping] = [[], true, false, false];
      continue;
    }
    if (!inPacket || dropping) continue;
    let value = byte;
    if (escaping) {
      escaping = false;
      if (byte === 0xdc) value = 0xc0;
      else if (byte === 0xdd) value = 0xdb;
      else {
        dropping = true;
        continue;
      }
    } else if (byte === 0xdb) {
      escaping = true;
      continue;
    }
    if (current.length === maxPacket) {
      dropping = true;
      continue;
    }
    current.push(value);
  }
  return packets;
}

function referenceEncode(packet: Uint8Array): Buffer {
  const out = [0xc0];
  for (const byte of packet) {
    if (byte === 0xc0) out.push(0xdb, 0xdc);
    else if (byte === 0xdb) out.push(0xdb, 0xdd);
    else out.push(byte);
  }
  out.push(0xc0);
  return Buffer.from(out);
}

/** mulberry32: one seed, one sequence. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bytes where 0xC0, 0xDB, 0xDC and 0xDD are common (each about one in eight). */
function bytesOf(random: () => number, length: number): Buffer {
  const special = [0xc0, 0xdb, 0xdc, 0xdd];
  return Buffer.from(
    Array.from({ length }, () =>
      random() < 0.5 ? special[Math.floor(random() * 4)]! : Math.floor(random() * 256),
    ),
  );
}

test('slipEncode frames exactly as the byte-at-a-time rules, and the host reader undoes it', () => {
  const random = prng(7);
  for (let round = 0; round < 300; round++) {
    const packet = bytesOf(random, Math.floor(random() * 600));
    const framed = slipEncode(packet);
    assert.deepEqual(framed, referenceEncode(packet));
    // A view into a larger buffer frames only its own bytes.
    const wider = Buffer.concat([Buffer.from([0xc0, 0xdb]), packet, Buffer.from([0xdb])]);
    assert.deepEqual(slipEncode(wider.subarray(2, 2 + packet.length)), framed);
    const { packets, rest } = slipReadHost(framed);
    assert.deepEqual(packets, [packet]);
    assert.equal(rest.length, 0);
  }
});

test('SlipDecoder reads any stream, cut anywhere, as the byte-at-a-time rules do', () => {
  const random = prng(11);
  for (let round = 0; round < 300; round++) {
    const maxPacket = 1 + Math.floor(random() * 300);
    const parts: Buffer[] = [];
    for (let n = Math.floor(random() * 8); n > 0; n--) {
      const kind = random();
      if (kind < 0.6) parts.push(slipEncode(bytesOf(random, Math.floor(random() * 400))));
      // Line noise, bad escapes, unterminated packets: raw bytes of the same alphabet.
      else parts.push(bytesOf(random, Math.floor(random() * 50)));
    }
    const stream = Buffer.concat(parts);
    const got: Buffer[] = [];
    const decoder = new SlipDecoder((packet) => got.push(packet), maxPacket);
    for (let at = 0; at < stream.length; ) {
      const size = 1 + Math.floor(random() * 64);
      decoder.push(stream.subarray(at, at + size));
      at += size;
    }
    assert.deepEqual(got, referenceDecode(stream, maxPacket), `round ${round}`);
  }
});
