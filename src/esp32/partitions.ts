/**
 * The partition table binary (gen_esp32part.py; `esp_partition_info_t`): 32-byte entries, an MD5
 * entry, an all-0xFF end marker, padded with 0xFF to 0xC00 bytes. Read the way the bootloader
 * walks it, checked with the bootloader's and gen_esp32part's words, and built byte for byte.
 */
import { createHash } from 'node:crypto';
import { hex, view } from './bytes.ts';

export const PARTITION_TABLE_OFFSET = 0x8000;
export const PARTITION_TABLE_LENGTH = 0xc00;
const SECTOR = 0x1000;
const ENTRY = 32;
const MAX_ENTRIES = PARTITION_TABLE_LENGTH / ENTRY;
const ENTRY_MAGIC = 0x50aa; // bytes AA 50
const MD5_MAGIC = 0xebeb;

export const PARTITION_TYPES = { app: 0x00, data: 0x01, bootloader: 0x02, partition_table: 0x03 };
const APP_SUBTYPES: Record<string, number> = {
  factory: 0x00,
  test: 0x20,
  tee_0: 0x30,
  tee_1: 0x31,
};
for (let slot = 0; slot < 16; slot++) APP_SUBTYPES[`ota_${slot}`] = 0x10 + slot;
const DATA_SUBTYPES: Record<string, number> = {
  ota: 0x00,
  phy: 0x01,
  nvs: 0x02,
  coredump: 0x03,
  nvs_keys: 0x04,
  efuse: 0x05,
  undefined: 0x06,
  esphttpd: 0x80,
  fat: 0x81,
  spiffs: 0x82,
  littlefs: 0x83,
  tee_ota: 0x90,
};
const SUBTYPES: Record<number, Record<string, number>> = {
  [PARTITION_TYPES.app]: APP_SUBTYPES,
  [PARTITION_TYPES.data]: DATA_SUBTYPES,
};

export type PartitionTypeName = keyof typeof PARTITION_TYPES;

/** One partition as a table names it; types and subtypes by name or number. */
export interface PartitionSpec {
  label: string;
  type: PartitionTypeName | number;
  subtype: string | number;
  offset: number;
  size: number;
  encrypted?: boolean;
  readonly?: boolean;
}

export interface Partition {
  label: string;
  type: number;
  subtype: number;
  /** `app`, `data`, … or `0x40` for a custom type. */
  typeName: string;
  /** `factory`, `ota_0`, `nvs`, … or `0x99`. */
  subtypeName: string;
  offset: number;
  size: number;
  flags: number;
  encrypted: boolean;
  readonly: boolean;
}

export interface PartitionTable {
  partitions: Partition[];
  /** The MD5 entry, where it is, and what it should hold. */
  md5: { offset: number; stored: string; calculated: string } | null;
  /** Where the end marker is, or null when the walk stopped at something else. */
  end: number | null;
}

/** The partitions gen_esp32part makes of `partitions_singleapp.csv`. */
export function singleAppPartitions(): PartitionSpec[] {
  return [
    { label: 'nvs', type: 'data', subtype: 'nvs', offset: 0x9000, size: 0x6000 },
    { label: 'phy_init', type: 'data', subtype: 'phy', offset: 0xf000, size: 0x1000 },
    { label: 'factory', type: 'app', subtype: 'factory', offset: 0x10000, size: 0x100000 },
  ];
}

/** The partitions gen_esp32part makes of `partitions_two_ota.csv` (it needs a 4 MB flash). */
export function twoOtaPartitions(): PartitionSpec[] {
  return [
    { label: 'nvs', type: 'data', subtype: 'nvs', offset: 0x9000, size: 0x4000 },
    { label: 'otadata', type: 'data', subtype: 'ota', offset: 0xd000, size: 0x2000 },
    { label: 'phy_init', type: 'data', subtype: 'phy', offset: 0xf000, size: 0x1000 },
    { label: 'factory', type: 'app', subtype: 'factory', offset: 0x10000, size: 0x100000 },
    { label: 'ota_0', type: 'app', subtype: 'ota_0', offset: 0x110000, size: 0x100000 },
    { label: 'ota_1', type: 'app', subtype: 'ota_1', offset: 0x210000, size: 0x100000 },
  ];
}

/** The table binary: entries, the MD5 entry (unless `md5: false`), end marker, 0xFF to 0xC00. */
export function buildPartitionTable(
  partitions: readonly PartitionSpec[],
  options: { md5?: boolean } = {},
): Uint8Array {
  const md5 = options.md5 ?? true;
  const used = (partitions.length + (md5 ? 1 : 0)) * ENTRY;
  if (used >= PARTITION_TABLE_LENGTH)
    throw new RangeError(`${partitions.length} partitions do not fit in a table`);
  const bytes = new Uint8Array(PARTITION_TABLE_LENGTH).fill(0xff);
  const data = view(bytes);
  partitions.forEach((p, i) => {
    const at = i * ENTRY;
    const type = typeof p.type === 'number' ? p.type : PARTITION_TYPES[p.type];
    const subtype = typeof p.subtype === 'number' ? p.subtype : SUBTYPES[type]?.[p.subtype];
    if (subtype === undefined) throw new TypeError(`unknown subtype ${p.subtype} of type ${type}`);
    const label = Buffer.from(p.label, 'utf8');
    if (label.length > 16) throw new RangeError(`label ${p.label} is longer than 16 bytes`);
    data.setUint16(at, ENTRY_MAGIC, true);
    bytes[at + 2] = type;
    bytes[at + 3] = subtype;
    data.setUint32(at + 4, p.offset, true);
    data.setUint32(at + 8, p.size, true);
    bytes.fill(0, at + 12, at + 28);
    bytes.set(label, at + 12);
    data.setUint32(at + 28, (p.encrypted ? 1 : 0) | (p.readonly ? 2 : 0), true);
  });
  if (md5) {
    const at = partitions.length * ENTRY;
    bytes[at] = 0xeb;
    bytes[at + 1] = 0xeb;
    bytes.set(createHash('md5').update(bytes.subarray(0, at)).digest(), at + 16);
  }
  return bytes;
}

