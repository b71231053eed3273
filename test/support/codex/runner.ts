/**
 * Runner targets whose App Server is the real pinned `codex` in a loopback-only network namespace
 * (`unshare -n`), talking to the scripted mock Responses API (sandbox.mjs, mock-responses.mjs).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../cli.ts';
import { transportTargets } from '../sshd.ts';

export const CODEX = fileURLToPath(
  new URL(
    '../../../node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex',
    import.meta.url,
  ),
);
const SANDBOX = fileURLToPath(new URL('./sandbox.mjs', import.meta.url));
const targets = transportTargets();

/**
 * The `runner` target's YAML. `provider`: `mock` (needs no login), `closed` (its port refuses),
 * `openai` (needs an OpenAI login, as the built-in provider does). `codexKeys`: more keys of its
 * `codex:` block (e.g. `{mcp: 'true'}`), as YAML values.
 */
export function runnerWith(
  kind: 'local' | 'ssh',
  provider: 'mock' | 'closed' | 'openai' = 'mock',
  codexKeys: Record<string, string> = {},
): string {
  const home = join(tempDir('hutctl-codex-'), 'codex-home');
  const work = tempDir('hutctl-codex-work-');
  mkdirSync(home, { recursive: true });
  const codex = [
    `    workdir: ${work}`,
    '    codex:',
    `      command: [env, MOCK_PROVIDER=${provider}, unshare, -n, --, ${process.execPath}, ${SANDBOX}, ${CODEX}, ${home}, app-server]`,
    ...Object.entries(codexKeys).map(([key, value]) => `      ${key}: ${value}`),
  ].join('\n');
  return kind === 'local'
    ? `${targets.local()}\n${codex}`
    : targets.sshd().targetYaml('runner', codex);
}

export { targets };
