/**
 * An artifact's manifest.json, read as outside input: through a schema that refuses any file name
 * that could leave the artifact (`..`, absolute, empty segments, backslashes, control characters),
 * a name that is both a file and a directory, duplicates and bad digests — with the manifest's
 * path and the JSON path in the one-line error. Nested names such as `bootloader/bootloader.bin`
 * are what an ESP-IDF build tree holds, and are accepted.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod/mini';
import '../contract/zod.ts';
import { issuesOf } from '../contract/validate.ts';
import { HutError } from '../errors/index.ts';
import { relativePathProblem } from '../files/index.ts';
import { formatBytes, isPrintableLine, oneLine } from '../format/index.ts';

/** A manifest is a few hundred bytes per file; anything near this is not one. */
const MANIFEST_MAX_BYTES = 4 * 1024 * 1024;

/** Why `name` cannot be an artifact file's name, or null. */
export function fileNameProblem(name: string): string | null {
  return (
    relativePathProblem(name) ??
    (name === 'manifest.json' ? 'is the name of the manifest itself' : null)
  );
}

const fileSchema = z.strictObject({
  name: z.string().check(
    z.superRefine((name, ctx) => {
      const problem = fileNameProblem(name);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: name });
    }),
  ),
  size: z.int().check(z.gte(0)),
  sha256: z
    .string()
    .check(z.regex(/^[0-9a-f]{64}$/, { error: 'expected 64 lower-case hex digits' })),
});

/** Printed in logs and listings, so one printable line. */
const line = () =>
  z.string().check(z.refine((s) => isPrintableLine(s), { error: 'expected one printable line' }));

/** The firmware's own identity, read from its `esp_app_desc_t` when the artifact has an app image. */
const appSchema = z.object({
  file: z.string(),
  project_name: line(),
  version: line(),
  idf_ver: line(),
  elf_sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, { error: 'expected 64 hex digits' })),
});

export const manifestSchema = z.looseObject({
  app: z.optional(appSchema),
  schema_version: z.literal('hutctl.artifact.v1'),
  commit_sha: z.string().check(z.regex(/^[0-9a-f]{7,64}$/, { error: 'expected a commit SHA' })),
  profile: line(),
  lane: line(),
  created_utc: line(),
  files: z.array(fileSchema).check(
    z.minLength(1, { error: 'an artifact has at least one file' }),
    z.superRefine((files, ctx) => {
      const names = new Set(files.map((f) => f.name));
      const seen = new Set<string>();
      files.forEach((file, index) => {
        const path = [index, 'name'];
        if (seen.has(file.name))
          ctx.issues.push({ code: 'custom', message: 'named twice', input: file.name, path });
        seen.add(file.name);
        const parts = file.name.split('/');
        for (let depth = 1; depth < parts.length; depth++) {
          if (names.has(parts.slice(0, depth).join('/'))) {
            ctx.issues.push({
              code: 'custom',
              message: `${parts.slice(0, depth).join('/')} is named as a file and as a directory`,
              input: file.name,
              path,
            });
          }
        }
      });
    }),
  ),
});

export type ArtifactManifest = z.infer<typeof manifestSchema>;
export type ArtifactFile = ArtifactManifest['files'][number];

/**
 * Reads `<dir>/manifest.json` (not through a symlink, at most 4 MiB) and checks it against the
 * schema and against where it is stored (`sha`, `profile`); null when there is none. `label`
 * starts every message.
 */
export async function readManifest(
  dir: string,
  label: string,
  expect: { sha: string; profile: string },
): Promise<{ manifest: ArtifactManifest; text: string } | null> {
  const path = join(dir, 'manifest.json');
  const text = await readSmallFile(path, label);
  if (text === null) return null;
  const bad = (where: string, problem: string) =>
    new HutError('ARTIFACT', `${label}: ${path}: ${where}: ${oneLine(problem)}`, {
      hint: 'do not flash it; store the build again from the upstream lane',
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw bad('malformed JSON', (error as Error).message);
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const first = issuesOf(parsed.error)[0]!;
    throw bad(first.path, first.message);
  }
  const manifest = parsed.data;
  if (manifest.commit_sha !== expect.sha)
    throw bad('$.commit_sha', `names ${manifest.commit_sha}, but it is stored under ${expect.sha}`);
  if (manifest.profile !== expect.profile)
    throw bad(
      '$.profile',
      `names ${oneLine(manifest.profile, 64)}, but it is stored under ${expect.profile}`,
    );
  return { manifest, text };
}

async function readSmallFile(path: string, label: string): Promise<string | null> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    if (code === 'ELOOP')
      throw new HutError('ARTIFACT', `${label}: ${path} is a symbolic link (refused)`);
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new HutError('ARTIFACT', `${label}: ${path} is not a regular file`);
    if (stat.size > MANIFEST_MAX_BYTES)
      throw new HutError(
        'ARTIFACT',
        `${label}: ${path} is larger than ${formatBytes(MANIFEST_MAX_BYTES)} (not a manifest)`,
      );
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}
