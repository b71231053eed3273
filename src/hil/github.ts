/**
 * Fetching the upstream lane's artifact for a commit from GitHub Actions: find the successful
 * workflow run of that SHA, pick its artifact by name, download the zip, and store its files in
 * the artifact store under the SHA (with a manifest), so the hardware lane verifies it as usual.
 * Two REST endpoints: `GET /repos/{o}/{r}/actions/runs?head_sha=` and `…/runs/{id}/artifacts`.
 * Every answer is outside input: JSON through a schema, the zip streamed to disk under a cap and
 * unpacked by zip.ts, the token sent only to the API's own origin.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { makeDirs } from '../files/dirs.ts';
import '../contract/zod.ts';
import { issuesOf } from '../contract/validate.ts';
import { HutError } from '../errors/index.ts';
import { formatBytes, oneLine } from '../format/index.ts';
import { bodySummary, download as httpDownload, isHttpError, request } from '../http/index.ts';
import { addSecret } from '../secrets/index.ts';
import { type ArtifactManifest, checkSha, putArtifact } from './artifacts.ts';
import { unzipInto } from './zip.ts';

export interface GithubFetchOptions {
  repo: string;
  sha: string;
  profile: string;
  store: string;
  /** Artifact name; `{sha}` and `{profile}` are filled in. */
  name?: string;
  apiUrl?: string;
  token?: string;
  /** Told what is happening (lookup, download with its size, unpacking). */
  progress?: (line: string) => void;
}

/** An API answer: runs and artifact lists are a few KiB per item, 50 or 100 items a page. */
export const GITHUB_API_MAX_BYTES = 8 * 1024 * 1024;
/** The artifact zip: at most this, and at most what the API announced for it. */
export const GITHUB_ZIP_MAX_BYTES = 1024 * 1024 * 1024;
/** What its files may unpack to together, and how many there may be. */
export const GITHUB_UNZIPPED_MAX_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_ENTRIES = 10_000;
const API_TIMEOUT_MS = 60_000;
const DOWNLOAD_TIMEOUT_MS = 15 * 60_000;

const runsSchema = z.looseObject({
  workflow_runs: z.array(
    z.looseObject({
      id: z.int().check(z.positive()),
      head_sha: z.string().check(z.regex(/^[0-9a-f]{40,64}$/, { error: 'expected a commit SHA' })),
      conclusion: z.nullable(z.string()),
      updated_at: z.string(),
      name: z.optional(z.nullable(z.string())),
    }),
  ),
});

const artifactsSchema = z.looseObject({
  artifacts: z.array(
    z.looseObject({
      id: z.int().check(z.positive()),
      name: z.string(),
      expired: z.boolean(),
      size_in_bytes: z.optional(z.int().check(z.gte(0))),
      archive_download_url: z.string(),
    }),
  ),
});

