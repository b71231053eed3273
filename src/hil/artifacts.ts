/**
 * Artifacts by commit SHA: what the upstream lane built, stored with a manifest (names, sizes,
 * sha256, lane, build profile) so the hardware lane verifies it has exactly that before it
 * flashes anything. The store is a directory any runner can read (local disk or a shared mount):
 * `<store>/<sha>/<profile>/{manifest.json, files…}`, each version written whole or not at all.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { HutError } from '../errors/index.ts';
import { writeFileAtomic } from '../files/index.ts';

export interface ArtifactFile {
  name: string;
  size: number;
  sha256: string;
}

export interface ArtifactManifest {
  schema_version: 'hutctl.artifact.v1';
  commit_sha: string;
  profile: string;
  lane: string;
  created_utc: string;
  files: ArtifactFile[];
}

const SHA = /^[0-9a-f]{7,64}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkSha(sha: string): string {
  const lower = sha.toLowerCase();
  if (!SHA.test(lower))
    throw new HutError('INPUT', `${JSON.stringify(sha)} is not a commit SHA (7 to 64 hex digits)`);
  return lower;
}

function checkName(what: string, value: string): string {
  if (!NAME.test(value))
    throw new HutError(
      'INPUT',
      `${what} ${JSON.stringify(value)}: letters, digits, '.', '_', '-' only`,
    );
  return value;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function artifactDir(store: string, sha: string, profile: string): string {
  return join(store, checkSha(sha), checkName('profile', profile));
}

/** Stores `files` for `sha`/`profile`, replacing an earlier version in one rename. */
export async function putArtifact(
  store: string,
  sha: string,
  files: string[],
  options: { profile: string; lane: string },
): Promise<ArtifactManifest> {
  const dir = artifactDir(store, sha, options.profile);
  if (files.length === 0) throw new HutError('USAGE', 'name at least one file to store');
  const names = new Set<string>();
  for (const file of files) {
    const name = checkName('file name', basename(file));
    if (names.has(name)) throw new HutError('INPUT', `two files are named ${name}`);
    names.add(name);
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
    } catch {
      throw new HutError('INPUT', `${file}: no such file`);
    }
  }
  const staging = `${dir}.staging-${process.pid}-${Date.now()}`;
  await mkdir(staging, { recursive: true });
  try {
    const entries: ArtifactFile[] = [];
    for (const file of files) {
      const target = join(staging, basename(file));
      await copyFile(file, target);
      entries.push({
        name: basename(file),
        size: (await stat(target)).size,
        sha256: await sha256File(target),
      });
    }
    const manifest: ArtifactManifest = {
      schema_version: 'hutctl.artifact.v1',
      commit_sha: checkSha(sha),
      profile: options.profile,
      lane: options.lane,
      created_utc: new Date().toISOString(),
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
    throw error;
  }
}

/** Reads and verifies a stored artifact: every file present, of the size and sha256 recorded. */
export async function verifyArtifact(
  store: string,
  sha: string,
  profile: string,
): Promise<{ dir: string; manifest: ArtifactManifest }> {
  const dir = artifactDir(store, sha, profile);
  let manifest: ArtifactManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ArtifactManifest;
  } catch {
    throw new HutError('ARTIFACT', `no artifact for ${sha} (profile ${profile}) in ${store}`, {
      hint: `the upstream lane stores it with 'hutctl artifact put ${sha} --profile ${profile} <files…>'`,
    });
  }
  for (const file of manifest.files) {
    const path = join(dir, file.name);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw new HutError('ARTIFACT', `artifact ${sha}/${profile}: ${file.name} is missing`);
    }
    const digest = await sha256File(path);
    if (size !== file.size || digest !== file.sha256) {
      throw new HutError(
        'ARTIFACT',
        `artifact ${sha}/${profile}: ${file.name} is corrupt (sha256 ${digest.slice(0, 12)}…, manifest says ${file.sha256.slice(0, 12)}…)`,
        {
          hint: 'do not flash it; store the build again from the upstream lane',
        },
      );
    }
  }
  return { dir, manifest };
}

/** Copies a verified artifact's files to `to`. */
export async function getArtifact(
  store: string,
  sha: string,
  profile: string,
  to: string,
): Promise<ArtifactManifest> {
  const { dir, manifest } = await verifyArtifact(store, sha, profile);
  await mkdir(to, { recursive: true });
  for (const file of [...manifest.files.map((f) => f.name), 'manifest.json']) {
    await copyFile(join(dir, file), join(to, file));
  }
  return manifest;
}

export async function listArtifacts(store: string): Promise<ArtifactManifest[]> {
  const out: ArtifactManifest[] = [];
  for (const sha of await readdir(store).catch(() => [] as string[])) {
    if (!SHA.test(sha)) continue;
    for (const profile of await readdir(join(store, sha)).catch(() => [] as string[])) {
      if (profile.includes('.staging-') || profile.includes('.old-')) continue;
      try {
        out.push(
          JSON.parse(
            await readFile(join(store, sha, profile, 'manifest.json'), 'utf8'),
          ) as ArtifactManifest,
        );
      } catch {}
    }
  }
  return out.sort((a, b) => b.created_utc.localeCompare(a.created_utc));
}
