/**
 * The boot marker: what a board's app prints once it is up (`profiles.<name>.boot_marker`),
 * matched with RE2 (re2js), in time linear in the boot log. With JavaScript's backtracking, a
 * marker such as `(a+)+$` could hold a run at 100 % CPU for good — its slot locked, its boot
 * timeout and every signal unheard. RE2 has no lookaround and no backreferences: a marker that
 * uses them is refused, as one that does not compile is.
 *
 * This module is a bundle of its own (dist/marker.cjs), loaded by `config check` and the
 * hardware lane only.
 */
import { RE2JS } from 're2js';
import type { ConfigProblem, HutConfig } from '../config/index.ts';

/** A compiled marker: `test` says whether a boot log shows it. */
export interface BootMarker {
  test(text: string): boolean;
}

/**
 * Lines an ESP32 prints before its app runs, whatever was flashed: the ROM's (an ESP32's and an
 * ESP32-S3's, in download mode too, and its complaints about a blank or damaged flash) and the
 * second-stage bootloader's, errors included (reference boot logs; the simulated board prints
 * the same). A marker that matches one, an empty line or a lone carriage return (real boards end
 * lines with \r\n) would pass a board whose app never started.
 */
export const BEFORE_THE_APP = [
  'ets Jun  8 2016 00:22:57',
  'rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)',
  'rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))',
  'waiting for download',
  'ESP-ROM:esp32s3-20210327',
  'Build:Mar 27 2021',
  'rst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)',
  'configsip: 0, SPIWP:0xee',
  'clk_drv:0x00,q_drv:0x00,d_drv:0x00,cs0_drv:0x00,hd_drv:0x00,wp_drv:0x00',
  'mode:DIO, clock div:2',
  'load:0x3fff0030,len:7112',
  'entry 0x40080644',
  'I (29) boot: ESP-IDF v5.5 2nd stage bootloader',
  'I (30) boot: compile time Nov 28 2026 12:00:00',
  'I (31) boot: Multicore bootloader',
  'I (35) boot: chip revision: v3.1',
  'I (38) boot.esp32: SPI Speed      : 40MHz',
  'I (43) boot.esp32: SPI Mode       : DIO',
  'I (48) boot.esp32: SPI Flash Size : 4MB',
  'I (52) boot: Enabling RNG early entropy source...',
  'I (58) boot: Partition Table:',
  'I (61) boot: ## Label            Usage          Type ST Offset   Length',
  'I (69) boot:  0 nvs              WiFi data        01 02 00009000 00006000',
  'I (76) boot:  2 factory          factory app      00 00 00010000 00100000',
  'I (84) boot: End of partition table',
  'I (88) esp_image: segment 0: paddr=00010020 vaddr=3f400020 size=0a5b4h ( 42420) map',
  'I (152) boot: Loaded app from partition at offset 0x10000',
  'I (152) boot: Disabling RNG early entropy source...',
  // A blank or damaged flash, a watchdog or software reset: the ROM, then the bootloader.
  'invalid header: 0xffffffff',
  'ets_main.c 371 ',
  'csum err:0x9a!=0x6e',
  'rst:0x10 (RTCWDT_RTC_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)',
  'rst:0x3 (SW_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)',
  'rst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)',
  'E (45) flash_parts: partition 0 invalid magic number 0xffff',
  'E (52) boot: Failed to verify partition table',
  'E (57) boot: load partition table error!',
  'E (84) esp_image: Checksum failed. Calculated 0x12 read 0x34',
  'E (90) esp_image: Image hash failed - image is corrupt',
  'E (95) boot: Factory app partition is not bootable',
  'E (96) boot: OTA app partition slot 0 is not bootable',
  'E (100) boot: No bootable app partitions in the partition table',
  'I (70) boot: Defaulting to factory image',
  'I (72) boot:  1 otadata          OTA data         01 00 0000d000 00002000',
];

/** What else a boot log holds before its app: the line ends and blank lines between. */
const NOTHING_OF_THE_APP = ['', '\r', '\r\n', '\n'];

/** The marker `source` compiled; throws with the reason bootMarkerProblem gives. */
export function compileBootMarker(source: string): BootMarker {
  const checked = check(source);
  if ('problem' in checked) throw new Error(checked.problem);
  const { pattern } = checked;
  return { test: (text) => pattern.matcher(text).find() };
}

/**
 * Why `source` cannot be a boot marker, or null: it must compile (RE2's syntax: no lookaround,
 * no backreferences), be the pattern itself (not `/…/i`), and match none of the lines every
 * ESP32 prints before its app runs.
 */
export function bootMarkerProblem(source: string): string | null {
  const checked = check(source);
  return 'problem' in checked ? checked.problem : null;
}

/**
 * `source` compiled and checked, once per marker in this process: a surface compiles its
 * profiles' markers for each of its slots, and `hil run` checks them before the boards too.
 */
const checkedMarkers = new Map<string, { pattern: RE2JS } | { problem: string }>();

function check(source: string): { pattern: RE2JS } | { problem: string } {
  let checked = checkedMarkers.get(source);
  if (!checked) {
    checked = compileAndCheck(source);
    checkedMarkers.set(source, checked);
  }
  return checked;
}

function compileAndCheck(source: string): { pattern: RE2JS } | { problem: string } {
  if (/^\/.*\/[dgimsuvy]*$/s.test(source))
    return {
      problem: `write the pattern without slashes or flags (${source.replace(/^\/(.*)\/[a-z]*$/s, '$1')}, not ${source})`,
    };
  let pattern: RE2JS;
  try {
    pattern = RE2JS.compile(source);
  } catch (error) {
    return {
      problem: `not a regular expression hutctl can match in linear time (${(error as Error).message.replace(/^error parsing regexp: /, '')}; RE2 syntax: no lookaround, no backreferences)`,
    };
  }
  if (NOTHING_OF_THE_APP.some((text) => pattern.matcher(text).find()))
    return {
      problem:
        'matches an empty line or a line end, which every boot log has before its app runs: give what the app prints once it is up',
    };
  // Each line as a board sends it (\r\n) and as a log shows it.
  const early = BEFORE_THE_APP.find(
    (line) => pattern.matcher(line).find() || pattern.matcher(`${line}\r\n`).find(),
  );
  return early === undefined
    ? { pattern }
    : {
        problem: `matches '${early}', which an ESP32 prints before its app runs: give what the app prints once it is up`,
      };
}

/** The boot markers of the profiles `names` (all when not given) that cannot be used, as config problems. */
export function markerProblems(config: HutConfig, names?: readonly string[]): ConfigProblem[] {
  return Object.values(config.profiles)
    .filter((profile) => names === undefined || names.includes(profile.name))
    .flatMap((profile) => {
      const problem = bootMarkerProblem(profile.bootMarker);
      if (problem === null) return [];
      return [
        {
          file: config.file ?? '(defaults)',
          ...(profile.bootMarkerLine ? { line: profile.bootMarkerLine } : {}),
          path: `profiles.${profile.name}.boot_marker`,
          message: problem,
        },
      ];
    });
}
