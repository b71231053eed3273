/**
 * `build/flasher_args.json` (ESP-IDF's `flasher_args.json.in`): flash settings, `flash_files` by
 * offset, one entry per image (`bootloader`, `app`, `partition-table`, `otadata`) and the
 * `extra_esptool_args`, in the v5 (`hard_reset`) or v6 (`hard-reset`) spelling, through a schema.
 */
import * as z from 'zod/mini';
import '../contract/zod.ts';
import { issuesOf } from '../contract/validate.ts';
import { type HutError, quoteValue } from '../errors/index.ts';
import { hex } from './bytes.ts';
import {
  AFTER,
  artifactError,
  BEFORE,
  checkedPath,
  type FlashArgs,
  type FlashImage,
  type FlashSettings,
  OPTIONS,
  type Placed,
  parseOffset,
  setSetting,
  settingsOf,
  sortPlaced,
} from './flash-options.ts';

const flasherArgsSchema = z.looseObject({
  write_flash_args: z.optional(z.array(z.string())),
  flash_settings: z.looseObject({
    flash_mode: z.string(),
    flash_size: z.string(),
    flash_freq: z.string(),
  }),
  flash_files: z.record(z.string(), z.string()),
  extra_esptool_args: z.optional(
    z.looseObject({
      after: z.optional(z.string()),
      before: z.optional(z.string()),
      stub: z.optional(z.boolean()),
      chip: z.optional(
        z
          .string()
          .check(
            z.regex(/^(auto|esp[0-9a-z]{1,20})$/, { error: 'expected a chip name such as esp32' }),
          ),
      ),
    }),
  ),
});
const imageSchema = z.looseObject({
  offset: z.string(),
  file: z.string(),
  encrypted: z.optional(z.enum(['true', 'false'])),
});
const KNOWN_KEYS = new Set([
  'write_flash_args',
  'flash_settings',
  'flash_files',
  'extra_esptool_args',
]);

/** Parses `build/flasher_args.json`; `file` names it in messages. */
export function parseFlasherArgsJson(text: string, file = 'flasher_args.json'): FlashArgs {
  return readFlasherArgsJson(text, file).args;
}

/** `parseFlasherArgsJson`, and where each file was named (for the build directory's checks). */
export function readFlasherArgsJson(
  text: string,
  file: string,
): { args: FlashArgs; placed: Placed[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw artifactError(`${file}: malformed JSON: ${(error as Error).message}`);
  }
  const at = (path: string, problem: string) => artifactError(`${file}: ${path}: ${problem}`);
  const parsed = flasherArgsSchema.safeParse(value);
  if (!parsed.success) {
    const first = issuesOf(parsed.error)[0]!;
    throw at(first.path, first.message);
  }
  const json = parsed.data;
  // Keys from the document itself: a schema's output drops `__proto__`, which is still a key.
  const raw = value as Record<string, unknown>;
  const settings = new Map<keyof FlashSettings, string>();
  for (const [key, option] of [
    ['flash_mode', OPTIONS['--flash-mode']!],
    ['flash_size', OPTIONS['--flash-size']!],
    ['flash_freq', OPTIONS['--flash-freq']!],
  ] as const) {
    const bad = (problem: string) => at(`$.flash_settings.${key}`, problem);
    setSetting(settings, option, key, json.flash_settings[key], bad);
  }
  if (json.write_flash_args) checkWriteFlashArgs(json.write_flash_args, settingsOf(settings), at);

  const placed: Placed[] = [];
  for (const [key, path] of Object.entries(raw.flash_files as Record<string, string>)) {
    const where = `$.flash_files[${quoteValue(key)}]`;
    const bad = (problem: string) => at(where, problem);
    const offset = parseOffset(key);
    if (typeof offset === 'string') throw bad(offset);
    placed.push({ file: { offset, path: checkedPath(path, bad) }, where: `${file}: ${where}` });
  }
  if (placed.length === 0) throw at('$.flash_files', 'names no image to flash');
  const files = sortPlaced(placed);

  const images: FlashImage[] = [];
  for (const [name, entry] of Object.entries(raw)) {
    if (KNOWN_KEYS.has(name) || !isImageEntry(entry)) continue;
    const where = `$[${quoteValue(name)}]`;
    const image = imageSchema.safeParse(entry);
    if (!image.success) {
      const first = issuesOf(image.error)[0]!;
      throw at(`${where}${first.path.slice(1)}`, first.message);
    }
    const bad = (problem: string) => at(where, problem);
    const offset = parseOffset(image.data.offset);
    if (typeof offset === 'string') throw bad(offset);
    const path = checkedPath(image.data.file, bad);
    const flashed = files.find((f) => f.offset === offset);
    if (flashed && flashed.path !== path)
      throw bad(
        `names ${path} at ${hex(offset)}, but flash_files has ${quoteValue(flashed.path)} there`,
      );
    images.push({ name, offset, path, encrypted: image.data.encrypted === 'true' });
  }

  const extra = json.extra_esptool_args;
  const reset = (key: 'before' | 'after', allowed: string[]) => {
    const raw = extra?.[key];
    if (raw === undefined) return null;
    const dashed = raw.replaceAll('_', '-');
    if (!allowed.includes(dashed))
      throw at(
        `$.extra_esptool_args.${key}`,
        `${quoteValue(raw)} is not one of ${allowed.join(', ')}`,
      );
    return dashed;
  };
  return {
    args: {
      settings: settingsOf(settings),
      files,
      images,
      chip: extra?.chip ?? null,
      before: reset('before', BEFORE),
      after: reset('after', AFTER),
      stub: extra?.stub ?? null,
    },
    placed,
  };
}

function isImageEntry(value: unknown): boolean {
  return typeof value === 'object' && value !== null && ('offset' in value || 'file' in value);
}

/** `write_flash_args` are what pytest-embedded hands esptool: they must say what flash_settings says. */
function checkWriteFlashArgs(
  args: string[],
  settings: FlashSettings,
  at: (path: string, problem: string) => HutError,
) {
  const seen = new Map<keyof FlashSettings, string>();
  for (let i = 0; i < args.length; i++) {
    const bad = (problem: string) => at(`$.write_flash_args[${i}]`, problem);
    const option = OPTIONS[args[i]!];
    if (!option) throw bad(`unknown option ${quoteValue(args[i]!)}`);
    const value = args[i + 1];
    if (value === undefined) throw bad(`${args[i]} has no value`);
    setSetting(seen, option, args[i]!, value, bad);
    if (value !== settings[option.key])
      throw bad(`${args[i]} ${value} disagrees with flash_settings (${settings[option.key]})`);
    i++;
  }
}
