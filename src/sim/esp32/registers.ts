/**
 * The registers a flasher reads and writes on an ESP32 (reference/esp32-flashing.md §1.7–1.8):
 * the chip-detect magic, the eFuse words (MAC, package, revision), UART_CLKDIV for the crystal,
 * and the SPI controller that runs flash commands (RDID, SFDP, reset) through W0.
 */
import type { SimFlash } from './flash.ts';

export const CHIP_MAGIC_ADDR = 0x40001000;
export const ESP32_MAGIC = 0x00f01d83;
const EFUSE_BASE = 0x3ff5a000;
const APB_CTL_DATE = 0x3ff6607c;
const UART_CLKDIV = 0x3ff40014;
const XTAL_HZ = 40_000_000;

const SPI_BASE = 0x3ff42000;
const SPI_CMD = SPI_BASE + 0x00;
const SPI_ADDR = SPI_BASE + 0x04;
const SPI_USR = SPI_BASE + 0x1c;
const SPI_USR1 = SPI_BASE + 0x20;
const SPI_USR2 = SPI_BASE + 0x24;
const SPI_MISO_DLEN = SPI_BASE + 0x2c;
const SPI_W0 = SPI_BASE + 0x80;
const SPI_CMD_USR = 1 << 18;
const SPI_USR_ADDR = 1 << 30;

/** Winbond W25Q32 (manufacturer 0xEF, type 0x40, capacity 0x16 = 4 MB). */
export const FLASH_ID = 0x1640ef;
/** The start of a JEDEC SFDP table: "SFDP", revision 1.6, one parameter header. */
const SFDP = Buffer.from([
  0x53, 0x46, 0x44, 0x50, 0x06, 0x01, 0x00, 0xff, 0x00, 0x06, 0x01, 0x10, 0x80, 0x00, 0x00, 0xff,
]);

export class Registers {
  private readonly values = new Map<number, number>();
  /** The UART's current baud rate, for UART_CLKDIV. */
  baud = 115200;

  /** `mac` is the board's 6-byte MAC (eFuse words 1 and 2). */
  constructor(mac: Uint8Array) {
    const [m0 = 0, m1 = 0, m2 = 0, m3 = 0, m4 = 0, m5 = 0] = mac;
    this.values.set(EFUSE_BASE + 4, ((m2 << 24) | (m3 << 16) | (m4 << 8) | m5) >>> 0);
    this.values.set(EFUSE_BASE + 8, (m0 << 8) | m1);
    // Package 0 (D0WDQ6), dual core, revision 3 (word 3 bit 15, word 5 bit 20, APB date bit 31).
    this.values.set(EFUSE_BASE + 12, 1 << 15);
    this.values.set(EFUSE_BASE + 20, 1 << 20);
    this.values.set(APB_CTL_DATE, 0x80000000 | 0x16042000);
  }

  read(addr: number): number {
    if (addr === CHIP_MAGIC_ADDR) return ESP32_MAGIC;
    if (addr === UART_CLKDIV) return Math.round(XTAL_HZ / this.baud) & 0xfffff;
    // The controller is done at once, so its USR bit always reads back clear.
    if (addr === SPI_CMD) return (this.values.get(addr) ?? 0) & ~SPI_CMD_USR;
    return this.values.get(addr) ?? 0;
  }

  /** A WRITE_REG: the bits in `mask` take `value`; a USR write to SPI_CMD runs the command. */
  write(addr: number, value: number, mask: number, flash: SimFlash): void {
    const old = this.values.get(addr) ?? 0;
    const next = ((old & ~mask) | (value & mask)) >>> 0;
    this.values.set(addr, next);
    if (addr === SPI_CMD && next & SPI_CMD_USR) this.runSpiCommand(flash);
  }

  private runSpiCommand(flash: SimFlash): void {
    const opcode = (this.values.get(SPI_USR2) ?? 0) & 0xff;
    const usr = this.values.get(SPI_USR) ?? 0;
    const misoBits = ((this.values.get(SPI_MISO_DLEN) ?? 0) & 0xffffff) + 1;
    const addrBits = (((this.values.get(SPI_USR1) ?? 0) >>> 26) & 0x3f) + 1;
    // The address register holds the address in its top bits (SPI_ADDR_REG_MSB on ESP32).
    const addr = usr & SPI_USR_ADDR ? (this.values.get(SPI_ADDR) ?? 0) >>> (32 - addrBits) : 0;
    let answer: number;
    if (opcode === 0x9f) answer = FLASH_ID;
    else if (opcode === 0x5a) answer = word(SFDP, addr);
    else if (opcode === 0x05 || opcode === 0x35 || opcode === 0x15) answer = 0;
    else if (opcode === 0x03)
      answer = (flash.read(addr, 4) ?? Buffer.alloc(4, 0xff)).readUInt32LE();
    else answer = 0xffffffff; // nothing drives MISO: the line reads high
    const mask = misoBits >= 32 ? 0xffffffff : (1 << misoBits) - 1;
    this.values.set(SPI_W0, (answer & mask) >>> 0);
    this.values.set(SPI_CMD, (this.values.get(SPI_CMD) ?? 0) & ~SPI_CMD_USR);
  }
}

/** Four bytes of `table` at `offset` as a little-endian word, 0xFF past its end. */
function word(table: Buffer, offset: number): number {
  const bytes = Buffer.alloc(4, 0xff);
  for (let i = 0; i < 4; i++) if (offset + i < table.length) bytes[i] = table[offset + i]!;
  return bytes.readUInt32LE();
}
