/**
 * `build/flash_args`, esptool's `@file` form: each line split as Python's shlex splits it, flash
 * options (line 1 in a real build, `--flash_mode` in v5 or `--flash-mode` in v6 spelling), then
 * `offset path` pairs, in CMake's order (the result is sorted by offset).
 */
import { quoteValue } from '../errors/index.ts';
import {
  artifactError,
  checkedPath,
  type FlashArgs,
  type FlashSettings,
  OPTIONS,
  type Placed,
  parseOffset,
  setSetting,
  settingsOf,
  sortPlaced,
} from './flash-options.ts';
import { ShlexError, shlexSplit } from './shlex.ts';

/** Parses `build/flash_args`; `file` names it in messages. */
export function parseFlashArgs(text: string, file = 'flash_args'): FlashArgs {
  return readFlashArgs(text, file).args;
}

/** `parseFlashArgs`, and the line each file was named on (for the build directory's checks). */
export function readFlashArgs(text: string, file: string): { args: FlashArgs; placed: Placed[] } {
  const tokens: { token: string; line: number }[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, index) => {
    try {
      for (const token of shlexSplit(line)) tokens.push({ token, line: index + 1 });
    } catch (error) {
      if (!(error instanceof ShlexError)) throw error;
      throw artifactError(`${file}:${index + 1}: ${error.message}`);
    }
  });
  const settings = new Map<keyof FlashSettings, string>();
  const placed: Placed[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const { token, line } = tokens[i]!;
    const where = `${file}:${line}`;
    const bad = (problem: string) => artifactError(`${where}: ${problem}`);
    if (token.startsWith('@'))
      throw bad(`${quoteValue(token)}: nested @file arguments are refused`);
    if (token.startsWith('-')) {
      const eq = token.indexOf('=');
      const name = eq > 0 ? token.slice(0, eq) : token;
      const option = OPTIONS[name];
      if (!option)
        throw bad(`unknown option ${quoteValue(token)} (hutctl reads --flash-mode, -freq, -size)`);
      const value = eq > 0 ? token.slice(eq + 1) : tokens[++i]?.token;
      if (value === undefined) throw bad(`${name} has no value`);
      setSetting(settings, option, name, value, bad);
      continue;
    }
    const offset = parseOffset(token);
    if (typeof offset === 'string') throw bad(offset);
    const path = tokens[++i]?.token;
    if (path === undefined) throw bad(`offset ${token} has no file after it`);
    placed.push({ file: { offset, path: checkedPath(path, bad) }, where });
  }
  if (placed.length === 0) throw artifactError(`${file}: names no image to flash`);
  return {
    args: {
      settings: settingsOf(settings),
      files: sortPlaced(placed),
      images: [],
      chip: null,
      before: null,
      after: null,
      stub: null,
    },
    placed,
  };
}
