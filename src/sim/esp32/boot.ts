/**
 * What a simulated ESP32 prints when it boots from its flash, read from the images in it the way
 * the ROM and ESP-IDF's 2nd-stage bootloader read them (reference/esp32-flashing.md §5): the
 * ROM's `load:` line per bootloader segment, the bootloader's partition table and `esp_image`
 * segment lines, the app's `app_init` lines from its `esp_app_desc_t` — or, for a damaged or
 * missing image, the lines the real chip prints before it resets. It only reads the flash.
 */
import {
  type AppDescription,
  inspectImage,
  loadPartitionTable,
  PARTITION_TABLE_OFFSET,
  type Partition,
  parseImage,
  parseOtadata,
  readAppDescription,
  readBootloaderDescription,
  selectBootPartition,
} from '../../esp32/index.ts';

/** Read access to the flash contents (null outside the chip), read at once and never changed. */
export interface FlashReader {
  view(offset: number, length: number): Buffer | null;
}

export interface BootOutput {
  /** What the chip prints after the ROM's `rst:` line, one string per line, in order. */
  lines: string[];
  /**
   * `app`: an application is running (the board's simulated mode decides what it does next:
   * print its ready line, panic, or hang); `reset`: the chip resets itself and boots again.
   */
  outcome: 'app' | 'reset';
  /** With `reset`: the ROM's `rst:` text for the reset that follows. */
  reset?: string;
}

/** Where the ESP32 ROM looks for the second-stage bootloader. */
export const BOOTLOADER_OFFSET = 0x1000;
/** The bootloader has the flash up to the partition table. */
const BOOTLOADER_SPACE = PARTITION_TABLE_OFFSET - BOOTLOADER_OFFSET;
const PARTITION_TABLE_LENGTH = 0xc00;
/** The chip the simulated boards are: an ESP32 (chip id 0), revision v3.1. */
const CHIP_ID = 0;
const CHIP_REVISION = 'v3.1';
/** Enough of an app partition to hold any app the simulated flash (4 MiB) can. */
const APP_READ_LIMIT = 0x400000;

const RTC_WDT_RESET = 'rst:0x10 (RTCWDT_RTC_RESET)';
const SW_RESET = 'rst:0x3 (SW_RESET)';

export function bootFromFlash(flash: FlashReader): BootOutput {
  const bootloader = flash.view(BOOTLOADER_OFFSET, BOOTLOADER_SPACE) ?? Buffer.alloc(4, 0xff);
  // The ROM checks the magic byte; without it it prints the word it read, a few times, and the
  // RTC watchdog resets the chip (§5.3: "invalid header: 0xffffffff" when erased).
  if (bootloader[0] !== 0xe9) {
    const word = bootloader.readUInt32LE().toString(16).padStart(8, '0');
    return {
      lines: Array.from({ length: 8 }, () => `invalid header: 0x${word}`),
      outcome: 'reset',
      reset: RTC_WDT_RESET,
    };
  }
  const lines = [
    'configsip: 0, SPIWP:0xee',
    'clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00',
  ];
  const image = parseImage(bootloader);
  if (!image) {
    // A header the ROM cannot walk: it loads garbage and its own checks stop it.
    lines.push('ets_main.c 371 ');
    return { lines, outcome: 'reset', reset: RTC_WDT_RESET };
  }
  lines.push(
    `mode:${ROM_MODE[image.spiMode] ?? 'DIO'}, clock div:${CLOCK_DIV[image.spiSpeed] ?? 2}`,
  );
  for (const segment of image.segments)
    lines.push(`load:0x${hex8(segment.loadAddr)},len:${segment.length}`);
  if (image.checksum.stored !== image.checksum.calculated) {
    lines.push(
      `csum err:0x${hex2(image.checksum.calculated)}!=0x${hex2(image.checksum.stored)}`,
      'ets_main.c 371 ',
    );
    return { lines, outcome: 'reset', reset: RTC_WDT_RESET };
  }
  lines.push(`entry 0x${hex8(image.entry)}`);
  return secondStage(flash, bootloader, image, lines);
}

