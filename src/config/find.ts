/**
 * Where the configuration comes from: hutctl.yaml (given, found upward from the cwd, the user's,
 * or the system's) and .lxd.env.
 */
import { lstatSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { oneLine } from '../errors/index.ts';
import { xdgDir } from '../files/index.ts';

export const CONFIG_FILE_NAME = 'hutctl.yaml';

/** hutctl.yaml is a few KiB; anything past this is not a config file. */
export const CONFIG_MAX_BYTES = 1024 * 1024;

export interface LoadOptions {
  /** An explicit config path (--config); otherwise HUTCTL_CONFIG, then a search upward. */
  configPath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The system-wide directory searched last (default /etc/hutctl). */
  systemDir?: string;
}

/** Where the config came from, in the order hutctl looks. */
export type ConfigSource = 'option' | 'env' | 'project' | 'user' | 'system';

export interface FoundConfig {
  file: string;
  source: ConfigSource;
  /** Why this file, in a few words, for `config check`. */
  why: string;
}

export const SYSTEM_CONFIG_DIR = '/etc/hutctl';

/** ${XDG_CONFIG_HOME:-~/.config}/hutctl/hutctl.yaml for `env`. */
export function userConfigPath(env: NodeJS.ProcessEnv): string {
  return join(xdgDir(env, 'XDG_CONFIG_HOME', '.config'), 'hutctl', CONFIG_FILE_NAME);
}

/** ${XDG_STATE_HOME:-~/.local/state}/hutctl for `env`: the default state directory. */
export function userStateDir(env: NodeJS.ProcessEnv): string {
  return join(xdgDir(env, 'XDG_STATE_HOME', '.local/state'), 'hutctl');
}

/**
 * Whether a config found by searching may be used: one that anyone else could have put there or
 * could change would let them run commands as this user (a hutctl.yaml planted in /tmp, above
 * everyone's working directories). It must belong to this user or root and be writable by
 * nobody else (and a symbolic link to it must be this user's or root's). Null when it may be used, else why not.
 */
function untrusted(path: string): string | null {
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  const check = (info: { uid: number; mode: number }, what: string) => {
    if (info.uid !== uid && info.uid !== 0)
      return `${what} is owned by uid ${info.uid}, not by you or root`;
    if (info.mode & 0o002) return `${what} is writable by every user`;
    return null;
  };
  const link = lstatSync(path);
  if (link.isSymbolicLink()) {
    // A link's own mode is always 0777 and means nothing: who made it does.
    const problem = check({ uid: link.uid, mode: 0 }, 'the link');
    if (problem) return problem;
  }
  try {
    return check(statSync(path), 'it');
  } catch {
    return null; // a broken link: reading it says so
  }
}

/** Whether something is at `path` (a broken link counts); throws when the directory cannot be read. */
function present(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return false;
    throw error;
  }
}

/**
 * Locates the config file: --config, HUTCTL_CONFIG, hutctl.yaml in the cwd or a parent, the
 * user's (XDG), then the system's. An explicit path is returned even if it does not exist, so
 * reading it reports the mistake. A found file that is not safe to use, or a directory that
 * cannot be searched, is passed over with a warning (`warn`, default: a line on stderr).
 */
export function locateConfig(
  options: LoadOptions = {},
  warn: (line: string) => void = (line) =>
    process.stderr.write(`hutctl: warning: ${oneLine(line)}\n`),
): FoundConfig | null {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  if (options.configPath !== undefined) {
    return { file: resolve(cwd, options.configPath), source: 'option', why: 'given with --config' };
  }
  if (env.HUTCTL_CONFIG) {
    return { file: resolve(cwd, env.HUTCTL_CONFIG), source: 'env', why: 'named by $HUTCTL_CONFIG' };
  }
  const usable = (candidate: string): boolean => {
    try {
      if (!present(candidate)) return false;
      const problem = untrusted(candidate);
      if (problem === null) return true;
      warn(`ignoring ${candidate}: ${problem} (pass --config to use it anyway)`);
    } catch (error) {
      warn(`cannot look for ${candidate}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
    return false;
  };
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (usable(candidate)) {
      const why = dir === cwd ? 'found in this directory' : 'found in a parent directory';
      return { file: candidate, source: 'project', why };
    }
    if (dirname(dir) === dir) break;
  }
  const user = userConfigPath(env);
  if (usable(user)) {
    return { file: user, source: 'user', why: "the user's config" };
  }
  const system = join(options.systemDir ?? SYSTEM_CONFIG_DIR, CONFIG_FILE_NAME);
  if (usable(system)) return { file: system, source: 'system', why: 'the system config' };
  return null;
}

/** Whether `file` sits in the user's or the system's config directory (not in a project). */
export function inConfigHome(
  file: string,
  env: NodeJS.ProcessEnv,
  systemDir = SYSTEM_CONFIG_DIR,
): boolean {
  const dir = dirname(file);
  return dir === dirname(userConfigPath(env)) || dir === resolve(systemDir);
}

/** The config file's path, as locateConfig finds it. */
export function findConfigFile(options: LoadOptions = {}): string | null {
  return locateConfig(options)?.file ?? null;
}

/** The .lxd.env read for the infra target: $LXD_ENV_FILE, or .lxd.env in the cwd. */
export function lxdEnvPath(cwd: string, env: NodeJS.ProcessEnv): string {
  return resolve(cwd, env.LXD_ENV_FILE ?? '.lxd.env');
}
