/**
 * esptool-js's `Transport` with two browser habits replaced for Node: `read` waits for data by
 * polling every millisecond (a 16 KiB block then costs a few polls in each direction), and
 * `slipWriter` frames a packet one array push per byte. Here a read wakes when bytes arrive and
 * framing is one Buffer pass; the reader keeps esptool's rules (reference §1.1: "Invalid head
 * of packet", "Invalid SLIP escape", a panic message in the way reported as such).
 */
import { ESPError, Transport } from 'esptool-js';
import { slipEncode } from '../sim/esp32/index.ts';

const END = 0xc0;
const ESC = 0xdb;

interface TransportInternals {
  buffer: Uint8Array;
  detectPanicHandler(input: Uint8Array): void;
}

export class NodeTransport extends Transport {
  private wake: (() => void) | null = null;

  override slipWriter(data: Uint8Array): Uint8Array {
    return slipEncode(data);
  }

  /**
   * As esptool-js writes, but a write that fails (the port vanished: the board lost power or
   * dropped off USB) lets go of its writer: esptool-js's `disconnect` waits for both streams to
   * be unlocked, and would wait for ever.
   */
  override async write(data: Uint8Array): Promise<void> {
    const writable = (this.device as unknown as { writable: WritableStream<Uint8Array> | null })
      .writable;
    if (!writable) return;
    const writer = writable.getWriter();
    try {
      await writer.write(this.slipWriter(data));
    } finally {
      writer.releaseLock();
    }
  }

  /** Used by readLoop for every chunk received: the moment to wake a waiting read. */
  override appendArray(first: Uint8Array, second: Uint8Array): Uint8Array {
    const joined = Buffer.concat([first, second]);
    const wake = this.wake;
    this.wake = null;
    if (wake) queueMicrotask(wake); // after readLoop has stored the result
    return joined;
  }

  override async read(timeout: number): Promise<Uint8Array> {
    const self = this as unknown as TransportInternals;
    let packet: Buffer | null = null;
    let length = 0;
    let escaping = false;
    for (;;) {
      const bytes = await this.take(timeout);
      if (bytes.length === 0) {
        throw new ESPError(
          packet === null
            ? 'Serial data stream stopped: Possible serial noise or corruption.'
            : 'No serial data received.',
        );
      }
      for (let i = 0; i < bytes.length; i++) {
        const byte = bytes[i]!;
        if (packet === null) {
          if (byte !== END) {
            self.detectPanicHandler(Buffer.concat([bytes, self.buffer]));
            throw new ESPError(
              `Invalid head of packet (0x${byte.toString(16)}): Possible serial noise or corruption.`,
            );
          }
          packet = Buffer.allocUnsafe(bytes.length);
        } else if (escaping) {
          escaping = false;
          if (byte === 0xdc) packet[length++] = END;
          else if (byte === 0xdd) packet[length++] = ESC;
          else {
            self.detectPanicHandler(Buffer.concat([bytes, self.buffer]));
            throw new ESPError(`Invalid SLIP escape (0xdb, 0x${byte.toString(16)})`);
          }
        } else if (byte === ESC) escaping = true;
        else if (byte === END) {
          if (i + 1 < bytes.length)
            self.buffer = Buffer.concat([bytes.subarray(i + 1), self.buffer]);
          // A plain Uint8Array, as esptool-js's callers expect (they print status bytes with it).
          return new Uint8Array(packet.buffer, packet.byteOffset, length);
        } else packet[length++] = byte;
        if (packet.length === length) packet = Buffer.concat([packet, Buffer.allocUnsafe(length)]);
      }
    }
  }

  /** Everything buffered, waiting up to `timeout` ms for something to arrive. */
  private async take(timeout: number): Promise<Uint8Array> {
    const self = this as unknown as TransportInternals;
    if (self.buffer.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = null;
          resolve();
        }, timeout);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const bytes = self.buffer;
    self.buffer = new Uint8Array(0);
    return bytes;
  }
}
