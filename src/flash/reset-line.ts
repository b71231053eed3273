/**
 * A board's reset through its USB-serial adapter, as esptool's hard reset does it: RTS drives
 * EN low for 100 ms while DTR stays released (IO0 high), so the chip restarts into its app, not
 * into download mode. Dev boards (ESP32-DevKitC, the Muse Luxe, SqueezeAMP's CH340) wire the
 * two lines to EN and IO0 through the usual two-transistor circuit; a board without it just does
 * not restart, which the caller sees as the same silence as before.
 *
 * The port is held open, raw and without echo, from before the pulse until `close()`: what the
 * board prints as it restarts waits in the tty's buffer for whichever reader opens it next.
 * A pseudo-terminal (a simulated board) has no modem lines: `open` answers null.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModemLines, TIOCM_DTR, TIOCM_RTS } from './modem-lines.ts';
import { isPseudoTerminal } from './port.ts';
import { stty } from './stty.ts';

/** How long EN is held low (esptool's HardReset). */
const PULSE_MS = 100;

export class ResetLine {
  private readonly fd: number;
  private readonly lines: ModemLines;

  private constructor(fd: number, lines: ModemLines) {
    this.fd = fd;
    this.lines = lines;
  }

  /**
   * Opens `path` for resets; null when it has no modem lines (a PTY, or a driver without
   * TIOCMGET). Errors opening the port are thrown as they are (ENOENT, EACCES, EBUSY).
   */
  static async open(path: string, baud: number): Promise<ResetLine | null> {
    const fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    try {
      if (isPseudoTerminal(fd)) {
        closeSync(fd);
        return null;
      }
      await stty(fd, ['raw', '-echo', 'clocal', 'cread', String(baud)]);
      const lines = new ModemLines(fd);
      if (!(await lines.present())) {
        lines.close();
        closeSync(fd);
        return null;
      }
      return new ResetLine(fd, lines);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** EN low for 100 ms with IO0 high, then released: the chip restarts and boots its app. */
  async pulse(): Promise<void> {
    await this.lines.set(TIOCM_RTS, TIOCM_DTR);
    await sleep(PULSE_MS);
    await this.lines.set(0, TIOCM_RTS);
  }

  /** The modem bits now (for checking what a pulse left behind). */
  bits(): Promise<number | null> {
    return this.lines.get();
  }

  close(): void {
    this.lines.close();
    closeSync(this.fd);
  }
}
