/**
 * What `artifact put` stores, and under which names — the build's tree kept, so a flasher reading
 * `flash_args` (`bootloader/bootloader.bin`, …) finds every file where ESP-IDF put it:
 *  - `--build-dir build/`: exactly the images flasher_args.json (else flash_args) names, plus
 *    those files, at their paths relative to the build directory;
 *  - a directory: every regular file under it, at its path relative to that directory;
 *  - a relative file path: that path (`bootloader/bootloader.bin` stays so);
 *  - an absolute file path: its base name.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join, normalize, relative } from 'node:path';
import { HutError, quoteValue } from '../errors/index.ts';
import { readBuildFlashArgs } from '../esp32/index.ts';
import type { ArtifactSource } from './artifacts.ts';

export function artifactSources(options: { files: string[]; buildDir?: string }): ArtifactSource[] {
  const sources: ArtifactSource[] = [];
  if (options.buildDir) {
    const build = readBuildFlashArgs(options.buildDir);
    for (const name of build.store) sources.push({ name, path: join(options.buildDir, name) });
  }
  for (const file of options.files) {
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(file);
    } catch {
      throw new HutError('INPUT', `${file}: no such file or directory`);
    }
    if (stat.isSymbolicLink())
      throw new HutError('INPUT', `${quoteValue(file)} is a symbolic link; give the file itself`);
    if (stat.isDirectory()) sources.push(...treeOf(file));
    else if (isAbsolute(file)) sources.push({ name: basename(file), path: file });
    else sources.push({ name: normalize(file).split('\\').join('/'), path: file });
  }
  return sources;
}

/** Every regular file under `dir`, named relative to it; a link inside is refused, not followed. */
function treeOf(dir: string): ArtifactSource[] {
  const out: ArtifactSource[] = [];
  const walk = (at: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) out.push({ name: relative(dir, path).split('\\').join('/'), path });
      else
        throw new HutError(
          'INPUT',
          `${quoteValue(path)} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; an artifact holds regular files only`,
        );
    }
  };
  walk(dir);
  if (out.length === 0) throw new HutError('INPUT', `${dir}: no files in it`);
  return out;
}
