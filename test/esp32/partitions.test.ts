/** The partition table binary (§4.4): entries, MD5 entry, end marker, checks, properties. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  buildPartitionTable,
  checkPartitionTable,
  type PartitionSpec,
  parsePartitionTable,
  singleAppPartitions,
  twoOtaPartitions,
} from '../../src/esp32/index.ts';
import { RUNS } from '../support/hostile.ts';

const MB = 0x100000;

describe('partition table bytes', () => {
  test('single factory app: 0xC00 bytes, 32-byte entries, MD5 entry at 0x60, end marker at 0x80', () => {
    const table = buildPartitionTable(singleAppPartitions());
    const b = Buffer.from(table);
    assert.equal(table.length, 0xc00);
    const entry = (i: number) => ({
      magic: b.subarray(i * 32, i * 32 + 2).toString('hex'),
      type: b[i * 32 + 2],
      subtype: b[i * 32 + 3],
      offset: b.readUInt32LE(i * 32 + 4),
      size: b.readUInt32LE(i * 32 + 8),
      label: b.subarray(i * 32 + 12, i * 32 + 28).toString('latin1'),
      flags: b.readUInt32LE(i * 32 + 28),
    });
    const pad = (s: string) => s.padEnd(16, '\0');
    assert.deepEqual(entry(0), {
      magic: 'aa50',
      type: 1,
      subtype: 2,
      offset: 0x9000,
      size: 0x6000,
      label: pad('nvs'),
      flags: 0,
    });
    assert.deepEqual(entry(1), {
      magic: 'aa50',
      type: 1,
      subtype: 1,
      offset: 0xf000,
      size: 0x1000,
      label: pad('phy_init'),
      flags: 0,
    });
    assert.deepEqual(entry(2), {
      magic: 'aa50',
      type: 0,
      subtype: 0,
      offset: 0x10000,
      size: MB,
      label: pad('factory'),
      flags: 0,
    });
    assert.equal(b.subarray(0x60, 0x70).toString('hex'), `ebeb${'ff'.repeat(14)}`);
    assert.deepEqual(
      b.subarray(0x70, 0x80),
      createHash('md5').update(b.subarray(0, 0x60)).digest(),
    );
    assert.ok(
      b.subarray(0x80).every((x) => x === 0xff),
      'end marker, then 0xFF to 0xC00',
    );

    const parsed = parsePartitionTable(table)!;
    assert.deepEqual(
      parsed.partitions.map((p) => [p.label, p.typeName, p.subtypeName, p.offset, p.size]),
      [
        ['nvs', 'data', 'nvs', 0x9000, 0x6000],
        ['phy_init', 'data', 'phy', 0xf000, 0x1000],
        ['factory', 'app', 'factory', 0x10000, MB],
      ],
    );
    assert.equal(parsed.md5!.offset, 0x60);
    assert.equal(parsed.md5!.stored, parsed.md5!.calculated);
    assert.equal(parsed.end, 0x80);
    assert.deepEqual(checkPartitionTable(table, { flashSize: 2 * MB }), []);
  });

  test('two OTA: where gen_esp32part places partitions_two_ota.csv', () => {
    const table = buildPartitionTable(twoOtaPartitions());
    const parsed = parsePartitionTable(table)!;
    assert.deepEqual(
      parsed.partitions.map((p) => [p.label, p.type, p.subtype, p.offset, p.size]),
      [
        ['nvs', 1, 0x02, 0x9000, 0x4000],
        ['otadata', 1, 0x00, 0xd000, 0x2000],
        ['phy_init', 1, 0x01, 0xf000, 0x1000],
        ['factory', 0, 0x00, 0x10000, MB],
        ['ota_0', 0, 0x10, 0x110000, MB],
        ['ota_1', 0, 0x11, 0x210000, MB],
      ],
    );
    assert.equal(parsed.md5!.offset, 6 * 32);
    assert.equal(parsed.end, 7 * 32);
    assert.deepEqual(checkPartitionTable(table, { flashSize: 4 * MB }), []);
    assert.deepEqual(checkPartitionTable(table, { flashSize: 2 * MB }), [
      'partition 4 invalid - offset 0x110000 size 0x100000 exceeds flash chip size 0x200000',
      'partition 5 invalid - offset 0x210000 size 0x100000 exceeds flash chip size 0x200000',
    ]);
  });

  test('flags, names of subtypes, custom types, no MD5 entry', () => {
    const table = buildPartitionTable(
      [
        { label: 'storage', type: 'data', subtype: 'spiffs', offset: 0x9000, size: 0x7000 },
        {
          label: 'keys',
          type: 'data',
          subtype: 'nvs_keys',
          offset: 0x10000,
          size: 0x1000,
          encrypted: true,
        },
        {
          label: 'custom',
          type: 0x40,
          subtype: 0x99,
          offset: 0x11000,
          size: 0x1000,
          readonly: true,
        },
        { label: 'exactly16bytes!!', type: 'app', subtype: 'ota_15', offset: 0x20000, size: MB },
      ],
      { md5: false },
    );
    const parsed = parsePartitionTable(table)!;
    assert.deepEqual(
      parsed.partitions.map((p) => [p.label, p.typeName, p.subtypeName, p.encrypted, p.readonly]),
      [
        ['storage', 'data', 'spiffs', false, false],
        ['keys', 'data', 'nvs_keys', true, false],
        ['custom', '0x40', '0x99', false, true],
        ['exactly16bytes!!', 'app', 'ota_15', false, false],
      ],
    );
    assert.equal(parsed.md5, null);
    assert.equal(parsed.end, 4 * 32);
    assert.deepEqual(checkPartitionTable(table), []);
    assert.throws(() =>
      buildPartitionTable([
        { label: 'x'.repeat(17), type: 'data', subtype: 'nvs', offset: 0x9000, size: 0x1000 },
      ]),
    );
  });
});

describe('checkPartitionTable speaks the bootloader and gen_esp32part', () => {
  const table = (parts: PartitionSpec[]) => buildPartitionTable(parts);
  const nvs: PartitionSpec = {
    label: 'nvs',
    type: 'data',
    subtype: 'nvs',
    offset: 0x9000,
    size: 0x6000,
  };
  const factory: PartitionSpec = {
    label: 'factory',
    type: 'app',
    subtype: 'factory',
    offset: 0x10000,
    size: MB,
  };

  test('a bad entry magic and a changed MD5', () => {
    const bad = buildPartitionTable(singleAppPartitions());
    bad[0x21] = 0x51;
    assert.deepEqual(checkPartitionTable(bad), ['partition 1 invalid magic number 0x51aa']);
    assert.equal(parsePartitionTable(bad)!.partitions.length, 1);

    const md5 = buildPartitionTable(singleAppPartitions());
    md5[0x70]! ^= 0xff;
    assert.deepEqual(checkPartitionTable(md5), ['Incorrect MD5 checksum']);
    const entry = buildPartitionTable(singleAppPartitions());
    entry[0x44]! ^= 1; // factory's offset: the MD5 no longer matches the entries
    assert.ok(checkPartitionTable(entry).includes('Incorrect MD5 checksum'));
  });

  test('alignment, overlaps, below the table, names, otadata', () => {
    assert.deepEqual(checkPartitionTable(table([nvs, { ...factory, offset: 0x18000 }])), [
      'Partition factory invalid: Offset 0x18000 is not aligned to 0x10000',
    ]);
    assert.deepEqual(checkPartitionTable(table([{ ...nvs, offset: 0x9800 }, factory])), [
      'Partition nvs invalid: Offset 0x9800 is not aligned to 0x1000',
    ]);
    assert.deepEqual(checkPartitionTable(table([{ ...nvs, size: 0x8000 }, factory])), [
      'Partition at 0x10000 overlaps 0x9000-0x10fff',
    ]);
    assert.deepEqual(checkPartitionTable(table([{ ...nvs, offset: 0x8000 }, factory])), [
      'Partition offset 0x8000 is below 0x9000',
    ]);
    assert.deepEqual(
      checkPartitionTable(table([{ ...nvs, offset: 0xb000, size: 0x5000 }, factory]), {
        tableOffset: 0xa000,
      }),
      [],
    );
    assert.deepEqual(checkPartitionTable(table([nvs, { ...factory, label: 'nvs' }])), [
      'Partition names must be unique',
    ]);
    const otadata: PartitionSpec = {
      label: 'otadata',
      type: 'data',
      subtype: 'ota',
      offset: 0xf000,
      size: 0x1000,
    };
    assert.deepEqual(checkPartitionTable(table([nvs, otadata, factory])), [
      'otadata partition must have size = 0x2000',
    ]);
  });

  test('two MD5 entries, and a table with no end marker', () => {
    const two = buildPartitionTable([nvs, factory]);
    two.copyWithin(0x60, 0x40, 0x60); // a second MD5 entry where the end marker was
    assert.deepEqual(checkPartitionTable(two), ['Only one MD5 checksum is allowed']);

    const full = new Uint8Array(0xc00);
    for (let at = 0; at < full.length; at += 32)
      full.set(buildPartitionTable([nvs], { md5: false }).subarray(0, 32), at);
    assert.ok(
      checkPartitionTable(full).includes('partition table has no terminating entry, not valid'),
    );
    assert.equal(parsePartitionTable(full)!.end, null);
  });

  test('erased flash is an empty table; garbage is none', () => {
    const erased = new Uint8Array(0xc00).fill(0xff);
    assert.deepEqual(parsePartitionTable(erased), { partitions: [], md5: null, end: 0 });
    const garbage = new Uint8Array(0xc00).fill(0x12);
    assert.equal(parsePartitionTable(garbage), null);
    assert.deepEqual(checkPartitionTable(garbage), ['partition 0 invalid magic number 0x1212']);
  });
});

describe('partition table properties', () => {
  const specArb: fc.Arbitrary<PartitionSpec> = fc.record({
    label: fc.stringMatching(/^[a-z0-9_]{1,16}$/),
    type: fc.integer({ min: 0, max: 0xfe }),
    subtype: fc.integer({ min: 0, max: 0xfe }),
    offset: fc.nat({ max: 0xffffffff }),
    size: fc.nat({ max: 0xffffffff }),
    encrypted: fc.boolean(),
    readonly: fc.boolean(),
  });

  test('build → parse gives back every entry, and the MD5 matches', () => {
    fc.assert(
      fc.property(fc.array(specArb, { maxLength: 94 }), fc.boolean(), (specs, md5) => {
        const parsed = parsePartitionTable(buildPartitionTable(specs, { md5 }))!;
        assert.deepEqual(
          parsed.partitions.map((p) => [
            p.label,
            p.type,
            p.subtype,
            p.offset,
            p.size,
            p.encrypted,
            p.readonly,
          ]),
          specs.map((s) => [s.label, s.type, s.subtype, s.offset, s.size, s.encrypted, s.readonly]),
        );
        assert.equal(parsed.end, (specs.length + (md5 ? 1 : 0)) * 32);
        if (md5) assert.equal(parsed.md5!.stored, parsed.md5!.calculated);
      }),
      RUNS(200),
    );
  });

  test('random bytes never crash: a table or null, and one-line problems', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 0xc00 }),
      fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.of(0xaa, 0x50, ...b)),
      fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.of(0xeb, 0xeb, ...b)),
    );
    fc.assert(
      fc.property(bytes, fc.option(fc.nat()), (b, flashSize) => {
        const parsed = parsePartitionTable(b);
        assert.ok(parsed === null || Array.isArray(parsed.partitions));
        const problems = checkPartitionTable(b, flashSize === null ? {} : { flashSize });
        for (const problem of problems) assert.match(problem, /^[^\n\r]+$/);
      }),
      RUNS(1000),
    );
  });
});
