/**
 * The descriptions an ESP-IDF build puts at offset 0x20 of its images, right after the image
 * header and the first segment header: `esp_app_desc_t` (256 bytes, in the app) and
 * `esp_bootloader_desc_t` (80 bytes, in newer bootloaders). Read as the bootloader reads them —
 * by offset, trusted only when the magic matches — and built byte for byte.
 */
import { readCString, view, writeCString } from './bytes.ts';

/** `sizeof(esp_image_header_t) + sizeof(esp_image_segment_header_t)`. */
export const DESC_OFFSET = 0x20;
export const APP_DESC_MAGIC = 0xabcd5432;
export const APP_DESC_LENGTH = 256;
/** Where the ELF file's SHA-256 is in the image (`--elf-sha256-offset 0xb0`). */
export const ELF_SHA256_OFFSET = DESC_OFFSET + 0x90;
export const BOOTLOADER_DESC_MAGIC = 0x50;
export const BOOTLOADER_DESC_LENGTH = 80;

export interface AppDescription {
  secureVersion: number;
  version: string;
  projectName: string;
  /** `__TIME__` and `__DATE__` of the build: `12:51:54`, `Jun  8 2023`. */
  time: string;
  date: string;
  idfVer: string;
  /** The ELF file's SHA-256, 64 lower-case hex digits. */
  appElfSha256: string;
  minEfuseBlkRevFull: number;
  maxEfuseBlkRevFull: number;
  /** log2 of the MMU page size (16 for 64 KiB; 0 before IDF v5.1). */
  mmuPageSize: number;
  /** Newer IDF only; 0 before. */
  spiFlashMode: number;
}

/** The app description of an app image, or null when the magic word is not at 0x20. */
export function readAppDescription(image: Uint8Array): AppDescription | null {
  if (image.length < DESC_OFFSET + APP_DESC_LENGTH) return null;
  const d = image.subarray(DESC_OFFSET, DESC_OFFSET + APP_DESC_LENGTH);
  const data = view(d);
  if (data.getUint32(0, true) !== APP_DESC_MAGIC) return null;
  return {
    secureVersion: data.getUint32(4, true),
    version: readCString(d, 0x10, 32),
    projectName: readCString(d, 0x30, 32),
    time: readCString(d, 0x50, 16),
    date: readCString(d, 0x60, 16),
    idfVer: readCString(d, 0x70, 32),
    appElfSha256: Buffer.from(d.subarray(0x90, 0xb0)).toString('hex'),
    minEfuseBlkRevFull: data.getUint16(0xb0, true),
    maxEfuseBlkRevFull: data.getUint16(0xb2, true),
    mmuPageSize: d[0xb4]!,
    spiFlashMode: d[0xb5]!,
  };
}

/**
 * The 256 bytes of an `esp_app_desc_t`. Strings longer than their field are cut to leave the NUL
 * (ESP-IDF cuts a long PROJECT_VER to 31 characters the same way).
 */
export function buildAppDescription(desc: Partial<AppDescription>): Uint8Array {
  const d = new Uint8Array(APP_DESC_LENGTH);
  const data = view(d);
  data.setUint32(0, APP_DESC_MAGIC, true);
  data.setUint32(4, desc.secureVersion ?? 0, true);
  writeCString(d, 0x10, 32, desc.version ?? '1');
  writeCString(d, 0x30, 32, desc.projectName ?? 'app');
  writeCString(d, 0x50, 16, desc.time ?? '00:00:00');
  writeCString(d, 0x60, 16, desc.date ?? 'Jan  1 2000');
  writeCString(d, 0x70, 32, desc.idfVer ?? 'v5.5.5');
  const sha = desc.appElfSha256 ?? '';
  if (sha !== '' && !/^[0-9a-f]{64}$/.test(sha))
    throw new TypeError('appElfSha256 must be 64 lower-case hex digits');
  d.set(Buffer.from(sha.padEnd(64, '0'), 'hex'), 0x90);
  data.setUint16(0xb0, desc.minEfuseBlkRevFull ?? 0, true);
  data.setUint16(0xb2, desc.maxEfuseBlkRevFull ?? 0, true);
  d[0xb4] = desc.mmuPageSize ?? 0;
  d[0xb5] = desc.spiFlashMode ?? 0;
  return d;
}

export interface BootloaderDescription {
  secureVersion: number;
  version: number;
  idfVer: string;
  /** `__DATE__ " " __TIME__`: `Mar 31 2026 12:02:40` (empty in reproducible builds). */
  dateTime: string;
}

/** The bootloader description of a bootloader image, or null (older bootloaders have none). */
export function readBootloaderDescription(image: Uint8Array): BootloaderDescription | null {
  if (image.length < DESC_OFFSET + BOOTLOADER_DESC_LENGTH) return null;
  const d = image.subarray(DESC_OFFSET, DESC_OFFSET + BOOTLOADER_DESC_LENGTH);
  if (d[0] !== BOOTLOADER_DESC_MAGIC) return null;
  return {
    secureVersion: d[3]!,
    version: view(d).getUint32(4, true),
    idfVer: readCString(d, 8, 32),
    dateTime: readCString(d, 40, 24),
  };
}

/** The 80 bytes of an `esp_bootloader_desc_t`. */
export function buildBootloaderDescription(desc: Partial<BootloaderDescription>): Uint8Array {
  const d = new Uint8Array(BOOTLOADER_DESC_LENGTH);
  d[0] = BOOTLOADER_DESC_MAGIC;
  d[3] = desc.secureVersion ?? 0;
  view(d).setUint32(4, desc.version ?? 1, true);
  writeCString(d, 8, 32, desc.idfVer ?? 'v5.5.5');
  writeCString(d, 40, 24, desc.dateTime ?? '');
  return d;
}
