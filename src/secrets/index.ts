/**
 * Every secret hutctl knows of in this process — the config's `secrets.env` values, the Home
 * Assistant token, the GitLab role files' credentials, the local Codex auth — gathered in one
 * place so that every log, report, error message and handoff entry is redacted the same way.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HutConfig } from '../config/index.ts';
import { parseEnvText } from '../config/lxd-env.ts';
import { homeOf, readTextFile, xdgDir } from '../files/index.ts';

export const REDACTED = '[REDACTED]';

/** Shorter values are too likely to be ordinary words to be worth replacing. */
const MIN_LENGTH = 4;
const known = new Set<string>();

/** Registers a secret value (and its trimmed form) for redaction everywhere in this process. */
export function addSecret(value: string | undefined | null): void {
  if (!value) return;
  for (const v of [value, value.trim()]) if (v.length >= MIN_LENGTH) known.add(v);
}

/** Every secret registered so far, longest first (so one secret inside another is caught whole). */
export function knownSecrets(): string[] {
  return [...known].sort((a, b) => b.length - a.length);
}

/** `text` with every known secret replaced by [REDACTED]. */
export function redact(text: string, secrets: readonly string[] = knownSecrets()): string {
  let out = text;
  for (const secret of secrets) out = out.replaceAll(secret, REDACTED);
  return out;
}

/** The GitLab credential contract's root: `${XDG_CONFIG_HOME:-~/.config}/codex/credentials/gitlab`. */
export function credsRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(xdgDir(env, 'XDG_CONFIG_HOME', '.config'), 'codex', 'credentials', 'gitlab');
}

const GITLAB_SECRETS = ['GITLAB_PAT', 'GITLAB_PASSWORD', 'GITLAB_TOKEN'];

/**
 * Gathers every secret this host's configuration and files name (reading what this user can
 * read; what it cannot read it cannot leak either) and returns them all.
 */
export function collectSecrets(
  config: HutConfig | null,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  for (const name of [...(config?.secretEnv ?? []), 'GITHUB_TOKEN', 'GH_TOKEN'])
    addSecret(env[name]);
  const ha = config?.homeAssistant;
  if (ha?.tokenEnv) addSecret(env[ha.tokenEnv]);
  if (ha?.tokenFile) addSecret(readQuietly(ha.tokenFile));
  // `serve`'s token (its default place): whoever reads it can act on the farm.
  if (config) addSecret(readQuietly(join(config.paths.stateDir, 'serve.token'))?.trim());
  const root = credsRoot(env);
  for (const host of listQuietly(root)) {
    for (const file of listQuietly(join(root, host))) {
      if (!file.endsWith('.env')) continue;
      const text = readQuietly(join(root, host, file));
      if (text === null) continue;
      const { values } = parseEnvText(text, file);
      for (const name of GITLAB_SECRETS) addSecret(values.get(name)?.value);
    }
  }
  // This user's codex, and the codex of every local target that names its own CODEX_HOME.
  const homes = [env.CODEX_HOME || join(homeOf(env), '.codex')];
  for (const target of Object.values(config?.targets ?? {}))
    if (target.transport === 'local' && target.codex?.codexHome) homes.push(target.codex.codexHome);
  for (const codexHome of homes) {
    const auth = readQuietly(join(codexHome, 'auth.json'));
    if (auth === null) continue;
    try {
      collectTokens(JSON.parse(auth));
    } catch {}
  }
  return knownSecrets();
}

/** String values under keys that name a key or a token, at any depth (auth.json's shape varies). */
function collectTokens(value: unknown, key = ''): void {
  if (typeof value === 'string') {
    if (/key|token|secret|password/i.test(key) && value.length >= 8) addSecret(value);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectTokens(v, k);
  }
}

/** A token file, a role file, auth.json: a few KiB at most. */
const SECRET_FILE_MAX_BYTES = 1024 * 1024;

/**
 * The file's text, or null when it cannot be read — a FIFO or a device among them is passed over,
 * not waited on (every command gathers secrets, and one that hangs here hangs them all).
 */
function readQuietly(path: string): string | null {
  try {
    return readTextFile(path, SECRET_FILE_MAX_BYTES);
  } catch {
    return null;
  }
}

function listQuietly(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
