/**
 * SLIP framing as the ESP32 ROM and esptool use it (reference/esp32-flashing.md §1.1): 0xC0 ends
 * a packet, 0xDB 0xDC / 0xDB 0xDD stand for 0xC0 / 0xDB inside one.
 */

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
const ESC_END = 0xdc;
const ESC_ESC = 0xdd;

/** One packet, framed: 0xC0, the escaped bytes, 0xC0. */
export function slipEncode(packet: Uint8Array): Buffer {
  let extra = 0;
  for (const byte of packet) if (byte === SLIP_END || byte === SLIP_ESC) extra++;
  const out = Buffer.allocUnsafe(packet.length + extra + 2);
  let at = 0;
  out[at++] = SLIP_END;
  for (const byte of packet) {
    if (byte === SLIP_END) {
      out[at++] = SLIP_ESC;
      out[at++] = ESC_END;
    } else if (byte === SLIP_ESC) {
      out[at++] = SLIP_ESC;
      out[at++] = ESC_ESC;
    } else out[at++] = byte;
  }
  out[at] = SLIP_END;
  return out;
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
    for (const byte of chunk) {
      if (byte === SLIP_END) {
        if (this.inPacket && this.length > 0 && !this.dropping) {
          const packet = Buffer.from(this.buffer.subarray(0, this.length));
          this.reset(true);
          this.onPacket(packet);
        } else this.reset(true);
        continue;
      }
      if (!this.inPacket || this.dropping) continue;
      let value = byte;
      if (this.escaping) {
        this.escaping = false;
        if (byte === ESC_END) value = SLIP_END;
        else if (byte === ESC_ESC) value = SLIP_ESC;
        else {
          this.dropping = true;
          continue;
        }
      } else if (byte === SLIP_ESC) {
        this.escaping = true;
        continue;
      }
      if (this.length === this.maxPacket) {
        this.dropping = true;
        continue;
      }
      this.buffer[this.length++] = value;
    }
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
