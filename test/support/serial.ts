/**
 * A host's end of a serial line for protocol tests: a real port (the PTY of a simulated board)
 * opened raw, SLIP packets built by hand, and answers read with esptool's reader rules — text
 * before the first packet is kept apart, as a person watching the line would see it.
 */
import { NodeSerialPort } from '../../src/flash/index.ts';
import { buildRequest, dataChecksum, slipEncode, slipReadHost } from '../../src/sim/esp32/index.ts';

/** MEM_DATA, FLASH_DATA, FLASH_DEFL_DATA: the commands whose checksum counts. */
const DATA_OPS = new Set([0x07, 0x03, 0x11]);

export interface Answer {
  op: number;
  value: number;
  data: Buffer;
  /** The whole packet (the stub's greeting is a bare "OHAI"). */
  packet: Buffer;
}

export class HostLine {
  readonly port: NodeSerialPort;
  private bytes = Buffer.alloc(0);
  /** Text that came before the first SLIP packet (the ROM's banner). */
  text = '';

  private constructor(port: NodeSerialPort) {
    this.port = port;
  }

  static async open(path: string): Promise<HostLine> {
    const line = new HostLine(new NodeSerialPort(path));
    await line.port.open({ baudRate: 115200 });
    const reader = line.port.readable!.getReader();
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done || !value) return;
        line.bytes = Buffer.concat([line.bytes, value]);
      }
    })();
    return line;
  }

  /** Sends one request; a data command gets a correct checksum unless `checksum` says otherwise. */
  async send(op: number, data: Uint8Array = Buffer.alloc(0), checksum?: number): Promise<void> {
    const sum = DATA_OPS.has(op) ? dataChecksum(data.subarray(16)) : 0;
    await this.raw(slipEncode(buildRequest(op, data, checksum ?? sum)));
  }

  async raw(bytes: Uint8Array): Promise<void> {
    const writer = this.port.writable!.getWriter();
    await writer.write(bytes);
    writer.releaseLock();
  }

  /** Waits for `count` packets, one by one (text between them is kept apart), and returns them. */
  async answers(count: number, timeoutMs = 3000): Promise<Answer[]> {
    const deadline = Date.now() + timeoutMs;
    const found: Answer[] = [];
    while (found.length < count) {
      const start = this.bytes.indexOf(0xc0);
      if (start > 0 || (start < 0 && this.bytes.length > 0 && !this.bytes.includes(0xc0))) {
        const cut = start < 0 ? this.bytes.length : start;
        this.text += this.bytes.subarray(0, cut).toString('latin1');
        this.bytes = this.bytes.subarray(cut);
      }
      const end = start < 0 ? -1 : this.bytes.indexOf(0xc0, 1);
      if (end > 0) {
        const [p] = slipReadHost(this.bytes.subarray(0, end + 1)).packets;
        this.bytes = this.bytes.subarray(end + 1);
        if (p && p.length > 0) {
          found.push({
            op: p[1] ?? -1,
            value: p.length >= 8 ? p.readUInt32LE(4) : 0,
            data: p.subarray(8),
            packet: p,
          });
        }
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${found.length} of ${count} packets in ${timeoutMs} ms; text: ${JSON.stringify(this.text)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return found;
  }

  /** Whatever is waiting, dropped. */
  async drain(quietMs = 100): Promise<void> {
    await new Promise((r) => setTimeout(r, quietMs));
    this.bytes = Buffer.alloc(0);
  }

  close(): Promise<void> {
    return this.port.close();
  }
}

/** Little-endian 32-bit words. */
export const le32 = (...values: number[]): Buffer => {
  const out = Buffer.alloc(4 * values.length);
  for (const [i, v] of values.entries()) out.writeUInt32LE(v >>> 0, 4 * i);
  return out;
};
