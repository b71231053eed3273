/**
 * The bootloader protocol's packets (reference/esp32-flashing.md §1.2–1.5): command ids, error
 * codes, the request header, responses with the ROM's 4 or the stub's 2 status bytes.
 */

export const OP = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  MEM_BEGIN: 0x05,
  MEM_END: 0x06,
  MEM_DATA: 0x07,
  SYNC: 0x08,
  WRITE_REG: 0x09,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  SPI_ATTACH: 0x0d,
  READ_FLASH_SLOW: 0x0e,
  CHANGE_BAUDRATE: 0x0f,
  FLASH_DEFL_BEGIN: 0x10,
  FLASH_DEFL_DATA: 0x11,
  FLASH_DEFL_END: 0x12,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
  ERASE_FLASH: 0xd0,
  ERASE_REGION: 0xd1,
  READ_FLASH: 0xd2,
  RUN_USER_CODE: 0xd3,
} as const;

/** ROM error codes (`serial-protocol.rst`, "ROM Loader Errors"). */
export const ROM_ERROR = {
  INVALID_MESSAGE: 0x05,
  WRONG_RESULT: 0x06,
  CHECKSUM: 0x07,
  FLASH_WRITE: 0x08,
  FLASH_READ: 0x09,
  READ_LENGTH: 0x0a,
  DEFLATE: 0x0b,
  INVALID_RAM_SIZE: 0x0e,
  INVALID_RAM_ADDRESS: 0x0f,
} as const;

/** Stub error codes (esptool's flasher stub, `stub_flasher.h`). */
export const STUB_ERROR = {
  BAD_DATA_LEN: 0xc0,
  BAD_DATA_CHECKSUM: 0xc1,
  BAD_BLOCKSIZE: 0xc2,
  INVALID_COMMAND: 0xc3,
  FAILED_SPI_OP: 0xc4,
  NOT_IN_FLASH_MODE: 0xc6,
  INFLATE_ERROR: 0xc7,
  NOT_ENOUGH_DATA: 0xc8,
  TOO_MUCH_DATA: 0xc9,
  NOT_IMPLEMENTED: 0xff,
} as const;

/** The SYNC payload: 07 07 12 20 and 32 × 0x55. */
export const SYNC_DATA = Buffer.concat([
  Buffer.from([0x07, 0x07, 0x12, 0x20]),
  Buffer.alloc(32, 0x55),
]);

export const CHECKSUM_SEED = 0xef;

export interface Request {
  op: number;
  /** The header's size field; `data.length` may differ in a malformed packet. */
  size: number;
  checksum: number;
  data: Buffer;
}

/** A request packet, or null when it cannot be one (too short, or not host-to-chip). */
export function parseRequest(packet: Buffer): Request | null {
  if (packet.length < 8 || packet[0] !== 0x00) return null;
  return {
    op: packet[1]!,
    size: packet.readUInt16LE(2),
    checksum: packet.readUInt32LE(4),
    data: packet.subarray(8),
  };
}

/** The checksum of `_DATA` payloads: 0xEF XOR every byte (§1.3). */
export function dataChecksum(data: Uint8Array): number {
  let state = CHECKSUM_SEED;
  // A 16 KiB block per command: four bytes at a time where they are aligned for it (the XOR of
  // the words, folded to a byte, is the XOR of their bytes), the rest one by one.
  let i = Math.min((4 - (data.byteOffset % 4)) % 4, data.length);
  for (let j = 0; j < i; j++) state ^= data[j]!;
  const words = (data.length - i) >>> 2;
  if (words > 0) {
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    let folded = 0;
    for (let k = 0; k < words; k++) folded ^= view[k]!;
    state ^= (folded ^ (folded >>> 8) ^ (folded >>> 16) ^ (folded >>> 24)) & 0xff;
    i += words * 4;
  }
  for (; i < data.length; i++) state ^= data[i]!;
  return state;
}

/** A request packet (unframed), as esptool builds it. */
export function buildRequest(op: number, data: Uint8Array = Buffer.alloc(0), checksum = 0): Buffer {
  const header = Buffer.alloc(8);
  header[1] = op;
  header.writeUInt16LE(data.length, 2);
  header.writeUInt32LE(checksum >>> 0, 4);
  return Buffer.concat([header, data]);
}

/**
 * A response (unframed): direction 1, the command echoed, `value`, then `body` and the status
 * bytes — 4 for the ESP32 ROM (status, error, 2 reserved), 2 for the stub.
 */
export function buildResponse(
  op: number,
  statusBytes: 2 | 4,
  options: { value?: number; body?: Uint8Array; error?: number } = {},
): Buffer {
  const body = options.body ?? Buffer.alloc(0);
  const out = Buffer.alloc(8 + body.length + statusBytes);
  out[0] = 0x01;
  out[1] = op;
  out.writeUInt16LE(body.length + statusBytes, 2);
  out.writeUInt32LE((options.value ?? 0) >>> 0, 4);
  out.set(body, 8);
  if (options.error !== undefined) {
    out[8 + body.length] = 1;
    out[9 + body.length] = options.error;
  }
  return out;
}

/** Little-endian 32-bit words of a request's data (missing words read as undefined). */
export function words(data: Buffer, count: number): (number | undefined)[] {
  return Array.from({ length: count }, (_, i) =>
    data.length >= 4 * (i + 1) ? data.readUInt32LE(4 * i) : undefined,
  );
}
