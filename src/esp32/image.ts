/**
 * The ESP32 app and bootloader image (`esp_image_header_t`, segments, checksum byte, optional
 * SHA-256): read into plain data, checked the way the second-stage bootloader checks it (with its
 * words), and built byte for byte the way esptool's elf2image lays it out.
 */
import { createHash } from 'node:crypto';
import { hex, hex8, view } from './bytes.ts';

export const IMAGE_MAGIC = 0xe9;
export const IMAGE_HEADER_LENGTH = 24;
/** `ESP_IMAGE_MAX_SEGMENTS`. */
export const MAX_SEGMENTS = 16;
const SEGMENT_HEADER_LENGTH = 8;
const CHECKSUM_SEED = 0xef;
const SIXTEEN_MB = 0x1000000;
const MMU_PAGE = 0x10000;

/** Header bytes 12–13 for each chip (`esp_chip_id_t`). */
export const CHIP_IDS = {
  esp32: 0,
  esp32s2: 2,
  esp32c3: 5,
  esp32s3: 9,
  esp32c2: 12,
  esp32c6: 13,
  esp32h2: 16,
  esp32p4: 18,
  esp32c61: 20,
  esp32c5: 23,
} as const;

/** Header byte 2, in the IDF enum's order. */
export const FLASH_MODES = ['qio', 'qout', 'dio', 'dout', 'fast_read', 'slow_read'] as const;
/** High nibble of header byte 3. */
export const FLASH_SIZES = ['1MB', '2MB', '4MB', '8MB', '16MB', '32MB', '64MB', '128MB'] as const;
/** Low nibble of header byte 3, on the ESP32. */
export const FLASH_FREQS = { '40m': 0x0, '26m': 0x1, '20m': 0x2, '80m': 0xf } as const;

export type FlashMode = (typeof FLASH_MODES)[number];
export type FlashSize = (typeof FLASH_SIZES)[number];
export type FlashFreq = keyof typeof FLASH_FREQS;

export interface ImageSegment {
  loadAddr: number;
  length: number;
  /** Where the segment's data starts in the file. */
  dataOffset: number;
}

export interface EspImage {
  segmentCount: number;
  /** Header byte 2 and its name (null for a value outside the enum). */
  spiMode: number;
  flashMode: FlashMode | null;
  spiSize: number;
  flashSize: FlashSize | null;
  spiSpeed: number;
  flashFreq: FlashFreq | null;
  entry: number;
  wpPin: number;
  spiPinDrv: number[];
  chipId: number;
  minChipRev: number;
  minChipRevFull: number;
  maxChipRevFull: number;
  hashAppended: boolean;
  segments: ImageSegment[];
  checksum: { offset: number; stored: number; calculated: number };
  /** Hex digests when the header says a SHA-256 is appended and the file holds it. */
  sha256: { stored: string; calculated: string } | null;
  /** Bytes the image occupies: through the checksum byte, and the hash when appended. */
  length: number;
}

export interface CheckImageOptions {
  /** The chip the image must be for (`CHIP_IDS`); unchecked when absent. */
  chipId?: number;
  /** The flash address the image sits at, for the messages (the bootloader's `image at 0x…`). */
  offset?: number;
  /** The partition it must fit in. */
  partitionSize?: number;
}

interface Reading {
  image: EspImage | null;
  problems: string[];
}

/** The image in `bytes` as plain data, or null when its structure cannot be walked. */
export function parseImage(bytes: Uint8Array): EspImage | null {
  return readImage(bytes, {}).image;
}

/**
 * What the bootloader would refuse in this image, in its words (`invalid magic byte`, `Checksum
 * failed. Calculated 0x.. read 0x..`, `Image hash failed - image is corrupt`, …); empty when none.
 * Unlike the bootloader it also checks the hash of an image meant for the bootloader offset.
 */
export function checkImage(bytes: Uint8Array, options: CheckImageOptions = {}): string[] {
  return readImage(bytes, options).problems;
}

/** Both at once, in one pass: the image (null when unwalkable) and what the bootloader refuses. */
export function inspectImage(
  bytes: Uint8Array,
  options: CheckImageOptions = {},
): { image: EspImage | null; problems: string[] } {
  return readImage(bytes, options);
}

