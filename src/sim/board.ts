/**
 * A simulated ESP32 board on a real PTY: `socat` holds the pseudo-terminal and keeps a
 * /dev/serial/by-id-style link to it. Powered on, the board boots: from its flash once anything
 * was flashed into it (esp32/boot.ts), else with a canned ESP-IDF-like log. It speaks the ROM
 * serial bootloader protocol (esp32/loader.ts) in download mode, which it enters when a SLIP
 * SYNC arrives — the one place it differs from a board, whose flasher would pull GPIO0 low and
 * reset it through DTR/RTS, lines a PTY does not have (docs/slots.md). Powering off drops the
 * link, as a USB serial bridge disappears with its board's power; powering on again may come
 * back on another /dev/pts number, and leaves download mode.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BootOutput,
  bootFromFlash,
  CANNED_BOOT,
  OP,
  parseRequest,
  RomLoader,
  SimFlash,
  SlipDecoder,
  SYNC_DATA,
  slipEncode,
} from './esp32/index.ts';
import type { BoardMode } from './faults.ts';
import { openRelay, type Relay } from './relay.ts';

/** The line a healthy board prints when it is operational. */
export const READY_MARKER = 'squeezelite-esp32: ready';

/** The board's output the host may leave unread before more of it is lost (see send). */
const UNREAD_MAX_BYTES = 64 * 1024;

const ROM_BANNER = 'ets Jun  8 2016 00:22:57';
const DOWNLOAD_BOOT = 'boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))';
const FLASH_BOOT = 'boot:0x13 (SPI_FAST_FLASH_BOOT)';

export class SimBoard {
  readonly slot: string;
  readonly linkPath: string;
  readonly flash: SimFlash;
  powered = false;
  private modeValue: BoardMode = 'normal';
  /** hang-once: the next boot hangs, the ones after it are normal. */
  private hangPending = false;
  boots = 0;
  private relay: Relay | null = null;
  /** The relay the next power-on takes, opened while the board is off (see relay.ts). */
  private spare: Promise<Relay | null> | null = null;
  private closed = false;
  /** Counts attach and detach: a relay that finished starting after a detach is stopped. */
  private attachments = 0;
  private run = 0;
  /** The ROM bootloader, while the chip waits for download; null while it runs from flash. */
  private loader: RomLoader | null = null;
  /** Watches the line for a SYNC while the chip is not in download mode. */
  private readonly syncWatch = new SlipDecoder((packet) => this.onPacket(packet), 64);
  /** The next N flash data blocks arrive corrupted (a test of the flasher's error path). */
  private corruptPending = 0;

  /** `flashDir` keeps the flash contents (`<flashDir>/<slot>.bin`); null keeps them in memory. */
  constructor(slot: string, byIdDir: string, linkName: string, flashDir: string | null = null) {
    this.slot = slot;
    this.linkPath = join(byIdDir, linkName);
    this.flash = new SimFlash(flashDir === null ? null : join(flashDir, `${slot}.bin`));
    this.openSpare();
  }

  get mode(): BoardMode {
    return this.modeValue;
  }

  set mode(mode: BoardMode) {
    this.modeValue = mode;
    this.hangPending = mode === 'hang-once';
  }

  /** True while the ROM waits for download (after a SYNC, until the next power-on or run). */
  get downloadMode(): boolean {
    return this.loader !== null;
  }

  /** Corrupts the next `blocks` FLASH_DATA / FLASH_DEFL_DATA blocks on their way in. */
  corruptBlocks(blocks: number): void {
    this.corruptPending = blocks;
    if (this.loader) this.loader.corruptBlocks = blocks;
  }

  async powerOn(): Promise<void> {
    if (this.powered) return;
    this.powered = true;
    await this.attach();
    void this.boot(++this.run, true);
  }

  async powerOff(): Promise<void> {
    this.powered = false;
    this.run++;
    this.leaveDownload();
    await this.detach();
  }

  /** The board drops off the USB bus and comes back (new tty), without a power change. */
  async replug(gapMs = 200): Promise<void> {
    await this.detach();
    await sleep(gapMs);
    if (this.powered) await this.attach();
  }

  /** Lets go of the flash file and the spare relay (the farm is stopping). */
  close(): void {
    this.closed = true;
    void this.spare?.then((relay) => relay?.stop());
    this.spare = null;
    this.flash.close();
  }

  private async attach(): Promise<void> {
    const attachment = ++this.attachments;
    const spare = this.spare;
    this.spare = null;
    let relay = (await spare) ?? (await this.newRelay());
    // Powered off (or replugged) while the relay started: it is not this board's any more.
    if (attachment !== this.attachments) return void (await relay.stop());
    try {
      relay.publish(this.linkPath);
    } catch {
      // The spare ended while the board was off (its socat killed): a new one, as at first.
      await relay.stop();
      relay = await this.newRelay();
      if (attachment !== this.attachments) return void (await relay.stop());
      relay.publish(this.linkPath);
    }
    this.relay = relay;
  }

  private async detach(): Promise<void> {
    this.attachments++;
    const relay = this.relay;
    this.relay = null;
    await relay?.stop();
    rmSync(this.linkPath, { force: true });
    this.openSpare();
  }