function secondStage(
  flash: FlashReader,
  bootloader: Buffer,
  image: NonNullable<ReturnType<typeof parseImage>>,
  lines: string[],
): BootOutput {
  const desc = readBootloaderDescription(bootloader);
  // A bootloader without a description is older than IDF v5.x's, which logged in colour.
  const log = new Log(lines, desc ? coloured(desc.idfVer) : true, 29);
  if (desc) {
    log.i('boot', `ESP-IDF ${desc.idfVer} 2nd stage bootloader`);
    if (desc.dateTime) log.i('boot', `compile time ${desc.dateTime}`);
  }
  log.i('boot', 'Multicore bootloader');
  log.i('boot', `chip revision: ${CHIP_REVISION}`);
  log.i('boot.esp32', `SPI Speed      : ${SPI_SPEED[image.spiSpeed] ?? '40MHz'}`);
  log.i('boot.esp32', `SPI Mode       : ${ROM_MODE[image.spiMode] ?? 'DIO'}`);
  log.i('boot.esp32', `SPI Flash Size : ${image.flashSize ?? '4MB'}`);
  log.i('boot', 'Enabling RNG early entropy source...');

  const tableBytes = flash.view(PARTITION_TABLE_OFFSET, PARTITION_TABLE_LENGTH);
  const { table, problems } = loadPartitionTable(tableBytes ?? new Uint8Array(0));
  if (!tableBytes || problems.length > 0 || table.partitions.length === 0) {
    for (const problem of problems) log.e('flash_parts', problem);
    log.e('boot', 'Failed to verify partition table');
    log.e('boot', 'load partition table error!');
    return { lines, outcome: 'reset', reset: SW_RESET };
  }
  log.i('boot', 'Partition Table:');
  log.i('boot', '## Label            Usage          Type ST Offset   Length');
  table.partitions.forEach((p, i) => {
    const row = [
      String(i).padStart(2),
      p.label.padEnd(16),
      usage(p).padEnd(16),
      hex2(p.type),
      hex2(p.subtype),
      hex8(p.offset),
      hex8(p.size),
    ];
    log.i('boot', row.join(' '));
  });
  log.i('boot', 'End of partition table');

  const otadata = table.partitions.find((p) => p.type === 1 && p.subtype === 0);
  const entries = otadata
    ? parseOtadata(flash.view(otadata.offset, 0x2000) ?? Buffer.alloc(0))
    : null;
  const choice = selectBootPartition(table.partitions, entries);
  if (choice.log) {
    if (choice.log.includes('invalid')) log.e('boot', choice.log);
    else log.i('boot', choice.log);
  }
  for (const partition of choice.tries) {
    const app = flash.view(partition.offset, Math.min(partition.size, APP_READ_LIMIT));
    const loaded = app && loadApp(log, app, partition);
    if (loaded) {
      log.i('boot', `Loaded app from partition at offset 0x${partition.offset.toString(16)}`);
      log.i('boot', 'Disabling RNG early entropy source...');
      startApp(lines, readAppDescription(app));
      return { lines, outcome: 'app' };
    }
    log.e('boot', notBootable(partition));
  }
  log.e('boot', 'No bootable app partitions in the partition table');
  return { lines, outcome: 'reset', reset: SW_RESET };
}

/** The bootloader's verification of one app: segment lines as it goes, then what failed. */
function loadApp(log: Log, bytes: Buffer, partition: Partition): boolean {
  const { image, problems } = inspectImage(bytes, {
    offset: partition.offset,
    partitionSize: partition.size,
    chipId: CHIP_ID,
  });
  image?.segments.forEach((s, i) => {
    const paddr = hex8(partition.offset + s.dataOffset);
    const size = `${s.length.toString(16).padStart(5, '0')}h (${String(s.length).padStart(6)})`;
    log.i(
      'esp_image',
      `segment ${i}: paddr=${paddr} vaddr=${hex8(s.loadAddr)} size=${size} ${mapped(s.loadAddr) ? 'map' : 'load'}`,
    );
  });
  for (const problem of problems) log.e('esp_image', problem);
  return image !== null && problems.length === 0;
}