export async function fetchFromGithub(options: GithubFetchOptions): Promise<ArtifactManifest> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(options.repo) || /(^|\/)\.\.?(\/|$)/.test(options.repo))
    throw new HutError('USAGE', `--from-github ${options.repo}: expected owner/repo`);
  const sha = checkSha(options.sha);
  const api = (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  let apiOrigin: string;
  try {
    apiOrigin = new URL(api).origin;
  } catch {
    throw new HutError('USAGE', `GITHUB_API_URL ${JSON.stringify(api)} is not a URL`);
  }
  if (options.token) addSecret(options.token);
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  };
  const get = async <T>(path: string, schema: z.ZodMiniType<T>): Promise<T> => {
    let json: unknown;
    try {
      const response = await request({
        url: `${api}${path}`,
        headers,
        timeoutMs: API_TIMEOUT_MS,
        maxBytes: GITHUB_API_MAX_BYTES,
        expect: 'json',
      });
      if (response.status < 200 || response.status >= 300) {
        throw new HutError(
          'ARTIFACT',
          `GitHub ${response.status} for ${path}: ${bodySummary(response.mediaType, response.body)}`,
          [401, 403, 404].includes(response.status)
            ? {
                hint: 'check GITHUB_TOKEN (it needs actions:read on the repository) and the owner/repo',
              }
            : {},
        );
      }
      json = response.json;
    } catch (error) {
      throw githubError(error, api, path);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const first = issuesOf(parsed.error)[0]!;
      throw new HutError(
        'ARTIFACT',
        `GitHub ${path}: unexpected JSON: ${first.path}: ${oneLine(first.message, 120)}`,
      );
    }
    return parsed.data;
  };
  const progress = options.progress ?? (() => {});
  progress(`GitHub: looking for a successful workflow run of ${options.repo} for ${sha}`);
  const runs = (
    await get(
      `/repos/${options.repo}/actions/runs?head_sha=${sha}&status=success&per_page=50`,
      runsSchema,
    )
  ).workflow_runs;
  const run = runs
    .filter((r) => r.head_sha.startsWith(sha) && r.conclusion === 'success')
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at))[0];
  if (!run)
    throw new HutError('ARTIFACT', `no successful workflow run of ${options.repo} for ${sha}`, {
      hint: 'has the upstream lane finished for this commit?',
    });
  const fullSha = run.head_sha;
  const wanted = (options.name ?? 'firmware-{sha}-{profile}')
    .replaceAll('{sha}', fullSha)
    .replaceAll('{profile}', options.profile);
  const artifacts = (
    await get(
      `/repos/${options.repo}/actions/runs/${run.id}/artifacts?per_page=100`,
      artifactsSchema,
    )
  ).artifacts;
  const artifact = artifacts.find((a) => a.name === wanted);
  if (!artifact) {
    const names = artifacts.slice(0, 20).map((a) => oneLine(a.name, 80));
    throw new HutError(
      'ARTIFACT',
      `run ${run.id} of ${options.repo} has no artifact named ${oneLine(wanted)}`,
      { hint: `it has: ${oneLine(names.join(', '), 400) || 'none'}` },
    );
  }
  if (artifact.expired)
    throw new HutError('ARTIFACT', `artifact ${oneLine(wanted)} of run ${run.id} has expired`);
  let archive: URL;
  try {
    archive = new URL(artifact.archive_download_url);
  } catch {
    throw new HutError(
      'ARTIFACT',
      `artifact ${oneLine(wanted)}: archive_download_url is not a URL`,
    );
  }
  // The token goes with this request; the API's own origin is the only place it may go.
  if (archive.origin !== apiOrigin)
    throw new HutError(
      'ARTIFACT',
      `artifact ${oneLine(wanted)}: archive_download_url is not on ${apiOrigin} (refused: the token would go there)`,
    );
  const announced = artifact.size_in_bytes;
  // The zip is what GitHub stored; its size is known before the download (slack for proxies).
  const maxBytes = Math.min(GITHUB_ZIP_MAX_BYTES, (announced ?? Infinity) + 1024 * 1024);
  const size = announced === undefined ? '' : ` (${formatBytes(announced)})`;
  progress(
    `GitHub: run ${run.id}${run.name ? ` (${oneLine(run.name, 80)})` : ''}: downloading ${oneLine(wanted)}${size}`,
  );
  makeDirs(options.store);
  // Unpacked inside the store, so nothing of it lands anywhere else; `put` renames it in place.
  const work = await mkdtemp(join(options.store, '.fetch-'));
  try {
    const zip = join(work, 'artifact.zip');
    try {
      await httpDownload({
        url: archive,
        headers,
        timeoutMs: DOWNLOAD_TIMEOUT_MS,
        maxBytes,
        redirects: 3,
        to: zip,
        mediaTypes: ['application/zip', 'application/x-zip-compressed', 'application/octet-stream'],
      });
    } catch (error) {
      throw githubError(error, api, `download of ${oneLine(wanted)}`);
    }
    const files = join(work, 'files');
    const names = await unzipInto(zip, files, `artifact ${oneLine(wanted)}`, {
      maxEntries: MAX_ENTRIES,
      maxBytes: GITHUB_UNZIPPED_MAX_BYTES,
    });
    if (names.length === 0)
      throw new HutError('ARTIFACT', `artifact ${oneLine(wanted)} holds no files`);
    if (names.includes('manifest.json'))
      throw new HutError(
        'ARTIFACT',
        `artifact ${oneLine(wanted)} holds a manifest.json of its own`,
      );
    progress(
      `GitHub: unpacked ${names.length} file(s); storing them under ${fullSha.slice(0, 12)}`,
    );
    return await putArtifact(
      options.store,
      fullSha,
      names.map((name) => ({ name, path: join(files, ...name.split('/')) })),
      { profile: options.profile, lane: `upstream (GitHub run ${run.id})` },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** An HTTP failure as the user sees it: CONNECT when GitHub was not reached, ARTIFACT otherwise. */
function githubError(error: unknown, api: string, what: string): unknown {
  if (!isHttpError(error)) return error;
  if (error.kind === 'unreachable' || error.kind === 'timeout')
    return new HutError('CONNECT', `cannot reach GitHub at ${api}: ${error.message}`);
  return new HutError('ARTIFACT', `GitHub ${what}: ${error.message}`);
}