function readImage(bytes: Uint8Array, options: CheckImageOptions): Reading {
  const at = options.offset ?? 0;
  const problems: string[] = [];
  const fail = (problem: string): Reading => ({ image: null, problems: [...problems, problem] });
  if (bytes.length === 0 || bytes[0] !== IMAGE_MAGIC)
    return fail(`image at ${hex(at)} has invalid magic byte (nothing flashed here?)`);
  if (bytes.length < IMAGE_HEADER_LENGTH)
    return fail(`image at ${hex(at)} is ${bytes.length} bytes, shorter than its 24-byte header`);
  const data = view(bytes);
  const segmentCount = bytes[1]!;
  const chipId = data.getUint16(12, true);
  if (options.chipId !== undefined && chipId !== options.chipId)
    problems.push(`mismatch chip ID, expected ${options.chipId}, found ${chipId}`);
  if (segmentCount > MAX_SEGMENTS)
    return fail(`image at ${hex(at)} segment count ${segmentCount} exceeds max ${MAX_SEGMENTS}`);

  const segments: ImageSegment[] = [];
  let pos = IMAGE_HEADER_LENGTH;
  let calculated = CHECKSUM_SEED;
  for (let index = 0; index < segmentCount; index++) {
    if (pos + SEGMENT_HEADER_LENGTH > bytes.length)
      return fail(`segment ${index} header at ${hex(pos)} is past the end (${bytes.length} bytes)`);
    const loadAddr = data.getUint32(pos, true);
    const length = data.getUint32(pos + 4, true);
    const dataOffset = pos + SEGMENT_HEADER_LENGTH;
    if ((length & 3) !== 0 || length >= SIXTEEN_MB)
      return fail(`invalid segment length ${hex(length)}`);
    if (chipId === CHIP_IDS.esp32 && isMappedOnEsp32(loadAddr)) {
      const flashAddr = (at + dataOffset) >>> 0;
      if (flashAddr % MMU_PAGE !== loadAddr % MMU_PAGE)
        return fail(
          `Segment ${index} load address ${hex8(loadAddr)}, doesn't match data ${hex8(flashAddr)}`,
        );
    }
    if (dataOffset + length > bytes.length)
      return fail(
        `segment ${index}: ${length} bytes at ${hex(dataOffset)} run past the end (${bytes.length} bytes)`,
      );
    for (let i = dataOffset; i < dataOffset + length; i++) calculated ^= bytes[i]!;
    segments.push({ loadAddr, length, dataOffset });
    pos = dataOffset + length;
  }

  const checksumOffset = checksumOffsetAfter(pos);
  if (checksumOffset >= bytes.length)
    return fail(
      `the checksum byte at ${hex(checksumOffset)} is past the end (${bytes.length} bytes)`,
    );
  const stored = bytes[checksumOffset]!;
  if (stored !== calculated)
    problems.push(`Checksum failed. Calculated ${hex(calculated)} read ${hex(stored)}`);

  const hashAppended = bytes[23] !== 0; // the bootloader tests it as a boolean
  let sha256: EspImage['sha256'] = null;
  let length = checksumOffset + 1;
  if (hashAppended) {
    if (length + 32 > bytes.length) {
      problems.push(
        `the appended SHA-256 at ${hex(length)} is past the end (${bytes.length} bytes)`,
      );
    } else {
      sha256 = {
        stored: Buffer.from(bytes.subarray(length, length + 32)).toString('hex'),
        calculated: createHash('sha256').update(bytes.subarray(0, length)).digest('hex'),
      };
      if (sha256.stored !== sha256.calculated)
        problems.push('Image hash failed - image is corrupt');
    }
    length += 32;
  }
  if (options.partitionSize !== undefined && length > options.partitionSize)
    problems.push(
      `Image length ${length} doesn't fit in partition length ${options.partitionSize}`,
    );

  const spiMode = bytes[2]!;
  const spiSize = bytes[3]! >> 4;
  const spiSpeed = bytes[3]! & 0xf;
  const image: EspImage = {
    segmentCount,
    spiMode,
    flashMode: FLASH_MODES[spiMode] ?? null,
    spiSize,
    flashSize: FLASH_SIZES[spiSize] ?? null,
    spiSpeed,
    flashFreq: flashFreqName(spiSpeed),
    entry: data.getUint32(4, true),
    wpPin: bytes[8]!,
    spiPinDrv: [bytes[9]!, bytes[10]!, bytes[11]!],
    chipId,
    minChipRev: bytes[14]!,
    minChipRevFull: data.getUint16(15, true),
    maxChipRevFull: data.getUint16(17, true),
    hashAppended,
    segments,
    checksum: { offset: checksumOffset, stored, calculated },
    sha256,
    length,
  };
  return { image, problems };
}

