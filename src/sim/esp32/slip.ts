/**
 * SLIP framing as the ESP32 ROM and esptool use it (reference/esp32-flashing.md §1.1): 0xC0 ends
 * a packet, 0xDB 0xDC / 0xDB 0xDD stand for 0xC0 / 0xDB inside one.
 */

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
const ESC_END = 0xdc;
const ESC_ESC = 0xdd;

/** One packet, framed: 0xC0, the escaped bytes, 0xC0 (runs between escapes copied whole). */
export function slipEncode(packet: Uint8Array): Buffer {
  const bytes = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
  const escapes = specials(bytes, 0);
  const out = Buffer.allocUnsafe(bytes.length + escapes.length + 2);
  out[0] = SLIP_END;
  let at = 1;
  let from = 0;
  for (const i of escapes) {
    at += bytes.copy(out, at, from, i);
    out[at++] = SLIP_ESC;
    out[at++] = bytes[i] === SLIP_END ? ESC_END : ESC_ESC;
    from = i + 1;
  }
  at += bytes.copy(out, at, from);
  out[at] = SLIP_END;
  return out;
}

/** Where 0xC0 and 0xDB are in `bytes` from `start`, in order (memchr, not a loop per byte). */
function specials(bytes: Buffer, start: number): number[] {
  const found: number[] = [];
  let end = bytes.indexOf(SLIP_END, start);
  let esc = bytes.indexOf(SLIP_ESC, start);
  while (end !== -1 || esc !== -1) {
    if (esc === -1 || (end !== -1 && end < esc)) {
      found.push(end);
      end = bytes.indexOf(SLIP_END, end + 1);
    } else {
      found.push(esc);
      esc = bytes.indexOf(SLIP_ESC, esc + 1);
    }
  }
  return found;
}

/**
 * The device side: bytes outside a packet are ignored (a chip waiting for download drops line
 * noise), a packet with a bad escape or longer than `maxPacket` is dropped whole, and an empty
 * packet (two 0xC0 in a row) is only a packet start. Never throws.
 */
export class SlipDecoder {
  private readonly buffer: Buffer;
  private length = 0;
  private inPacket = false;
  private escaping = false;
  private dropping = false;

  private readonly onPacket: (packet: Buffer) => void;
  readonly maxPacket: number;

  constructor(onPacket: (packet: Buffer) => void, maxPacket = 0x4000 + 64) {
    this.onPacket = onPacket;
    this.maxPacket = maxPacket;
    this.buffer = Buffer.allocUnsafe(maxPacket);
  }

  push(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let i = 0;
    while (i < bytes.length) {
      const byte = bytes[i]!;
      if (byte === SLIP_END) {
        if (this.inPacket && this.length > 0 && !this.dropping) {
          const packet = Buffer.from(this.buffer.subarray(0, this.length));
          this.reset(true);
          this.onPacket(packet);
        } else this.reset(true);
        i++;
        continue;
      }
      if (!this.inPacket || this.dropping) {
        // Nothing counts until the next 0xC0.
        const next = bytes.indexOf(SLIP_END, i);
        if (next === -1) return;
        i = next;
        continue;
      }
      if (this.escaping || byte === SLIP_ESC) {
        this.escaping = !this.escaping;
        i++;
        if (this.escaping) continue;
        if (byte === ESC_END) this.append(SLIP_END);
        else if (byte === ESC_ESC) this.append(SLIP_ESC);
        else this.dropping = true;
        continue;
      }
      // A run of plain bytes, up to the next 0xC0 or 0xDB, copied whole.
      let stop = bytes.indexOf(SLIP_END, i);
      const esc = bytes.indexOf(SLIP_ESC, i);
      if (stop === -1) stop = bytes.length;
      if (esc !== -1 && esc < stop) stop = esc;
      if (this.length + (stop - i) > this.maxPacket) this.dropping = true;
      else this.length += bytes.copy(this.buffer, this.length, i, stop);
      i = stop;
    }
  }

  private append(value: number): void {
    if (this.length === this.maxPacket) this.dropping = true;
    else this.buffer[this.length++] = value;
  }

  private reset(inPacket: boolean): void {
    this.length = 0;
    this.inPacket = inPacket;
    this.escaping = false;
    this.dropping = false;
  }
}

/**
 * The host side, with esptool's reader rules (`slip_reader`, esptool-js `Transport.read`): a
 * byte other than 0xC0 before a packet starts is "Invalid head of packet", a bad escape is
 * "Invalid SLIP escape". Returns the packets found and what is left of an unfinished one.
 */
export function slipReadHost(bytes: Uint8Array): { packets: Buffer[]; rest: Buffer } {
  const packets: Buffer[] = [];
  let current: number[] | null = null;
  let escaping = false;
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (current === null) {
      if (byte !== SLIP_END) {
        throw new Error(`Invalid head of packet (0x${byte.toString(16)})`);
      }
      current = [];
      start = i;
    } else if (escaping) {
      escaping = false;
      if (byte === ESC_END) current.push(SLIP_END);
      else if (byte === ESC_ESC) current.push(SLIP_ESC);
      else throw new Error(`Invalid SLIP escape (0xdb, 0x${byte.toString(16)})`);
    } else if (byte === SLIP_ESC) escaping = true;
    else if (byte === SLIP_END) {
      // An empty packet is a packet too (esptool yields it; its callers skip anything short).
      packets.push(Buffer.from(current));
      current = null;
    } else current.push(byte);
  }
  return { packets, rest: current === null ? Buffer.alloc(0) : Buffer.from(bytes.subarray(start)) };
}
