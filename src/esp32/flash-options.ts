/**
 * The one shape both of an ESP-IDF build's flash files are read into, and the grammar they share:
 * esptool's flash options in both spellings, offsets as esptool reads them, image paths that stay
 * inside the build, and one-line ARTIFACT errors that name the file and the line or JSON key.
 */
import { HutError, oneLine, quoteValue } from '../errors/index.ts';
import { relativePathProblem } from '../files/index.ts';
import { hex } from './bytes.ts';

export interface FlashSettings {
  flashMode: string;
  flashSize: string;
  flashFreq: string;
}

export interface FlashFile {
  offset: number;
  /** Relative to the build directory, `/`-separated. */
  path: string;
}

/** A per-image entry of flasher_args.json (`bootloader`, `app`, `partition-table`, `otadata`). */
export interface FlashImage extends FlashFile {
  name: string;
  encrypted: boolean;
}

export interface FlashArgs {
  /** `keep` where the file does not say (esptool's default). */
  settings: FlashSettings;
  /** Sorted by offset. */
  files: FlashFile[];
  /** flasher_args.json's per-image entries; none from flash_args. */
  images: FlashImage[];
  /** From flasher_args.json's `extra_esptool_args`; null where not said (and from flash_args). */
  chip: string | null;
  /** In esptool v5's dash spelling (`default-reset`, `hard-reset`). */
  before: string | null;
  after: string | null;
  stub: boolean | null;
}

/** The largest flash esptool knows (128MB): nothing can be flashed beyond it. */
export const MAX_FLASH_OFFSET = 0x8000000;

const MODES = ['qio', 'qout', 'dio', 'dout', 'keep'];
const FREQS = ['keep', '80m', '60m', '48m', '40m', '30m', '26m', '24m', '20m', '16m', '15m', '12m'];
const SIZES = 'keep detect 256KB 512KB 1MB 2MB 2MB-c1 4MB 4MB-c1 8MB 16MB 32MB 64MB 128MB'.split(
  ' ',
);
export const BEFORE = ['default-reset', 'usb-reset', 'no-reset', 'no-reset-no-sync'];
export const AFTER = ['hard-reset', 'soft-reset', 'no-reset', 'no-reset-stub', 'watchdog-reset'];
export const OPTIONS: Record<string, { key: keyof FlashSettings; values: string[] }> = {};
for (const [names, key, values] of [
  [['--flash_mode', '--flash-mode', '-fm'], 'flashMode', MODES],
  [['--flash_freq', '--flash-freq', '-ff'], 'flashFreq', FREQS],
  [['--flash_size', '--flash-size', '-fs'], 'flashSize', SIZES],
] as const)
  for (const name of names) OPTIONS[name] = { key, values: [...values] };

/** Each file with where it was named, for messages about it later. */
export interface Placed {
  file: FlashFile;
  where: string;
}

/** One line whatever the file held: line breaks and separators in a key or a reason are escaped. */
export const artifactError = (message: string) =>
  new HutError('ARTIFACT', oneLine(message), {
    hint: 'the build directory is damaged or not an ESP-IDF build; build it again',
  });

/** A flash offset as esptool reads one (`0x10000` or `65536`), or a reason it is not one. */
export function parseOffset(text: string): number | string {
  if (!/^(0[xX][0-9a-fA-F]{1,16}|0|[1-9][0-9]{0,19})$/.test(text))
    return `${quoteValue(text)} is not a flash offset (expected hex like 0x10000)`;
  const value = Number(text);
  if (value >= MAX_FLASH_OFFSET)
    return `offset ${quoteValue(text)} is beyond the largest flash (${hex(MAX_FLASH_OFFSET)})`;
  return value;
}

/** Records one flash option's value: one of the allowed values, and given once. */
export function setSetting(
  settings: Map<keyof FlashSettings, string>,
  option: { key: keyof FlashSettings; values: string[] },
  name: string,
  value: string,
  bad: (problem: string) => HutError,
) {
  if (!option.values.includes(value))
    throw bad(`${name} ${quoteValue(value)} is not one of ${option.values.join(', ')}`);
  if (settings.has(option.key)) throw bad(`${name} is given twice`);
  settings.set(option.key, value);
}

export function settingsOf(settings: Map<keyof FlashSettings, string>): FlashSettings {
  return {
    flashMode: settings.get('flashMode') ?? 'keep',
    flashSize: settings.get('flashSize') ?? 'keep',
    flashFreq: settings.get('flashFreq') ?? 'keep',
  };
}

/** `path` if it is a relative path that stays in the build (`relativePathProblem`). */
export function checkedPath(path: string, bad: (problem: string) => HutError): string {
  const problem = relativePathProblem(path);
  if (problem) throw bad(`image path ${quoteValue(path)} ${problem}`);
  return path;
}

/** Sorted by offset; two images at one offset overlap whatever their sizes (esptool's words). */
export function sortPlaced(placed: Placed[]): FlashFile[] {
  placed.sort((a, b) => a.file.offset - b.file.offset);
  for (let i = 1; i < placed.length; i++) {
    const { file, where } = placed[i]!;
    if (file.offset === placed[i - 1]!.file.offset)
      throw artifactError(
        `${where}: Detected overlap at address: ${hex(file.offset)} for file: ${quoteValue(file.path)}`,
      );
  }
  return placed.map((p) => p.file);
}