/** The checksum byte sits where the image, padded with zeros, is one short of a multiple of 16. */
function checksumOffsetAfter(end: number): number {
  return ((end + 16) & ~15) - 1;
}

/** The ESP32's flash-mapped ranges (IROM, DROM): their segments must keep their 64 KiB phase. */
function isMappedOnEsp32(addr: number): boolean {
  return (addr >= 0x400d0000 && addr < 0x40400000) || (addr >= 0x3f400000 && addr < 0x3f800000);
}

function flashFreqName(nibble: number): FlashFreq | null {
  for (const [name, value] of Object.entries(FLASH_FREQS))
    if (value === nibble) return name as FlashFreq;
  return null;
}

export interface ImageSpec {
  entry: number;
  segments: readonly { addr: number; data: Uint8Array }[];
  flashMode?: FlashMode;
  flashSize?: FlashSize;
  flashFreq?: FlashFreq;
  chipId?: number;
  minChipRev?: number;
  minChipRevFull?: number;
  /** 399 (v3.99) is what ESP-IDF v5 writes for the ESP32. */
  maxChipRevFull?: number;
  wpPin?: number;
  spiPinDrv?: readonly [number, number, number];
  hashAppended?: boolean;
}

/**
 * An image exactly as esptool's elf2image writes it: header, segments (each padded with zeros to
 * a multiple of 4), zeros up to one byte short of a multiple of 16, the checksum byte, and the
 * SHA-256 of all of that when `hashAppended` (the default).
 */
export function buildImage(spec: ImageSpec): Uint8Array {
  if (spec.segments.length > MAX_SEGMENTS)
    throw new RangeError(`an image holds at most ${MAX_SEGMENTS} segments`);
  const padded = spec.segments.map((s) => ({ addr: s.addr, length: (s.data.length + 3) & ~3 }));
  let end = IMAGE_HEADER_LENGTH;
  for (const s of padded) end += SEGMENT_HEADER_LENGTH + s.length;
  const checksumOffset = checksumOffsetAfter(end);
  const hashAppended = spec.hashAppended ?? true;
  const bytes = new Uint8Array(checksumOffset + 1 + (hashAppended ? 32 : 0));
  const data = view(bytes);
  bytes[0] = IMAGE_MAGIC;
  bytes[1] = spec.segments.length;
  bytes[2] = FLASH_MODES.indexOf(spec.flashMode ?? 'dio');
  bytes[3] =
    (FLASH_SIZES.indexOf(spec.flashSize ?? '2MB') << 4) | FLASH_FREQS[spec.flashFreq ?? '40m'];
  data.setUint32(4, spec.entry, true);
  bytes[8] = spec.wpPin ?? 0xee;
  bytes.set(spec.spiPinDrv ?? [0, 0, 0], 9);
  data.setUint16(12, spec.chipId ?? CHIP_IDS.esp32, true);
  bytes[14] = spec.minChipRev ?? 0;
  data.setUint16(15, spec.minChipRevFull ?? 0, true);
  data.setUint16(17, spec.maxChipRevFull ?? 399, true);
  bytes[23] = hashAppended ? 1 : 0;
  let pos = IMAGE_HEADER_LENGTH;
  let checksum = CHECKSUM_SEED;
  spec.segments.forEach((segment, i) => {
    data.setUint32(pos, segment.addr, true);
    data.setUint32(pos + 4, padded[i]!.length, true);
    bytes.set(segment.data, pos + SEGMENT_HEADER_LENGTH);
    for (const byte of segment.data) checksum ^= byte;
    pos += SEGMENT_HEADER_LENGTH + padded[i]!.length;
  });
  bytes[checksumOffset] = checksum;
  if (hashAppended)
    bytes.set(
      createHash('sha256')
        .update(bytes.subarray(0, checksumOffset + 1))
        .digest(),
      checksumOffset + 1,
    );
  return bytes;
}
