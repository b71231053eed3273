/** The app/bootloader image: the bytes of §4.1, the bootloader's checks, and properties. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { buildImage, CHIP_IDS, checkImage, parseImage } from '../../src/esp32/index.ts';
import { RUNS } from '../support/hostile.ts';

const u32 = (bytes: Uint8Array, at: number) => Buffer.from(bytes).readUInt32LE(at);
const u16 = (bytes: Uint8Array, at: number) => Buffer.from(bytes).readUInt16LE(at);
const words = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('image bytes (§4.1)', () => {
  test('the 24-byte header: magic, count, mode, size|freq, entry, WP pin, chip, revisions, hash flag', () => {
    const image = buildImage({
      entry: 0x400811f4,
      segments: [1, 2, 3, 4, 5].map((n) => ({ addr: 0x3ffb0000 + n * 0x1000, data: words(8, n) })),
      flashMode: 'dio',
      flashSize: '2MB',
      flashFreq: '40m',
    });
    assert.equal(image[0], 0xe9);
    assert.equal(image[1], 5);
    assert.equal(image[2], 2, 'DIO is 2');
    assert.equal(image[3], 0x10, '2MB in the high nibble, 40 MHz (0) in the low one');
    assert.equal(u32(image, 4), 0x400811f4);
    assert.equal(image[8], 0xee, 'WP pin not used');
    assert.deepEqual([...image.subarray(9, 12)], [0, 0, 0]);
    assert.equal(u16(image, 12), 0x0000, 'ESP32 chip id');
    assert.equal(image[14], 0);
    assert.equal(u16(image, 15), 0);
    assert.equal(u16(image, 17), 399, 'max chip rev full v3.99');
    assert.deepEqual([...image.subarray(19, 23)], [0, 0, 0, 0]);
    assert.equal(image[23], 1, 'hash appended');

    const other = buildImage({
      entry: 0,
      segments: [],
      flashMode: 'qio',
      flashSize: '4MB',
      flashFreq: '80m',
      chipId: CHIP_IDS.esp32c3,
      hashAppended: false,
    });
    assert.deepEqual([other[2], other[3], u16(other, 12), other[23]], [0, 0x2f, 5, 0]);
    assert.equal(
      buildImage({ entry: 0, segments: [], flashSize: '16MB', flashFreq: '20m' })[3],
      0x42,
    );
  });

  test('each segment is load address and length (little-endian), then its data', () => {
    const image = buildImage({
      entry: 0x40080000,
      segments: [
        { addr: 0x3fff0030, data: Uint8Array.of(1, 2, 3, 4) },
        { addr: 0x40078000, data: Uint8Array.of(5, 6, 7, 8, 9, 10, 11, 12) },
      ],
    });
    assert.equal(u32(image, 24), 0x3fff0030);
    assert.equal(u32(image, 28), 4);
    assert.deepEqual([...image.subarray(32, 36)], [1, 2, 3, 4]);
    assert.equal(u32(image, 36), 0x40078000);
    assert.equal(u32(image, 40), 8);
    assert.deepEqual([...image.subarray(44, 52)], [5, 6, 7, 8, 9, 10, 11, 12]);
  });

  test('the checksum byte is 0xEF XOR every segment data byte, after zeros up to one short of a multiple of 16', () => {
    // Everything before the padding is a multiple of 4, so there are 15, 11, 7 or 3 zeros.
    for (const [length, zeros] of [
      [4, 11],
      [8, 7],
      [12, 3],
      [16, 15],
    ] as const) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 37 + 1) & 0xff);
      const image = buildImage({
        entry: 0,
        segments: [{ addr: 0x3ffb0000, data }],
        hashAppended: false,
      });
      const end = 24 + 8 + length;
      assert.equal(image.length, end + zeros + 1, `length ${length}`);
      assert.equal(image.length % 16, 0);
      assert.deepEqual([...image.subarray(end, end + zeros)], new Array(zeros).fill(0));
      assert.equal(
        image[image.length - 1],
        data.reduce((x, b) => x ^ b, 0xef),
      );
    }
    const small = buildImage({
      entry: 0,
      segments: [{ addr: 0x3ffb0000, data: Uint8Array.of(1, 2, 3, 4) }],
      hashAppended: false,
    });
    assert.equal(small.length, 48);
    assert.equal(small[47], 0xeb, '0xEF ^ 1 ^ 2 ^ 3 ^ 4');
  });

  test('with hash_appended the SHA-256 of everything through the checksum byte follows it', () => {
    const image = buildImage({ entry: 0, segments: [{ addr: 0x3ffb0000, data: words(20, 9) }] });
    assert.equal(image.length, 64 + 32);
    const digest = createHash('sha256').update(image.subarray(0, 64)).digest();
    assert.deepEqual(Buffer.from(image.subarray(64)), digest);
  });

  test('segment data is padded with zeros to a multiple of 4, as elf2image does', () => {
    const image = buildImage({
      entry: 0,
      segments: [{ addr: 0x3ffb0000, data: Uint8Array.of(7, 7, 7) }],
    });
    assert.equal(u32(image, 28), 4);
    assert.deepEqual([...image.subarray(32, 36)], [7, 7, 7, 0]);
    assert.deepEqual(checkImage(image), []);
  });

  test('more than 16 segments is refused by the builder', () => {
    const segments = Array.from({ length: 17 }, () => ({ addr: 0x3ffb0000, data: words(4, 0) }));
    assert.throws(() => buildImage({ entry: 0, segments }), RangeError);
  });
});

describe('checkImage speaks the bootloader', () => {
  const good = () =>
    buildImage({
      entry: 0x400811f4,
      segments: [
        { addr: 0x3f400020, data: words(0x100, 1) },
        { addr: 0x3ffb0000, data: words(0x40, 2) },
      ],
    });

  test('a good image has no problems and parses back', () => {
    const image = good();
    assert.deepEqual(
      checkImage(image, { chipId: 0, offset: 0x10000, partitionSize: 0x100000 }),
      [],
    );
    const parsed = parseImage(image)!;
    assert.equal(parsed.segmentCount, 2);
    assert.deepEqual(
      parsed.segments.map((s) => [s.loadAddr, s.length, s.dataOffset]),
      [
        [0x3f400020, 0x100, 0x20],
        [0x3ffb0000, 0x40, 0x128],
      ],
    );
    assert.equal(parsed.checksum.stored, parsed.checksum.calculated);
    assert.equal(parsed.sha256!.stored, parsed.sha256!.calculated);
    assert.equal(parsed.length, image.length);
  });

  test('invalid magic byte, with the flash address', () => {
    const image = good();
    image[0] = 0xff;
    assert.deepEqual(checkImage(image, { offset: 0x10000 }), [
      'image at 0x10000 has invalid magic byte (nothing flashed here?)',
    ]);
    assert.equal(parseImage(image), null);
    assert.deepEqual(checkImage(new Uint8Array(0)), [
      'image at 0x0 has invalid magic byte (nothing flashed here?)',
    ]);
  });

  test('Checksum failed. Calculated 0x.. read 0x.. — and the hash fails with it', () => {
    const image = good();
    const at = 0x20 + 5;
    image[at]! ^= 0x40;
    const parsed = parseImage(image)!;
    assert.deepEqual(checkImage(image), [
      `Checksum failed. Calculated 0x${parsed.checksum.calculated.toString(16)} read 0x${parsed.checksum.stored.toString(16)}`,
      'Image hash failed - image is corrupt',
    ]);
    assert.equal(parsed.checksum.calculated ^ parsed.checksum.stored, 0x40);
  });

  test('a changed hash byte alone: Image hash failed - image is corrupt', () => {
    const image = good();
    image[image.length - 1]! ^= 1;
    assert.deepEqual(checkImage(image), ['Image hash failed - image is corrupt']);
  });

  test('chip id mismatch, segment count, segment length, mapping phase, truncation, partition size', () => {
    const c3 = buildImage({ entry: 0, segments: [], chipId: CHIP_IDS.esp32c3 });
    assert.deepEqual(checkImage(c3, { chipId: CHIP_IDS.esp32 }), [
      'mismatch chip ID, expected 0, found 5',
    ]);

    const many = good();
    many[1] = 17;
    assert.deepEqual(checkImage(many, { offset: 0x10000 }), [
      'image at 0x10000 segment count 17 exceeds max 16',
    ]);

    const unaligned = good();
    Buffer.from(unaligned.buffer).writeUInt32LE(0x101, 28);
    assert.deepEqual(checkImage(unaligned), ['invalid segment length 0x101']);

    // A DROM segment must sit at the same place within a 64 KiB page in flash as in memory.
    const shifted = buildImage({ entry: 0, segments: [{ addr: 0x3f400040, data: words(8, 0) }] });
    assert.deepEqual(checkImage(shifted, { offset: 0x10000 }), [
      "Segment 0 load address 0x3f400040, doesn't match data 0x00010020",
    ]);
    const c3Shifted = buildImage({
      entry: 0,
      segments: [{ addr: 0x3f400040, data: words(8, 0) }],
      chipId: 5,
    });
    assert.deepEqual(checkImage(c3Shifted, { chipId: 5 }), [], 'the map rule is the ESP32 one');

    const image = good();
    const cut = image.subarray(0, 0x30);
    assert.match(
      checkImage(cut)[0]!,
      /^segment 0: 256 bytes at 0x20 run past the end \(48 bytes\)$/,
    );
    assert.equal(parseImage(cut), null);
    assert.deepEqual(checkImage(image.subarray(0, image.length - 32)), [
      `the appended SHA-256 at 0x${(image.length - 32).toString(16)} is past the end (${image.length - 32} bytes)`,
    ]);
    assert.deepEqual(checkImage(image, { partitionSize: 0x100 }), [
      `Image length ${image.length} doesn't fit in partition length 256`,
    ]);
  });
});

describe('image properties', () => {
  const segmentArb = fc.record({
    addr: fc.oneof(
      fc.integer({ min: 0x3ffb0000, max: 0x3fffff00 }),
      fc.integer({ min: 0x40080000, max: 0x400a0000 }),
    ),
    data: fc.uint8Array({ maxLength: 300 }),
  });
  const specArb = fc.record({
    entry: fc.integer({ min: 0, max: 0xffffffff }),
    segments: fc.array(segmentArb, { maxLength: 16 }),
    flashMode: fc.constantFrom('qio', 'qout', 'dio', 'dout'),
    flashSize: fc.constantFrom('1MB', '2MB', '4MB', '8MB', '16MB'),
    flashFreq: fc.constantFrom('40m', '26m', '20m', '80m'),
    chipId: fc.constantFrom(...Object.values(CHIP_IDS)),
    hashAppended: fc.boolean(),
  });

  test('build → parse gives back every value, and checkImage finds nothing', () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const image = buildImage(spec);
        const parsed = parseImage(image)!;
        assert.equal(parsed.entry, spec.entry);
        assert.equal(parsed.flashMode, spec.flashMode);
        assert.equal(parsed.flashSize, spec.flashSize);
        assert.equal(parsed.flashFreq, spec.flashFreq);
        assert.equal(parsed.chipId, spec.chipId);
        assert.equal(parsed.hashAppended, spec.hashAppended);
        assert.deepEqual(
          parsed.segments.map((s) => [s.loadAddr, s.length]),
          spec.segments.map((s) => [s.addr, (s.data.length + 3) & ~3]),
        );
        assert.equal(parsed.length, image.length);
        assert.deepEqual(checkImage(image, { chipId: spec.chipId }), []);
      }),
      RUNS(300),
    );
  });

  test('any single changed byte of segment data is caught by the checksum', () => {
    const arb = specArb
      .filter((s) => s.segments.some((seg) => seg.data.length > 0))
      .chain((spec) =>
        fc.record({
          spec: fc.constant(spec),
          pick: fc.nat(),
          flip: fc.integer({ min: 1, max: 255 }),
        }),
      );
    fc.assert(
      fc.property(arb, ({ spec, pick, flip }) => {
        const image = buildImage(spec);
        const positions = parseImage(image)!.segments.flatMap((s) =>
          Array.from({ length: s.length }, (_, i) => s.dataOffset + i),
        );
        const at = positions[pick % positions.length]!;
        image[at]! ^= flip;
        const problems = checkImage(image);
        assert.ok(
          problems.some((p) => p.startsWith('Checksum failed. Calculated')),
          String(problems),
        );
      }),
      RUNS(300),
    );
  });

  test('with a SHA-256 appended, any single changed byte is caught — but clearing that flag itself', () => {
    const arb = specArb.chain((spec) =>
      fc.record({
        spec: fc.constant({ ...spec, hashAppended: true }),
        pick: fc.nat(),
        flip: fc.integer({ min: 1, max: 255 }),
      }),
    );
    fc.assert(
      fc.property(arb, ({ spec, pick, flip }) => {
        const image = buildImage(spec);
        const at = pick % image.length;
        // Byte 23 set to 0 says "no hash": the bootloader then checks none, and neither do we.
        fc.pre(!(at === 23 && flip === 1));
        image[at]! ^= flip;
        assert.notDeepEqual(checkImage(image, { chipId: spec.chipId }), []);
      }),
      RUNS(300),
    );
    const cleared = buildImage({ entry: 0, segments: [{ addr: 0x3ffb0000, data: words(8, 3) }] });
    cleared[23] = 0;
    assert.deepEqual(checkImage(cleared), []);
    assert.equal(
      parseImage(cleared)!.length,
      cleared.length - 32,
      'the hash is just trailing bytes',
    );
  });

  test('random bytes never crash: an image or null, and one-line problems', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      // Past the magic byte, so the walk goes deeper.
      fc.uint8Array({ maxLength: 400 }).map((b) => Uint8Array.of(0xe9, ...b)),
      fc
        .tuple(fc.integer({ min: 0, max: 20 }), fc.uint8Array({ maxLength: 400 }))
        .map(([n, b]) => Uint8Array.of(0xe9, n, ...b)),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const parsed = parseImage(b);
        assert.ok(parsed === null || typeof parsed.entry === 'number');
        for (const problem of checkImage(b, { chipId: 0 })) assert.match(problem, /^[^\n\r]+$/);
      }),
      RUNS(1000),
    );
  });
});
