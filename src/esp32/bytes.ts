/** Little helpers for the fixed-size C fields of Espressif's binary formats. */

const UTF8 = new TextDecoder('utf-8');

/** A `char[length]` field: the bytes before the first NUL (all of them when there is none). */
export function readCString(bytes: Uint8Array, offset: number, length: number): string {
  const field = bytes.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return UTF8.decode(nul < 0 ? field : field.subarray(0, nul));
}

/**
 * Writes `text` into a `char[length]` field, NUL-padded and cut to `length - 1` bytes so it keeps
 * its terminator (as ESP-IDF does with a long PROJECT_VER), never inside a UTF-8 sequence.
 */
export function writeCString(bytes: Uint8Array, offset: number, length: number, text: string) {
  let encoded = Buffer.from(text, 'utf8');
  if (encoded.length > length - 1) {
    let cut = length - 1;
    while (cut > 0 && (encoded[cut]! & 0xc0) === 0x80) cut--;
    encoded = encoded.subarray(0, cut);
  }
  bytes.fill(0, offset, offset + length);
  bytes.set(encoded, offset);
}

/** `0x` and lower-case hex digits, as the bootloader's `%x` prints them. */
export function hex(value: number): string {
  return `0x${value.toString(16)}`;
}

/** `%08x`: eight lower-case hex digits, with `0x`. */
export function hex8(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