/** The table in `bytes`, walked entry by entry; null when its first entry is none of the kinds. */
export function parsePartitionTable(bytes: Uint8Array): PartitionTable | null {
  const walk = walkTable(bytes);
  return walk.entries === 0 && walk.table.end === null ? null : walk.table;
}

/**
 * What the 2nd-stage bootloader itself checks when it loads the table (`invalid magic number`,
 * `Incorrect MD5 checksum`, no end marker) and the table as far as it got.
 */
export function loadPartitionTable(bytes: Uint8Array): {
  table: PartitionTable;
  problems: string[];
} {
  const { table, problems } = walkTable(bytes);
  return { table, problems };
}

/**
 * What the bootloader (`invalid magic number`, `Incorrect MD5 checksum`, no end marker, beyond the
 * flash) and gen_esp32part (alignment, overlaps, names, otadata) would refuse; empty when none.
 */
export function checkPartitionTable(
  bytes: Uint8Array,
  options: { flashSize?: number; tableOffset?: number } = {},
): string[] {
  const { table, problems } = walkTable(bytes);
  const parts = table.partitions;
  if (options.flashSize !== undefined) {
    const chip = options.flashSize;
    parts.forEach((p, i) => {
      if (p.offset > chip || p.offset + p.size > chip)
        problems.push(
          `partition ${i} invalid - offset ${hex(p.offset)} size ${hex(p.size)} exceeds flash chip size ${hex(chip)}`,
        );
    });
  }
  for (const p of parts) {
    const align = p.type === PARTITION_TYPES.app ? 0x10000 : SECTOR;
    if (p.offset % align !== 0)
      problems.push(
        `Partition ${p.label} invalid: Offset ${hex(p.offset)} is not aligned to ${hex(align)}`,
      );
  }
  if (new Set(parts.map((p) => p.label)).size !== parts.length)
    problems.push('Partition names must be unique');
  const floor = (options.tableOffset ?? PARTITION_TABLE_OFFSET) + SECTOR;
  let last: Partition | null = null;
  for (const p of [...parts].sort((a, b) => a.offset - b.offset)) {
    if (p.offset < floor) problems.push(`Partition offset ${hex(p.offset)} is below ${hex(floor)}`);
    if (last && p.offset < last.offset + last.size)
      problems.push(
        `Partition at ${hex(p.offset)} overlaps ${hex(last.offset)}-${hex(last.offset + last.size - 1)}`,
      );
    last = p;
  }
  const otadata = parts.filter((p) => p.type === PARTITION_TYPES.data && p.subtype === 0);
  if (otadata.length > 1) problems.push('Found multiple otadata partitions');
  if (otadata.length === 1 && otadata[0]!.size !== 0x2000)
    problems.push('otadata partition must have size = 0x2000');
  return problems;
}

function walkTable(bytes: Uint8Array): {
  table: PartitionTable;
  problems: string[];
  entries: number;
} {
  const table: PartitionTable = { partitions: [], md5: null, end: null };
  const problems: string[] = [];
  const data = view(bytes);
  const limit = Math.min(MAX_ENTRIES, Math.floor(bytes.length / ENTRY));
  for (let i = 0; i < limit; i++) {
    const at = i * ENTRY;
    const magic = data.getUint16(at, true);
    if (magic === ENTRY_MAGIC) {
      table.partitions.push(readEntry(bytes, at));
    } else if (magic === MD5_MAGIC) {
      const calculated = createHash('md5').update(bytes.subarray(0, at)).digest('hex');
      const stored = Buffer.from(bytes.subarray(at + 16, at + 32)).toString('hex');
      if (table.md5) {
        problems.push('Only one MD5 checksum is allowed');
        return { table, problems, entries: i };
      }
      table.md5 = { offset: at, stored, calculated };
      if (stored !== calculated) problems.push('Incorrect MD5 checksum');
    } else if (magic === 0xffff && bytes[at + 2] === 0xff && bytes[at + 3] === 0xff) {
      table.end = at;
      return { table, problems, entries: i };
    } else {
      problems.push(`partition ${i} invalid magic number ${hex(magic)}`);
      return { table, problems, entries: i };
    }
  }
  problems.push('partition table has no terminating entry, not valid');
  return { table, problems, entries: limit };
}

function readEntry(bytes: Uint8Array, at: number): Partition {
  const data = view(bytes);
  const type = bytes[at + 2]!;
  const subtype = bytes[at + 3]!;
  const flags = data.getUint32(at + 28, true);
  const rawLabel = bytes.subarray(at + 12, at + 28);
  const nul = rawLabel.indexOf(0);
  const typeName = Object.entries(PARTITION_TYPES).find(([, v]) => v === type)?.[0] ?? hex(type);
  const subtypeName =
    Object.entries(SUBTYPES[type] ?? {}).find(([, v]) => v === subtype)?.[0] ?? hex(subtype);
  return {
    label: Buffer.from(nul < 0 ? rawLabel : rawLabel.subarray(0, nul)).toString('utf8'),
    type,
    subtype,
    typeName,
    subtypeName,
    offset: data.getUint32(at + 4, true),
    size: data.getUint32(at + 8, true),
    flags,
    encrypted: (flags & 1) !== 0,
    readonly: (flags & 2) !== 0,
  };
}
