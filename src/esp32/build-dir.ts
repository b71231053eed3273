/**
 * An ESP-IDF build directory as hutctl reads it before storing or flashing it: flasher_args.json
 * (else flash_args) says what goes where; every image it names must be a regular file inside the
 * directory, and no two may share a flash sector (esptool's overlap rule).
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { quoteValue } from '../errors/index.ts';
import { FileReadError, readTextFile } from '../files/index.ts';
import { formatBytes } from '../format/index.ts';
import { hex } from './bytes.ts';
import { readFlashArgs } from './flash-args.ts';
import { artifactError, type FlashArgs, MAX_FLASH_OFFSET, type Placed } from './flash-options.ts';
import { readFlasherArgsJson } from './flasher-args-json.ts';

/** flash_args is a few lines and flasher_args.json about 1 KiB; anything near this is not one. */
const ARGS_MAX_BYTES = 64 * 1024;
const SECTOR = 0x1000;

export interface BuildFlashArgs extends FlashArgs {
  /** The file the answer comes from: flasher_args.json when there is one. */
  source: 'flasher_args.json' | 'flash_args';
  /** What to store, relative to the build directory, sorted: the images and the args files. */
  store: string[];
}

/** Reads and validates what `buildDir` (an ESP-IDF `build/`) says to flash. */
export function readBuildFlashArgs(buildDir: string): BuildFlashArgs {
  let root: string;
  try {
    root = realpathSync(buildDir);
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
  } catch {
    throw artifactError(`${buildDir}: not a build directory (it does not exist or is not one)`);
  }
  const jsonPath = join(buildDir, 'flasher_args.json');
  const argsPath = join(buildDir, 'flash_args');
  const jsonText = readArgsFile(jsonPath);
  const argsText = readArgsFile(argsPath);
  if (jsonText === null && argsText === null)
    throw artifactError(
      `${buildDir}: has neither flasher_args.json nor flash_args (is it an ESP-IDF build directory?)`,
    );
  const json = jsonText === null ? null : readFlasherArgsJson(jsonText, jsonPath);
  const args = argsText === null ? null : readFlashArgs(argsText, argsPath);
  if (json && args) checkAgreement(json.args, args.args, buildDir);
  const chosen = (json ?? args)!;

  const sizes = new Map<string, number>();
  const named: Placed[] = [
    ...chosen.placed,
    ...chosen.args.images.map((image) => ({
      file: image,
      where: `${jsonPath}: $[${quoteValue(image.name)}]`,
    })),
  ];
  for (const { file, where } of named)
    if (!sizes.has(file.path)) sizes.set(file.path, imageSize(root, buildDir, file.path, where));
  checkOverlaps(chosen.placed, sizes);

  const store = [...sizes.keys()];
  if (json) store.push('flasher_args.json');
  if (args) store.push('flash_args');
  return {
    ...chosen.args,
    source: json ? 'flasher_args.json' : 'flash_args',
    store: [...new Set(store)].sort(),
  };
}

function readArgsFile(path: string): string | null {
  try {
    if (lstatSync(path).isSymbolicLink())
      throw artifactError(`${path} is a symbolic link (refused)`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    return readTextFile(path, ARGS_MAX_BYTES);
  } catch (error) {
    if (error instanceof FileReadError) throw artifactError(error.message);
    throw error;
  }
}

/** The size of an image file, which must be a regular file inside the build directory. */
function imageSize(root: string, buildDir: string, path: string, where: string): number {
  let real: string;
  try {
    real = realpathSync(join(root, path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw artifactError(
      code === 'ENOENT' || code === 'ENOTDIR'
        ? `${where}: ${quoteValue(path)} does not exist in ${buildDir}`
        : `${where}: ${quoteValue(path)}: ${(error as Error).message}`,
    );
  }
  if (!real.startsWith(root + sep))
    throw artifactError(
      `${where}: ${quoteValue(path)} leads outside ${buildDir} (a symbolic link)`,
    );
  const stat = statSync(real);
  if (!stat.isFile()) throw artifactError(`${where}: ${quoteValue(path)} is not a regular file`);
  if (stat.size === 0)
    throw artifactError(
      `${where}: ${quoteValue(path)} is empty (an ESP-IDF build never writes an empty image)`,
    );
  if (stat.size > MAX_FLASH_OFFSET)
    throw artifactError(
      `${where}: ${quoteValue(path)} is ${formatBytes(stat.size)}, more than any flash holds`,
    );
  return stat.size;
}

/**
 * esptool's rule (`AddrFilenamePairType`): sorted by offset, each image's first sector must lie
 * past the last sector of the one before, so two images never share a sector.
 */
function checkOverlaps(placed: Placed[], sizes: Map<string, number>) {
  let end = 0;
  for (const { file, where } of placed) {
    const size = sizes.get(file.path)!;
    const sectorStart = file.offset & ~(SECTOR - 1);
    const sectorEnd = Math.ceil((file.offset + size) / SECTOR) * SECTOR - 1;
    if (sectorStart < end)
      throw artifactError(
        `${where}: Detected overlap at address: ${hex(file.offset)} for file: ${quoteValue(file.path)}`,
      );
    if (file.offset + size > MAX_FLASH_OFFSET)
      throw artifactError(
        `${where}: ${quoteValue(file.path)} at ${hex(file.offset)} ends beyond the largest flash`,
      );
    end = sectorEnd;
  }
}

/** hutctl reads flasher_args.json, esptool `@flash_args`: they must say the same. */
function checkAgreement(json: FlashArgs, args: FlashArgs, buildDir: string) {
  const say = (f: FlashArgs) => [
    `--flash-mode ${f.settings.flashMode} --flash-size ${f.settings.flashSize} --flash-freq ${f.settings.flashFreq}`,
    ...f.files.map((file) => `${hex(file.offset)} ${quoteValue(file.path)}`),
  ];
  const a = say(json);
  const b = say(args);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      throw artifactError(
        `${buildDir}: flasher_args.json and flash_args disagree: ${a[i] ?? 'nothing'} against ${b[i] ?? 'nothing'}`,
      );
  }
}