/** The app's start-up lines, in the app's own log style. */
function startApp(lines: string[], desc: AppDescription | null): void {
  const log = new Log(lines, desc ? coloured(desc.idfVer) : false, 180);
  const legacy = desc ? major(desc.idfVer) < 5 : false;
  const info = legacy ? 'cpu_start' : 'app_init';
  log.i('cpu_start', 'Multicore app');
  if (desc) {
    log.i(info, 'Application information:');
    log.i(info, `Project name:     ${desc.projectName}`);
    log.i(info, `App version:      ${desc.version}`);
    log.i(info, `Compile time:     ${desc.date} ${desc.time}`);
    log.i(info, `ELF file SHA256:  ${desc.appElfSha256.slice(0, 16)}...`);
    log.i(info, `ESP-IDF:          ${desc.idfVer}`);
  }
  log.i('cpu_start', 'Pro cpu start user code');
  log.i('cpu_start', 'cpu freq: 160000000 Hz');
  log.i('main_task', 'Started on CPU0');
  log.i('main_task', 'Calling app_main()');
}

/** ESP-IDF's log lines: `%c (%u) %s: ` with ANSI colour through v5.3. */
class Log {
  private readonly lines: string[];
  private readonly colour: boolean;
  private ms: number;

  constructor(lines: string[], colour: boolean, ms: number) {
    this.lines = lines;
    this.colour = colour;
    this.ms = ms;
  }

  i(tag: string, text: string) {
    this.line('I', '32', tag, text);
  }

  e(tag: string, text: string) {
    this.line('E', '31', tag, text);
  }

  private line(level: string, colour: string, tag: string, text: string) {
    const line = `${level} (${this.ms}) ${tag}: ${text}`;
    this.lines.push(this.colour ? `\x1b[0;${colour}m${line}\x1b[0m` : line);
    this.ms += 3;
  }
}

/** Whether an IDF version logged in colour by default (`CONFIG_LOG_COLORS`: through v5.3). */
function coloured(idfVer: string): boolean {
  const m = /^v?(\d+)\.(\d+)/.exec(idfVer);
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj < 5 || (maj === 5 && min < 4);
}

function major(idfVer: string): number {
  return Number(/^v?(\d+)/.exec(idfVer)?.[1] ?? 99);
}

/** The bootloader's usage column (`bootloader_utility.c`). */
function usage(p: Partition): string {
  if (p.type === 0) {
    if (p.subtype === 0x00) return 'factory app';
    if (p.subtype === 0x20) return 'test app';
    if (p.subtype >= 0x10 && p.subtype < 0x20) return 'OTA app';
    return 'Unknown app';
  }
  if (p.type === 1) {
    return DATA_USAGE[p.subtype] ?? 'Unknown data';
  }
  return 'unknown';
}

const DATA_USAGE: Record<number, string> = {
  0: 'OTA data',
  1: 'RF data',
  2: 'WiFi data',
  4: 'NVS keys',
  5: 'efuse',
};

function notBootable(p: Partition): string {
  if (p.subtype === 0x00) return 'Factory app partition is not bootable';
  if (p.subtype >= 0x10 && p.subtype < 0x20)
    return `OTA app partition slot ${p.subtype & 0x0f} is not bootable`;
  return 'Test app partition is not bootable';
}

/** DROM and IROM are mapped through the cache; everything else is loaded into RAM. */
function mapped(addr: number): boolean {
  return (addr >= 0x3f400000 && addr < 0x3f800000) || (addr >= 0x400d0000 && addr < 0x40400000);
}

const ROM_MODE: Record<number, string> = { 0: 'QIO', 1: 'QOUT', 2: 'DIO', 3: 'DOUT' };
const CLOCK_DIV: Record<number, number> = { 0: 2, 1: 3, 2: 4, 15: 1 };
const SPI_SPEED: Record<number, string> = { 0: '40MHz', 1: '26.7MHz', 2: '20MHz', 15: '80MHz' };

const hex8 = (value: number) => value.toString(16).padStart(8, '0');
const hex2 = (value: number) => value.toString(16).padStart(2, '0');

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
