/**
 * A local double of the GitHub REST endpoints `artifact get --from-github` uses, per the
 * documented behaviour: workflow runs filtered by `head_sha`, a run's artifacts, and the
 * `archive_download_url` (`/repos/{o}/{r}/actions/artifacts/{id}/zip`) that answers with a
 * redirect to blob storage on another origin, where the signed URL is the credential. Bearer
 * token required by the API; the storage records the authorization headers it was sent.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { zipSync } from 'fflate';

export interface FakeRun {
  id: number;
  head_sha: string;
  conclusion: 'success' | 'failure';
  artifacts: Array<{ name: string; files: Record<string, Uint8Array>; expired?: boolean }>;
}

export interface FakeGithub {
  url: string;
  /** The authorization header of each request blob storage got (it must never get one). */
  storageAuthorization: Array<string | undefined>;
  close(): Promise<void>;
}

export async function startFakeGithub(token: string, runs: FakeRun[]): Promise<FakeGithub> {
  let base = '';
  const storageAuthorization: Array<string | undefined> = [];
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  // Blob storage: the signed URL itself is the credential.
  const storage = createServer((req, res) => {
    storageAuthorization.push(req.headers.authorization);
    const blob = /^\/blob\/(\d+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const artifact = runs
      .flatMap((r) => r.artifacts.map((a, i) => ({ id: r.id * 100 + i, a })))
      .find((x) => x.id === Number(blob?.[1]));
    if (!artifact) return json(res, 404, { message: 'Not Found' });
    return res
      .writeHead(200, { 'content-type': 'application/zip' })
      .end(Buffer.from(zipSync(artifact.a.files)));
  });
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
  const storageUrl = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.headers.authorization !== `Bearer ${token}`)
      return json(401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
      });
    const list = /^\/repos\/[^/]+\/[^/]+\/actions\/runs$/.exec(url.pathname);
    if (list) {
      const sha = url.searchParams.get('head_sha');
      const found = runs.filter((r) => !sha || r.head_sha === sha);
      return json(200, {
        total_count: found.length,
        workflow_runs: found.map((r) => ({
          id: r.id,
          head_sha: r.head_sha,
          status: 'completed',
          conclusion: r.conclusion,
          updated_at: '2026-11-24T10:00:00Z',
        })),
      });
    }
    const arts = /^\/repos\/[^/]+\/[^/]+\/actions\/runs\/(\d+)\/artifacts$/.exec(url.pathname);
    if (arts) {
      const run = runs.find((r) => r.id === Number(arts[1]));
      if (!run) return json(404, { message: 'Not Found' });
      return json(200, {
        total_count: run.artifacts.length,
        artifacts: run.artifacts.map((a, i) => ({
          id: run.id * 100 + i,
          name: a.name,
          expired: a.expired ?? false,
          size_in_bytes: zipSync(a.files).length,
          archive_download_url: `${base}/repos/o/r/actions/artifacts/${run.id * 100 + i}/zip`,
        })),
      });
    }
    const download = /^\/repos\/[^/]+\/[^/]+\/actions\/artifacts\/(\d+)\/zip$/.exec(url.pathname);
    if (download)
      return res.writeHead(302, { location: `${storageUrl}/blob/${download[1]}?sig=x` }).end();
    return json(404, { message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = (s: typeof server) =>
    new Promise<void>((resolve) => {
      s.closeAllConnections();
      s.close(() => resolve());
    });
  return {
    url: base,
    storageAuthorization,
    close: async () => {
      await Promise.all([stop(server), stop(storage)]);
    },
  };
}
