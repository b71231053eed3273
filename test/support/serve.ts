/** `hutctl serve` started for a test, on a free port, against a test farm's config. */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCli } from './cli.ts';
import type { TestFarm } from './farm.ts';

export interface TestServe {
  url: string;
  /** The token (from the token file), or null when serve was started without one. */
  token: string | null;
  tokenFile: string;
  child: ChildProcess;
  /** Everything serve printed on stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startServe(
  t: TestFarm,
  args: string[] = ['--new-token'],
  env: Record<string, string> = {},
): Promise<TestServe> {
  const child = startCli(['serve', '--port', '0', '--json', ...args], {
    cwd: t.dir,
    env: { HUTCTL_CONFIG: t.farm.configPath, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const started = await new Promise<{ url: string; token_file: string | null }>(
    (resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
        try {
          resolve(JSON.parse(stdout));
        } catch {
          // not all of it yet
        }
      });
      child.on('close', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    },
  );
  const tokenFile = started.token_file ?? join(t.dir, 'state', 'serve.token');
  let token: string | null = null;
  try {
    token = readFileSync(tokenFile, 'utf8').trim();
  } catch {}
  return {
    url: started.url,
    token,
    tokenFile,
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null) return;
      const closed = new Promise((resolve) => child.on('close', resolve));
      child.kill('SIGTERM');
      await closed;
    },
  };
}

/** A JSON request to the server: status and body. */
export async function call(
  s: TestServe,
  path: string,
  init: {
    method?: string;
    body?: unknown;
    token?: string | null;
    headers?: Record<string, string>;
  } = {},
  // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields it expects
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...init.headers };
  const token = init.token === undefined ? null : init.token;
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${s.url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, body };
}
