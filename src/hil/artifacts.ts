/**
 * Artifacts by commit SHA: what the upstream lane built, stored with a manifest (names, sizes,
 * sha256, lane, build profile) so the hardware lane verifies it has exactly that before it
 * flashes anything. The store is a directory any runner can read (local disk or a shared mount):
 * `<store>/<sha>/<profile>/{manifest.json, files…}`, each version written whole or not at all.
 */

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkId, isValidId } from '../contract/ids.ts';
import { HutError, quoteValue } from '../errors/index.ts';
import { parseImage, readAppDescription } from '../esp32/index.ts';
import { makeDirs } from '../files/dirs.ts';
import { pathUnder, writeFileAtomic } from '../files/index.ts';
import { isPrintableLine } from '../format/index.ts';
import {
  checkArtifactDir,
  checkDigest,
  digest,
  finishCopies,
  openEntry,
  stageCopy,
} from './entries.ts';
import {
  type ArtifactFile,
  type ArtifactManifest,
  fileNameProblem,
  readManifest,
} from './manifest.ts';

export type { ArtifactFile, ArtifactManifest } from './manifest.ts';

/** The commit SHA an artifact is stored under (the one id grammar, lower case). */
export function checkSha(sha: string): string {
  return checkId('sha', sha);
}

function checkName(_what: 'profile', value: string): string {
  return checkId('profile', value);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function artifactDir(store: string, sha: string, profile: string): string {
  return pathUnder(store, checkSha(sha), checkName('profile', profile));
}

/** A file to store: a path (stored under its base name), or a path and the name to store it as. */
export type ArtifactSource = string | { name: string; path: string };

/**
 * Stores `files` for `sha`/`profile`, replacing an earlier version in one rename. A name may be
 * a relative path (`bootloader/bootloader.bin`); names that could leave the artifact are refused.
 */
export async function putArtifact(
  store: string,
  sha: string,
  files: ArtifactSource[],
  options: { profile: string; lane: string },
): Promise<ArtifactManifest> {
  const dir = artifactDir(store, sha, options.profile);
  if (files.length === 0) throw new HutError('USAGE', 'name at least one file to store');
  // What verify will accept, put writes: free text stays one printable line.
  if (!isPrintableLine(options.lane))
    throw new HutError('INPUT', `--lane ${quoteValue(options.lane)}: expected one printable line`);
  const sources = files.map((f) => (typeof f === 'string' ? { name: basename(f), path: f } : f));
  const names = new Set<string>();
  for (const { name, path } of sources) {
    const problem = fileNameProblem(name);
    if (problem) throw new HutError('INPUT', `file name ${JSON.stringify(name)}: ${problem}`);
    if (names.has(name))
      throw new HutError('INPUT', `two files would be stored as ${quoteValue(name)}`, {
        hint: 'files are stored under their base names: give each a different one',
      });
    names.add(name);
    let kind: string;
    try {
      const found = await stat(path);
      kind = found.isFile() ? 'file' : found.isDirectory() ? 'a directory' : 'not a regular file';
    } catch {
      kind = 'no such file';
    }
    if (kind !== 'file') throw new HutError('INPUT', `${path}: ${kind}`);
  }
  for (const name of names) {
    const parts = name.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      if (names.has(parts.slice(0, depth).join('/')))
        throw new HutError(
          'INPUT',
          `${parts.slice(0, depth).join('/')} is both a file and a directory`,
        );
    }
  }
  const staging = `${dir}.staging-${process.pid}-${Date.now()}`;
  makeDirs(staging);
  try {
    const entries: ArtifactFile[] = [];
    for (const { name, path } of sources) {
      const target = pathUnder(staging, ...name.split('/'));
      makeDirs(dirname(target));
      await copyFile(path, target);
      entries.push({
        name,
        size: (await stat(target)).size,
        sha256: await sha256File(target),
      });
    }
    const app = await appIdentity(staging, entries);
    const manifest: ArtifactManifest = {
      schema_version: 'hutctl.artifact.v1',
      commit_sha: checkSha(sha),
      profile: options.profile,
      lane: options.lane,
      created_utc: new Date().toISOString(),
      ...(app ? { app } : {}),
      files: entries,
    };
    await writeFileAtomic(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const old = `${dir}.old-${process.pid}-${Date.now()}`;
    await rename(dir, old).catch(() => {});
    await rename(staging, dir);
    await rm(old, { recursive: true, force: true });
    return manifest;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // A SHA directory made for this put and left empty goes too (rmdir leaves a non-empty one).
    await rmdir(dirname(dir)).catch(() => {});
    throw error;
  }
}

/** The validated manifest of a stored artifact, or the error that says there is none. */
async function storedManifest(store: string, sha: string, profile: string) {
  const dir = artifactDir(store, sha, profile);
  const label = `artifact ${checkSha(sha)}/${profile}`;
  const found =
    (await checkArtifactDir(store, checkSha(sha), profile, label)) &&
    (await readManifest(dir, label, { sha: checkSha(sha), profile }));
  if (!found) {
    // Said in the message, which hil's result and JUnit carry too.
    const longer = await storedUnderLonger(store, sha, profile);
    const stored =
      longer.length > 0
        ? ` (stored under a full SHA that begins with it: ${longer.slice(0, 3).join(', ')}${longer.length > 3 ? ', …' : ''})`
        : '';
    throw new HutError(
      'ARTIFACT',
      `no artifact for ${sha} (profile ${profile}) in ${store}${stored}`,
      {
        hint:
          longer.length > 0
            ? `give the SHA it was stored under: artifacts are found by the whole SHA`
            : `the upstream lane stores it with 'hutctl artifact put ${sha} --profile ${profile} <files…>'`,
      },
    );
  }
  return { dir, label, ...found };
}

/**
 * The full SHAs stored with `profile` that begin with `sha`: a short SHA, as `git log --oneline`
 * prints it, for one stored under its full one.
 */
async function storedUnderLonger(store: string, sha: string, profile: string): Promise<string[]> {
  const prefix = sha.toLowerCase();
  const longer: string[] = [];
  for (const name of (await readdir(store).catch(() => [] as string[])).sort()) {
    if (name.length <= prefix.length || !name.startsWith(prefix) || !isValidId('sha', name))
      continue;
    const isDir = await stat(join(store, name, profile)).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (isDir) longer.push(name);
  }
  return longer;
}

/**
 * What an artifact is, as one digest: the sha256 of its file list as `sha256sum` prints it
 * (`<sha256>  <name>`, one line per file, by name). The same build stored again has the same
 * digest, whenever and by whichever lane it was stored; any other byte in any file changes it.
 */
export function artifactDigest(manifest: ArtifactManifest): string {
  const lines = [...manifest.files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((file) => `${file.sha256}  ${file.name}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/** The digest of the artifact stored for `sha`/`profile` now (its manifest's), or null when none is. */
export async function storedArtifactDigest(
  store: string,
  sha: string,
  profile: string,
): Promise<string | null> {
  try {
    return artifactDigest((await storedManifest(store, sha, profile)).manifest);
  } catch (error) {
    if (error instanceof HutError && error.code === 'ARTIFACT') return null;
    throw error;
  }
}

/**
 * Reads and verifies a stored artifact: a valid manifest, every file in it present as a regular
 * file inside the artifact (no link followed), of the size and sha256 recorded.
 */
export async function verifyArtifact(
  store: string,
  sha: string,
  profile: string,
): Promise<{ dir: string; manifest: ArtifactManifest }> {
  const { dir, label, manifest } = await storedManifest(store, sha, profile);
  for (const file of manifest.files) {
    const handle = await openEntry(dir, file.name, label);
    try {
      checkDigest(label, file, await digest(handle));
    } finally {
      await handle.close();
    }
  }
  return { dir, manifest };
}

/**
 * Copies a stored artifact's files to `to`, each at its relative path, verifying the very bytes
 * it copies; nothing is put in place unless every file matched its manifest.
 */
export async function getArtifact(
  store: string,
  sha: string,
  profile: string,
  to: string,
): Promise<ArtifactManifest> {
  const { dir, label, manifest, text } = await storedManifest(store, sha, profile);
  makeDirs(to);
  const staged: Array<{ temp: string; target: string }> = [];
  let complete = false;
  try {
    for (const file of manifest.files) {
      const from = await openEntry(dir, file.name, label);
      try {
        const copy = await stageCopy(to, file.name);
        staged.push(copy);
        try {
          checkDigest(label, file, await digest(from, copy.handle));
        } finally {
          await copy.handle.close();
        }
      } finally {
        await from.close();
      }
    }
    complete = true;
  } finally {
    await finishCopies(staged, complete);
  }
  await writeFileAtomic(join(to, 'manifest.json'), text, { durable: false });
  return manifest;
}

export async function listArtifacts(store: string): Promise<ArtifactManifest[]> {
  const out: ArtifactManifest[] = [];
  for (const sha of await readdir(store).catch(() => [] as string[])) {
    if (sha !== sha.toLowerCase() || !isValidId('sha', sha)) continue;
    for (const profile of await readdir(join(store, sha)).catch(() => [] as string[])) {
      if (
        !isValidId('profile', profile) ||
        profile.includes('.staging-') ||
        profile.includes('.old-')
      )
        continue;
      try {
        const label = `artifact ${sha}/${profile}`;
        if (!(await checkArtifactDir(store, sha, profile, label))) continue;
        const found = await readManifest(join(store, sha, profile), label, { sha, profile });
        if (found) out.push(found.manifest);
      } catch {}
    }
  }
  return out.sort((a, b) => b.created_utc.localeCompare(a.created_utc));
}

/**
 * The app's identity from its `esp_app_desc_t` (project, version, IDF version, ELF SHA-256):
 * the first stored image that carries one. Text fields are kept only when printable.
 */
async function appIdentity(
  dir: string,
  files: ArtifactFile[],
): Promise<ArtifactManifest['app'] | undefined> {
  for (const file of files) {
    if (!file.name.endsWith('.bin') || file.size < 0x100 || file.size > 16 * 1024 * 1024) continue;
    const bytes = await readFile(pathUnder(dir, ...file.name.split('/')));
    if (!parseImage(bytes)) continue;
    const desc = readAppDescription(bytes);
    if (!desc) continue;
    const text = [desc.projectName, desc.version, desc.idfVer];
    if (!text.every((t) => isPrintableLine(t))) continue;
    return {
      file: file.name,
      project_name: desc.projectName,
      version: desc.version,
      idf_ver: desc.idfVer,
      elf_sha256: desc.appElfSha256,
    };
  }
  return undefined;
}
