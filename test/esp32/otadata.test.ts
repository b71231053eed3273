/** otadata (§4.5): the ROM CRC, the entry layout, and the bootloader's choice of partition. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  buildOtadata,
  buildPartitionTable,
  espRomCrc32Le,
  type OtaSelectSpec,
  otaSelectCrc,
  type Partition,
  type PartitionSpec,
  parseOtadata,
  parsePartitionTable,
  selectBootPartition,
  singleAppPartitions,
  twoOtaPartitions,
} from '../../src/esp32/index.ts';
import { RUNS } from '../support/hostile.ts';

const partitions = (specs: PartitionSpec[]): Partition[] =>
  parsePartitionTable(buildPartitionTable(specs))!.partitions;
const otadata = (a: OtaSelectSpec | null, b: OtaSelectSpec | null) =>
  parseOtadata(buildOtadata([a, b]))!;
const labels = (ps: Partition[]) => ps.map((p) => p.label);
const TWO_OTA = partitions(twoOtaPartitions());
const NO_FACTORY = partitions(twoOtaPartitions().filter((p) => p.label !== 'factory'));

describe('the ROM CRC', () => {
  test('esp_rom_crc32_le(UINT32_MAX, &ota_seq, 4): seq 1 → 0x4743989a, not zlib crc32 0x99f8b879', () => {
    // The values otatool.py computes (binascii.crc32(pack('I', seq), 0xFFFFFFFF)); seq 1's is
    // also what Arduino-ESP32's boot_app0.bin holds at offset 0x1c.
    assert.equal(otaSelectCrc(1), 0x4743989a);
    assert.equal(otaSelectCrc(2), 0x55f63774);
    assert.equal(otaSelectCrc(3), 0xed4a5011);
    assert.notEqual(otaSelectCrc(1), 0x99f8b879);
    // crc32_le(0, …) is plain CRC-32, whose check value for "123456789" is 0xCBF43926.
    assert.equal(espRomCrc32Le(0, Buffer.from('123456789')), 0xcbf43926);
    assert.equal(espRomCrc32Le(0, Uint8Array.of(1, 0, 0, 0)), 0x99f8b879);
    assert.equal(otaSelectCrc(0), 0xffffffff, 'the register stays 0 over zero bytes');
  });
});

describe('esp_ota_select_entry_t', () => {
  test('ota_data_initial.bin is 0x2000 bytes of 0xFF: both entries erased, neither valid', () => {
    const initial = buildOtadata();
    assert.equal(initial.length, 0x2000);
    assert.ok(initial.every((b) => b === 0xff));
    const [a, b] = parseOtadata(initial)!;
    assert.equal(a.seq, 0xffffffff);
    assert.equal(a.stateName, 'undefined');
    assert.equal(a.valid, false);
    assert.equal(b.valid, false);
  });

  test('two 32-byte entries, at 0 and 0x1000: seq, seq_label[20], state, crc', () => {
    const bytes = buildOtadata([{ seq: 1 }, { seq: 2, state: 'valid' }]);
    const b = Buffer.from(bytes);
    assert.equal(b.readUInt32LE(0), 1);
    assert.equal(b.subarray(4, 24).toString('hex'), 'ff'.repeat(20));
    assert.equal(b.readUInt32LE(24), 0xffffffff);
    assert.equal(b.readUInt32LE(28), 0x4743989a);
    assert.ok(b.subarray(32, 0x1000).every((x) => x === 0xff));
    assert.equal(b.readUInt32LE(0x1000), 2);
    assert.equal(b.readUInt32LE(0x1000 + 24), 2);
    assert.equal(b.readUInt32LE(0x1000 + 28), 0x55f63774);
    const [first, second] = parseOtadata(bytes)!;
    assert.deepEqual(
      [first.seq, first.stateName, first.crcValid, first.valid],
      [1, 'undefined', true, true],
    );
    assert.deepEqual([second.seq, second.stateName, second.valid], [2, 'valid', true]);
    assert.equal(parseOtadata(bytes.subarray(0, 0x1000)), null);
  });
});

describe('selectBootPartition (bootloader_utility.c)', () => {
  test('no otadata partition: the factory app', () => {
    const choice = selectBootPartition(partitions(singleAppPartitions()), null);
    assert.deepEqual(
      [choice.start, labels(choice.tries), choice.log],
      ['factory', ['factory'], null],
    );
  });

  test('erased otadata with a factory app: "Defaulting to factory image"', () => {
    const choice = selectBootPartition(TWO_OTA, parseOtadata(buildOtadata()));
    assert.equal(choice.log, 'Defaulting to factory image');
    assert.equal(choice.start, 'factory');
    assert.deepEqual(labels(choice.tries), ['factory', 'ota_0', 'ota_1']);
    assert.deepEqual(selectBootPartition(TWO_OTA, null), choice, 'null reads as erased');
  });

  test('erased otadata without one: "No factory image, trying OTA 0"', () => {
    const choice = selectBootPartition(NO_FACTORY, null);
    assert.equal(choice.log, 'No factory image, trying OTA 0');
    assert.deepEqual([choice.start, labels(choice.tries)], [0, ['ota_0', 'ota_1']]);
  });

  test('the valid entry with the higher sequence wins: slot (seq - 1) % number of OTA apps', () => {
    const second = selectBootPartition(TWO_OTA, otadata({ seq: 1 }, { seq: 2 }));
    assert.deepEqual([second.start, second.otadataEntry, second.log], [1, 1, null]);
    assert.deepEqual(labels(second.tries), ['ota_1', 'ota_0', 'factory']);
    const third = selectBootPartition(TWO_OTA, otadata({ seq: 3 }, { seq: 2 }));
    assert.deepEqual([third.start, third.otadataEntry], [0, 0]);
    assert.deepEqual(labels(third.tries), ['ota_0', 'factory', 'ota_1']);
    const tie = selectBootPartition(TWO_OTA, otadata({ seq: 2 }, { seq: 2 }));
    assert.equal(tie.otadataEntry, 0, 'a tie goes to the first entry');
  });

  test('an entry with a bad CRC, or INVALID or ABORTED, does not count', () => {
    const entries = otadata({ seq: 1 }, { seq: 2 });
    const badCrc = selectBootPartition(TWO_OTA, [
      entries[0],
      { ...entries[1], crcValid: false, valid: false },
    ]);
    assert.deepEqual([badCrc.start, badCrc.otadataEntry], [0, 0]);
    const aborted = selectBootPartition(TWO_OTA, otadata({ seq: 1 }, { seq: 2, state: 'aborted' }));
    assert.deepEqual([aborted.start, aborted.otadataEntry], [0, 0]);
    const invalid = selectBootPartition(TWO_OTA, otadata({ seq: 4, state: 'invalid' }, { seq: 5 }));
    assert.deepEqual([invalid.start, invalid.otadataEntry], [0, 1]);
    const bothGone = selectBootPartition(
      NO_FACTORY,
      otadata({ seq: 1, state: 'aborted' }, { seq: 2, state: 'invalid' }),
    );
    assert.equal(bothGone.log, 'No factory image, trying OTA 0');
  });

  test('sequences set but neither CRC right: the bootloader falls back, and says so', () => {
    const entries = otadata({ seq: 1 }, { seq: 2 });
    const broken = entries.map((e) => ({ ...e, crc: 0, crcValid: false, valid: false })) as [
      (typeof entries)[0],
      (typeof entries)[1],
    ];
    const withFactory = selectBootPartition(TWO_OTA, broken);
    assert.equal(withFactory.log, 'ota data partition invalid, falling back to factory');
    assert.equal(withFactory.start, 'factory');
    const without = selectBootPartition(NO_FACTORY, broken);
    assert.equal(without.log, 'ota data partition invalid and no factory, will try all partitions');
    assert.deepEqual(labels(without.tries), ['ota_0', 'ota_1']);
  });

  test('an otadata partition but no OTA apps: the factory app', () => {
    const table = partitions(twoOtaPartitions().filter((p) => !p.label.startsWith('ota_')));
    const choice = selectBootPartition(table, otadata({ seq: 1 }, null));
    assert.deepEqual([choice.start, choice.log], ['factory', 'Defaulting to factory image']);
  });

  test('property: any two valid sequences pick slot (max - 1) % 2', () => {
    const seq = fc.integer({ min: 1, max: 0xfffffffe });
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        const choice = selectBootPartition(TWO_OTA, otadata({ seq: a }, { seq: b }));
        assert.equal(choice.start, (Math.max(a, b) - 1) % 2);
        assert.equal(choice.tries[0]!.label, `ota_${(Math.max(a, b) - 1) % 2}`);
      }),
      RUNS(300),
    );
  });
});
