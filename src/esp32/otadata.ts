/**
 * The otadata partition (`esp_ota_select_entry_t` twice, one per sector) and the bootloader's
 * choice of the partition to boot from it (`bootloader_utility_get_selected_boot_partition`,
 * without rollback or anti-rollback configured).
 */
import { view } from './bytes.ts';
import { PARTITION_TYPES, type Partition } from './partitions.ts';

export const OTADATA_LENGTH = 0x2000;
const SECTOR = 0x1000;
const UINT32_MAX = 0xffffffff;

export const OTA_STATES = {
  new: 0,
  pending_verify: 1,
  valid: 2,
  invalid: 3,
  aborted: 4,
  undefined: UINT32_MAX,
} as const;
export type OtaStateName = keyof typeof OTA_STATES;

export interface OtaSelectEntry {
  seq: number;
  /** `seq_label[20]` as hex (0xFF×20 as ESP-IDF writes it). */
  seqLabel: string;
  state: number;
  stateName: OtaStateName | null;
  crc: number;
  /** `crc` matches `otaSelectCrc(seq)`. */
  crcValid: boolean;
  /** The bootloader would use it: a sequence, not INVALID or ABORTED, and the CRC matches. */
  valid: boolean;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * The ROM's `crc32_le(crc, buf, len)`: the reflected CRC-32 that inverts `crc` on the way in and
 * the result on the way out — so a seed of UINT32_MAX starts the register at 0, unlike zlib's
 * `crc32(buf)` (which is `crc32_le(0, …)`).
 */
export function espRomCrc32Le(crc: number, bytes: Uint8Array): number {
  let c = ~crc >>> 0;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** `esp_rom_crc32_le(UINT32_MAX, &ota_seq, 4)`, the CRC an otadata entry carries. */
export function otaSelectCrc(seq: number): number {
  const word = new Uint8Array(4);
  view(word).setUint32(0, seq, true);
  return espRomCrc32Le(UINT32_MAX, word);
}

/** Both entries of an otadata partition, or null when `bytes` is too short to hold the second. */
export function parseOtadata(bytes: Uint8Array): [OtaSelectEntry, OtaSelectEntry] | null {
  if (bytes.length < SECTOR + 32) return null;
  return [readEntry(bytes, 0), readEntry(bytes, SECTOR)];
}

function readEntry(bytes: Uint8Array, at: number): OtaSelectEntry {
  const data = view(bytes);
  const seq = data.getUint32(at, true);
  const state = data.getUint32(at + 24, true);
  const crc = data.getUint32(at + 28, true);
  const stateName =
    (Object.entries(OTA_STATES).find(([, v]) => v === state)?.[0] as OtaStateName) ?? null;
  const crcValid = crc === otaSelectCrc(seq);
  const invalid =
    seq === UINT32_MAX || state === OTA_STATES.invalid || state === OTA_STATES.aborted;
  return {
    seq,
    seqLabel: Buffer.from(bytes.subarray(at + 4, at + 24)).toString('hex'),
    state,
    stateName,
    crc,
    crcValid,
    valid: !invalid && crcValid,
  };
}

/** One entry to write: a sequence number and a state (UNDEFINED, as `esp_ota_set_boot_partition`). */
export interface OtaSelectSpec {
  seq: number;
  state?: OtaStateName;
}

/**
 * An otadata partition: 0x2000 bytes of 0xFF with the given entries at 0 and 0x1000 (null leaves
 * that sector erased). `buildOtadata()` is ESP-IDF's `ota_data_initial.bin`.
 */
export function buildOtadata(
  entries: readonly [OtaSelectSpec | null, OtaSelectSpec | null] = [null, null],
): Uint8Array {
  const bytes = new Uint8Array(OTADATA_LENGTH).fill(0xff);
  const data = view(bytes);
  entries.forEach((entry, i) => {
    if (!entry) return;
    const at = i * SECTOR;
    data.setUint32(at, entry.seq, true);
    data.setUint32(at + 24, OTA_STATES[entry.state ?? 'undefined'], true);
    data.setUint32(at + 28, otaSelectCrc(entry.seq), true);
  });
  return bytes;
}

export interface BootChoice {
  /** Where the bootloader starts: `factory` or an OTA slot (0–15). */
  start: 'factory' | number;
  /** The app partitions in the order the bootloader tries them from `start`; the first is booted if valid. */
  tries: Partition[];
  /** Which otadata entry decided, if one did. */
  otadataEntry: 0 | 1 | null;
  /** The line the bootloader logs about its choice (INFO or ERROR), or null when it logs none. */
  log: string | null;
}

/**
 * The partition the bootloader boots, by ESP-IDF's rules: no otadata partition → factory; both
 * entries unusable (an erased `ota_data_initial.bin`) → "Defaulting to factory image", or "No
 * factory image, trying OTA 0"; otherwise slot `(seq − 1) % (number of OTA apps)` of the valid
 * entry with the higher sequence. `otadata` null reads as erased. Then it tries partitions from
 * there down to factory, and on up through the OTA slots, and finally the test app.
 */
export function selectBootPartition(
  table: readonly Partition[],
  otadata: readonly [OtaSelectEntry, OtaSelectEntry] | null,
): BootChoice {
  const apps = table.filter((p) => p.type === PARTITION_TYPES.app);
  const factory = apps.findLast((p) => p.subtype === 0x00) ?? null;
  const test = apps.findLast((p) => p.subtype === 0x20) ?? null;
  const ota: (Partition | undefined)[] = [];
  let appCount = 0;
  for (const p of apps)
    if (p.subtype >= 0x10 && p.subtype < 0x20) {
      ota[p.subtype & 0x0f] = p;
      appCount++;
    }
  const hasOtadata = table.some((p) => p.type === PARTITION_TYPES.data && p.subtype === 0x00);
  const choice = (start: 'factory' | number, log: string | null, entry: 0 | 1 | null) => ({
    start,
    tries: tryOrder(start, factory, ota, appCount, test),
    otadataEntry: entry,
    log,
  });
  if (!hasOtadata) return choice('factory', null, null);
  const [a, b] = otadata ?? [erased(), erased()];
  const unusable = (e: OtaSelectEntry) =>
    e.seq === UINT32_MAX || e.state === OTA_STATES.invalid || e.state === OTA_STATES.aborted;
  if ((unusable(a) && unusable(b)) || appCount === 0) {
    return factory
      ? choice('factory', 'Defaulting to factory image', null)
      : choice(0, 'No factory image, trying OTA 0', null);
  }
  const active: 0 | 1 | null =
    a.valid && b.valid
      ? Math.max(a.seq, b.seq) === a.seq
        ? 0
        : 1
      : a.valid
        ? 0
        : b.valid
          ? 1
          : null;
  if (active === null) {
    return choice(
      'factory',
      factory
        ? 'ota data partition invalid, falling back to factory'
        : 'ota data partition invalid and no factory, will try all partitions',
      null,
    );
  }
  const seq = (active === 0 ? a : b).seq;
  return choice(((seq - 1) >>> 0) % appCount, null, active);
}

function erased(): OtaSelectEntry {
  return {
    seq: UINT32_MAX,
    seqLabel: 'ff'.repeat(20),
    state: UINT32_MAX,
    stateName: 'undefined',
    crc: UINT32_MAX,
    crcValid: false,
    valid: false,
  };
}

/** `bootloader_utility_load_boot_image`: from `start` down to factory, then up, then test. */
function tryOrder(
  start: 'factory' | number,
  factory: Partition | null,
  ota: (Partition | undefined)[],
  appCount: number,
  test: Partition | null,
): Partition[] {
  const first = start === 'factory' ? -1 : start;
  const at = (index: number) =>
    index === -1 ? factory : index < appCount && index < 16 ? (ota[index] ?? null) : null;
  const order: Partition[] = [];
  for (let i = first; i >= -1; i--) {
    const p = at(i);
    if (p && p.size > 0) order.push(p);
  }
  for (let i = first + 1; i < appCount; i++) {
    const p = at(i);
    if (p && p.size > 0) order.push(p);
  }
  if (test && test.size > 0 && !order.includes(test)) order.push(test);
  return order;
}
