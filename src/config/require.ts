/**
 * Loading the configuration for a command. A validated config is cached next to the user's
 * other caches, keyed by the files it came from (path, size, mtime, inode) and the settings
 * that shape it, so an unchanged config costs a stat instead of a YAML parse and a schema check
 * on every call; any change to those files misses the cache and is read afresh.
 */
import { lstatSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HutError } from '../errors/index.ts';
import {
  homeOf,
  nameHash,
  readTextFile,
  textChecksum,
  writeFileAtomic,
  xdgDir,
} from '../files/index.ts';
import { findConfigFile, type LoadOptions, lxdEnvPath } from './find.ts';
import type { LoadResult } from './load.ts';
import { formatProblem, type HutConfig } from './types.ts';

declare const HUTCTL_VERSION: string | undefined;
const CACHE_FORMAT = `6-${typeof HUTCTL_VERSION === 'string' ? HUTCTL_VERSION : 'dev'}`;

/** Loads everything and collects every problem instead of stopping at the first. */
export async function loadConfig(options: LoadOptions = {}): Promise<LoadResult> {
  const { loadConfig: load } = await import('./load.ts');
  return load(options);
}

/** Loads the config (from the cache when nothing changed); throws one CONFIG error on problems. */
export async function requireConfig(options: LoadOptions = {}): Promise<HutConfig> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const file = findConfigFile(options);
  const key = file === null ? null : cacheKey(file, cwd, env);
  const cachePath = file === null ? null : cacheFile(file, env);
  if (key !== null && cachePath !== null) {
    const cached = readCache(cachePath, key);
    if (cached) return cached;
  }
  const { config, problems } = await loadConfig(options);
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new HutError('CONFIG', `${formatProblem(problems[0]!)}${more}`, {
      hint: "run 'hutctl config check' to list every problem",
      details: problems,
    });
  }
  if (key !== null && cachePath !== null) {
    // The config as text with its digest: an entry changed by hand (or by anything but this
    // writer) is a miss, never a config that was not validated.
    const text = JSON.stringify(config);
    // Something else at its name (a directory) is the cache's own to clear; a cache this user
    // may not even look into only costs speed.
    try {
      if (lstatSync(cachePath, { throwIfNoEntry: false })?.isDirectory())
        rmSync(cachePath, { recursive: true, force: true });
    } catch {}
    // A cache that cannot be written only costs speed.
    await writeFileAtomic(cachePath, JSON.stringify({ key, digest: digest(key, text), text }), {
      mode: 0o600,
    }).catch(() => {});
  }
  return config;
}

function cacheKey(file: string, cwd: string, env: NodeJS.ProcessEnv): string | null {
  const stamp = (path: string) => {
    try {
      const s = statSync(path);
      return [s.size, s.mtimeMs, s.ctimeMs, s.ino];
    } catch {
      return null;
    }
  };
  const own = stamp(file);
  if (own === null) return null;
  const lxd = lxdEnvPath(cwd, env);
  const xdg = [env.XDG_CONFIG_HOME, env.XDG_STATE_HOME];
  return JSON.stringify([CACHE_FORMAT, file, own, lxd, stamp(lxd), homeOf(env), xdg]);
}

function cacheFile(file: string, env: NodeJS.ProcessEnv): string {
  const root = xdgDir(env, 'XDG_CACHE_HOME', '.cache');
  const name = nameHash(file);
  return join(root, 'hutctl', 'config', `${name}.json`);
}

/** A config is at most 1 MiB of YAML; its cached JSON, with every default filled in, a few. */
const CACHE_MAX_BYTES = 8 * 1024 * 1024;

/**
 * The cached config, or null: anything else at that path (a FIFO, a directory, a huge or broken
 * file, one whose config does not match its digest) is a miss, passed over without waiting on
 * it, and replaced when the config is cached.
 */
function readCache(path: string, key: string): HutConfig | null {
  try {
    const entry = JSON.parse(readTextFile(path, CACHE_MAX_BYTES)) as {
      key?: unknown;
      digest?: unknown;
      text?: unknown;
    };
    if (entry.key !== key || typeof entry.text !== 'string') return null;
    if (entry.digest !== digest(key, entry.text)) return null;
    return JSON.parse(entry.text) as HutConfig;
  } catch {
    return null;
  }
}

/** Catches an entry changed by anything but its writer (a checksum: the cache is the user's own). */
const digest = (key: string, text: string) => textChecksum(`${key}\0${text}`);
