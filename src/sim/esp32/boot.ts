/**
 * THE SEAM for booting what was flashed: a simulated board that has flash contents calls
 * `bootFromFlash` once per boot and prints what it returns, after the ROM's banner and `rst:`
 * line. The image-format boot (bootloader header at 0x1000 with one `load:` line per segment,
 * the partition table at 0x8000, the app image and its esp_app_desc_t, the failure lines of
 * reference/esp32-flashing.md §5.2–5.3) replaces the body of this function; the signature, and
 * that it only reads the flash, stay.
 */

/** Read access to the flash contents (null outside the chip). */
export interface FlashReader {
  read(offset: number, length: number): Buffer | null;
}

export interface BootOutput {
  /** What the chip prints after the ROM's `rst:` line, one string per line, in order. */
  lines: string[];
  /**
   * `app`: an application is running (the board's simulated mode decides what it does next:
   * print its ready line, panic, or hang); `reset`: the chip resets itself and boots again.
   */
  outcome: 'app' | 'reset';
}

/** Where the ESP32 ROM looks for the second-stage bootloader. */
export const BOOTLOADER_OFFSET = 0x1000;

export function bootFromFlash(flash: FlashReader): BootOutput {
  const head = flash.read(BOOTLOADER_OFFSET, 4) ?? Buffer.alloc(4, 0xff);
  // What the ROM itself checks: the image magic byte. Without it the ROM prints the word it
  // read and the RTC watchdog resets the chip (§5.3: "invalid header: 0xffffffff" when erased).
  if (head[0] !== 0xe9) {
    const word = head.readUInt32LE().toString(16).padStart(8, '0');
    return {
      lines: Array.from({ length: 8 }, () => `invalid header: 0x${word}`),
      outcome: 'reset',
    };
  }
  // PLACEHOLDER until the image-format boot lands: a canned log, the same as a board that was
  // never flashed prints (CANNED_BOOT), instead of one read from the image.
  return { lines: CANNED_BOOT, outcome: 'app' };
}

/** The boot log of a board whose flash was never written through the protocol. */
export const CANNED_BOOT = [
  'configsip: 0, SPIWP:0xee',
  'mode:DIO, clock div:2',
  'load:0x3fff0030,len:7112',
  'entry 0x40080644',
  'I (29) boot: ESP-IDF v5.5 2nd stage bootloader',
  'I (30) boot: chip revision: v3.1',
  'I (310) cpu_start: Pro cpu start user code',
  'I (320) app_init: Application information:',
  'I (321) app_init: Project name:     squeezelite',
  'I (400) wifi:wifi driver task: 3ffc0a40, prio:23, stack:6656, core=0',
  'I (980) esp_netif_handlers: sta ip: 192.0.2.44, mask: 255.255.255.0, gw: 192.0.2.1',
];
