/**
 * The stub's READ_FLASH stream (reference/esp32-flashing.md §1.5): data packets of the asked
 * size, no more than the asked number unacknowledged, each acknowledged by the host with a
 * 4-byte packet holding the total it has; when all is acknowledged, the 16-byte raw MD5.
 */
import { createHash } from 'node:crypto';
import { slipEncode } from './slip.ts';

export class FlashReadout {
  private sent = 0;
  private acked = 0;

  private readonly bytes: Buffer;
  private readonly packetSize: number;
  private readonly inFlight: number;
  private readonly send: (bytes: Buffer) => void;

  constructor(bytes: Buffer, packetSize: number, inFlight: number, send: (bytes: Buffer) => void) {
    this.bytes = bytes;
    this.packetSize = packetSize;
    this.inFlight = inFlight;
    this.send = send;
  }

  /** Sends the first packets (or, for an empty read, the digest at once). */
  start(): 'reading' | 'done' {
    return this.pump();
  }

  /** A packet from the host while reading: an ACK moves the window on, anything else is not one. */
  acknowledge(packet: Buffer): 'reading' | 'done' | 'not-an-ack' {
    if (packet.length !== 4) return 'not-an-ack';
    const total = packet.readUInt32LE();
    if (total > this.sent || total < this.acked) return 'reading'; // a stray ACK: ignored
    this.acked = total;
    return this.pump();
  }

  private pump(): 'reading' | 'done' {
    const window = this.inFlight * this.packetSize;
    const chunks: Buffer[] = [];
    while (this.sent < this.bytes.length && this.sent - this.acked < window) {
      const end = Math.min(this.sent + this.packetSize, this.bytes.length);
      chunks.push(slipEncode(this.bytes.subarray(this.sent, end)));
      this.sent = end;
    }
    if (chunks.length > 0) this.send(Buffer.concat(chunks));
    if (this.acked < this.bytes.length) return 'reading';
    this.send(slipEncode(createHash('md5').update(this.bytes).digest()));
    return 'done';
  }
}