  /** A relay whose bytes reach this board while it is the board's relay. */
  private async newRelay(): Promise<Relay> {
    let relay: Relay | null = null;
    relay = await openRelay(this.slot, (chunk) => {
      if (relay !== null && this.relay === relay) this.receive(chunk);
    });
    return relay;
  }

  private openSpare(): void {
    if (this.closed || this.spare) return;
    // A relay that cannot start now is tried again at power-on, where its failure is seen.
    this.spare = this.newRelay().catch(() => null);
  }

  /**
   * A UART does not wait for its reader: what the host leaves unread past the bridge's and the
   * kernel's buffers is lost, so a boot loop left running for hours neither grows this process
   * nor queues stale text ahead of the ROM's answers.
   */
  private send(bytes: Buffer): void {
    const out = this.relay?.out;
    if (!out) return;
    const room = UNREAD_MAX_BYTES - out.writableLength;
    if (room <= 0) return;
    out.write(bytes.length > room ? bytes.subarray(0, room) : bytes);
  }

  private write(text: string): void {
    this.send(Buffer.from(text.replaceAll('\n', '\r\n')));
  }

  private receive(chunk: Buffer): void {
    if (!this.powered) return;
    if (this.loader) this.loader.receive(chunk);
    else this.syncWatch.push(chunk);
  }

  /** The download-mode rule: a SYNC reaching a powered chip finds it waiting for download. */
  private onPacket(packet: Buffer): void {
    const request = parseRequest(packet);
    if (!this.powered || this.loader || request?.op !== OP.SYNC) return;
    if (!request.data.equals(SYNC_DATA)) return;
    this.run++; // whatever the chip was printing stops
    this.enterDownload('rst:0x1 (POWERON_RESET)');
    this.loader!.receive(slipEncode(packet));
  }

  private enterDownload(reset: string): void {
    this.leaveDownload();
    this.write(`${ROM_BANNER}\n\n${reset},${DOWNLOAD_BOOT}\nwaiting for download\n`);
    const loader = new RomLoader({
      flash: this.flash,
      mac: macOf(this.slot),
      send: (bytes) => {
        if (this.loader === loader) this.send(bytes);
      },
      onRunUserCode: () => {
        this.leaveDownload();
        void this.boot(++this.run, false);
      },
      // A software reset keeps the strapping pins' latched value: the ROM waits again.
      onReset: () => this.enterDownload('rst:0x3 (SW_RESET)'),
    });
    loader.corruptBlocks = this.corruptPending;
    this.loader = loader;
  }

  private leaveDownload(): void {
    if (this.loader) this.corruptPending = this.loader.corruptBlocks;
    this.loader?.stop();
    this.loader = null;
  }

  /** One power-on (with the ROM's banner) or a jump from the ROM into flash (without). */
  private async boot(run: number, banner: boolean): Promise<void> {
    const alive = () => this.run === run && this.powered;
    let mode = this.modeValue;
    if (mode === 'hang-once') {
      mode = this.hangPending ? 'hang' : 'normal';
      this.hangPending = false;
    }
    this.boots++;
    let resets = 0;
    let reason = 'rst:0x1 (POWERON_RESET)';
    for (let first = true; ; first = false) {
      if (banner || !first) {
        for (const line of [ROM_BANNER, '', `${reason},${FLASH_BOOT}`]) {
          if (!alive()) return;
          this.write(`${line}\n`);
          await sleep(5);
        }
      }
      if (mode === 'hang') return;
      if (mode === 'bootloop') {
        await sleep(150);
        reason = 'rst:0x10 (RTCWDT_RTC_RESET)';
        if (++resets > 1000 || !alive()) return;
        continue;
      }
      const output: BootOutput = this.flash.touched
        ? bootFromFlash(this.flash)
        : { lines: CANNED_BOOT, outcome: 'app' };
      for (const line of output.lines) {
        if (!alive()) return;
        this.write(`${line}\n`);
        await sleep(7);
      }
      if (output.outcome === 'reset') {
        await sleep(150);
        reason = output.reset ?? 'rst:0x10 (RTCWDT_RTC_RESET)';
        if (++resets > 1000 || !alive()) return;
        continue;
      }
      if (mode === 'normal') {
        this.write(`I (1450) ${READY_MARKER}\n`);
        return;
      }
      // panic: crash shortly after start, reboot, crash again
      this.write(`${PANIC.join('\n')}\n`);
      await sleep(200);
      reason = 'rst:0xc (SW_CPU_RESET)';
      if (++resets > 1000 || !alive()) return;
    }
  }
}

/** A stable MAC per slot, in Espressif's OUI (24:0a:c4). */
function macOf(slot: string): Uint8Array {
  const hash = createHash('sha256').update(slot).digest();
  return Uint8Array.from([0x24, 0x0a, 0xc4, hash[0]!, hash[1]!, hash[2]!]);
}

const PANIC = [
  "Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled.",
  'Core  0 register dump:',
  'PC      : 0x400d2f3c  PS      : 0x00060430  A0      : 0x800d3b1a  A1      : 0x3ffb1f50',
  'Backtrace: 0x400d2f39:0x3ffb1f50 0x400d3b17:0x3ffb1f70 0x40089a52:0x3ffb1f90',
  'Rebooting...',
];
