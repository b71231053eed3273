/**
 * Fetching the upstream lane's artifact for a commit from GitHub Actions: find the successful
 * workflow run of that SHA, pick its artifact by name, download the zip, and store its files in
 * the artifact store under the SHA (with a manifest), so the hardware lane verifies it as usual.
 * Two REST endpoints: `GET /repos/{o}/{r}/actions/runs?head_sha=` and `…/runs/{id}/artifacts`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { unzipSync } from 'fflate';
import { HutError } from '../errors/index.ts';
import { formatBytes } from '../format/index.ts';
import { type ArtifactManifest, checkSha, putArtifact } from './artifacts.ts';

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

interface WorkflowRun {
  id: number;
  head_sha: string;
  conclusion: string | null;
  status: string;
  updated_at: string;
  name?: string;
}

interface RunArtifact {
  id: number;
  name: string;
  expired: boolean;
  size_in_bytes?: number;
  archive_download_url: string;
}

export async function fetchFromGithub(options: GithubFetchOptions): Promise<ArtifactManifest> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(options.repo))
    throw new HutError('USAGE', `--from-github ${options.repo}: expected owner/repo`);
  const sha = checkSha(options.sha);
  const api = (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  };
  const get = async (url: string) => {
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
    } catch (error) {
      throw new HutError(
        'CONNECT',
        `cannot reach GitHub at ${api}: ${(error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`,
      );
    }
    if (!response.ok) {
      const text = await response.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {}
      const hint =
        response.status === 401 || response.status === 403 || response.status === 404
          ? 'check GITHUB_TOKEN (it needs actions:read on the repository) and the owner/repo'
          : undefined;
      throw new HutError(
        'ARTIFACT',
        `GitHub ${response.status} for ${url.replace(api, '')}: ${message}`,
        hint ? { hint } : {},
      );
    }
    return response;
  };
  const progress = options.progress ?? (() => {});
  progress(`GitHub: looking for a successful workflow run of ${options.repo} for ${sha}`);
  const runs =
    (
      (await (
        await get(
          `${api}/repos/${options.repo}/actions/runs?head_sha=${sha}&status=success&per_page=50`,
        )
      ).json()) as { workflow_runs?: WorkflowRun[] }
    ).workflow_runs ?? [];
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
  const artifacts =
    (
      (await (
        await get(`${api}/repos/${options.repo}/actions/runs/${run.id}/artifacts?per_page=100`)
      ).json()) as { artifacts?: RunArtifact[] }
    ).artifacts ?? [];
  const artifact = artifacts.find((a) => a.name === wanted);
  if (!artifact) {
    throw new HutError(
      'ARTIFACT',
      `run ${run.id} of ${options.repo} has no artifact named ${wanted}`,
      {
        hint: `it has: ${artifacts.map((a) => a.name).join(', ') || 'none'}`,
      },
    );
  }
  if (artifact.expired)
    throw new HutError('ARTIFACT', `artifact ${wanted} of run ${run.id} has expired`);
  const size =
    artifact.size_in_bytes === undefined ? '' : ` (${formatBytes(artifact.size_in_bytes)})`;
  progress(
    `GitHub: run ${run.id}${run.name ? ` (${run.name})` : ''}: downloading ${wanted}${size}`,
  );
  const zip = new Uint8Array(await (await get(artifact.archive_download_url)).arrayBuffer());
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (error) {
    throw new HutError(
      'ARTIFACT',
      `artifact ${wanted} is not a readable zip: ${(error as Error).message}`,
    );
  }
  const work = await mkdtemp(join(tmpdir(), 'hutctl-gh-'));
  try {
    const files: string[] = [];
    for (const [name, data] of Object.entries(entries)) {
      if (name.endsWith('/')) continue;
      const path = join(work, basename(name));
      await writeFile(path, data);
      files.push(path);
    }
    progress(
      `GitHub: unpacked ${files.length} file(s); storing them under ${fullSha.slice(0, 12)}`,
    );
    return await putArtifact(options.store, fullSha, files, {
      profile: options.profile,
      lane: `upstream (GitHub run ${run.id})`,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
