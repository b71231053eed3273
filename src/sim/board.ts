/**
 * A simulated ESP32 board on a real PTY: `socat` holds the pseudo-terminal and keeps a
 * /dev/serial/by-id-style link to it, and the board writes an ESP-IDF-like boot log when it is
 * powered on. Powering off drops the link, as a USB serial bridge disappears when its board
 * loses power; powering on again may come back on another /dev/pts number.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const BOARD_MODES = ['normal', 'panic', 'bootloop', 'hang', 'hang-once'] as const;
export type BoardMode = (typeof BOARD_MODES)[number];

/** The line a healthy board prints when it is operational. */
export const READY_MARKER = 'squeezelite-esp32: ready';

export class SimBoard {
  readonly slot: string;
  readonly linkPath: string;
  powered = false;
  private modeValue: BoardMode = 'normal';
  /** hang-once: the next boot hangs, the ones after it are normal. */
  private hangPending = false;
  boots = 0;
  private socat: ChildProcess | null = null;
  private run = 0;

  constructor(slot: string, byIdDir: string, linkName: string) {
    this.slot = slot;
    this.linkPath = join(byIdDir, linkName);
  }

  get mode(): BoardMode {
    return this.modeValue;
  }

  set mode(mode: BoardMode) {
    this.modeValue = mode;
    this.hangPending = mode === 'hang-once';
  }

  async powerOn(): Promise<void> {
    if (this.powered) return;
    this.powered = true;
    await this.attach();
    void this.boot(++this.run);
  }

  async powerOff(): Promise<void> {
    this.powered = false;
    this.run++;
    await this.detach();
  }

  /** The board drops off the USB bus and comes back (new tty), without a power change. */
  async replug(gapMs = 200): Promise<void> {
    await this.detach();
    await sleep(gapMs);
    if (this.powered) await this.attach();
  }

  private async attach(): Promise<void> {
    const child = spawn('socat', [`pty,raw,echo=0,link=${this.linkPath}`, 'STDIO'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.stdin!.on('error', () => {});
    this.socat = child;
    for (let i = 0; i < 100 && !existsSync(this.linkPath); i++) await sleep(10);
  }

  private async detach(): Promise<void> {
    const child = this.socat;
    this.socat = null;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.linkPath, { force: true });
  }

  private write(text: string): void {
    this.socat?.stdin?.write(text.replaceAll('\n', '\r\n'));
  }

  private async boot(run: number): Promise<void> {
    const alive = () => this.run === run && this.powered;
    let mode = this.modeValue;
    if (mode === 'hang-once') {
      mode = this.hangPending ? 'hang' : 'normal';
      this.hangPending = false;
    }
    this.boots++;
    let resets = 0;
    let reason = 'rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)';
    for (;;) {
      for (const line of romBanner(reason)) {
        if (!alive()) return;
        this.write(`${line}\n`);
        await sleep(5);
      }
      if (mode === 'hang') return;
      if (mode === 'bootloop') {
        await sleep(150);
        reason = 'rst:0x10 (RTCWDT_RTC_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)';
        if (++resets > 1000 || !alive()) return;
        continue;
      }
      for (const line of appLog()) {
        if (!alive()) return;
        this.write(`${line}\n`);
        await sleep(10);
      }
      if (mode === 'normal') {
        this.write(`I (1450) ${READY_MARKER}\n`);
        return;
      }
      // panic: crash shortly after start, reboot, crash again
      this.write(`${PANIC.join('\n')}\n`);
      await sleep(200);
      reason = 'rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)';
      if (++resets > 1000 || !alive()) return;
    }
  }
}

function romBanner(reason: string): string[] {
  return [
    'ets Jun  8 2016 00:22:57',
    '',
    reason,
    'configsip: 0, SPIWP:0xee',
    'mode:DIO, clock div:2',
    'load:0x3fff0030,len:7112',
    'entry 0x40080644',
    'I (29) boot: ESP-IDF v5.5 2nd stage bootloader',
    'I (30) boot: chip revision: v3.1',
  ];
}

function appLog(): string[] {
  return [
    'I (310) cpu_start: Pro cpu start user code',
    'I (320) app_init: Application information:',
    'I (321) app_init: Project name:     squeezelite',
    'I (400) wifi:wifi driver task: 3ffc0a40, prio:23, stack:6656, core=0',
    'I (980) esp_netif_handlers: sta ip: 192.0.2.44, mask: 255.255.255.0, gw: 192.0.2.1',
  ];
}

const PANIC = [
  "Guru Meditation Error: Core  0 panic'ed (LoadProhibited). Exception was unhandled.",
  'Core  0 register dump:',
  'PC      : 0x400d2f3c  PS      : 0x00060430  A0      : 0x800d3b1a  A1      : 0x3ffb1f50',
  'Backtrace: 0x400d2f39:0x3ffb1f50 0x400d3b17:0x3ffb1f70 0x40089a52:0x3ffb1f90',
  'Rebooting...',
];
