/**
 * Where the configuration comes from: hutctl.yaml (given, found upward from the cwd, the user's,
 * or the system's) and .lxd.env.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const CONFIG_FILE_NAME = 'hutctl.yaml';

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
  const base = env.XDG_CONFIG_HOME?.startsWith('/')
    ? env.XDG_CONFIG_HOME
    : join(env.HOME ?? homedir(), '.config');
  return join(base, 'hutctl', CONFIG_FILE_NAME);
}

/** ${XDG_STATE_HOME:-~/.local/state}/hutctl for `env`: the default state directory. */
export function userStateDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME?.startsWith('/')
    ? env.XDG_STATE_HOME
    : join(env.HOME ?? homedir(), '.local', 'state');
  return join(base, 'hutctl');
}

/**
 * Locates the config file: --config, HUTCTL_CONFIG, hutctl.yaml in the cwd or a parent, the
 * user's (XDG), then the system's. An explicit path is returned even if it does not exist, so
 * reading it reports the mistake.
 */
export function locateConfig(options: LoadOptions = {}): FoundConfig | null {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  if (options.configPath) {
    return { file: resolve(cwd, options.configPath), source: 'option', why: 'given with --config' };
  }
  if (env.HUTCTL_CONFIG) {
    return { file: resolve(cwd, env.HUTCTL_CONFIG), source: 'env', why: 'named by $HUTCTL_CONFIG' };
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) {
      const why = dir === cwd ? 'found in this directory' : 'found in a parent directory';
      return { file: candidate, source: 'project', why };
    }
    if (dirname(dir) === dir) break;
  }
  const user = userConfigPath(env);
  if (existsSync(user)) {
    return { file: user, source: 'user', why: "the user's config ($XDG_CONFIG_HOME/hutctl)" };
  }
  const system = join(options.systemDir ?? SYSTEM_CONFIG_DIR, CONFIG_FILE_NAME);
  if (existsSync(system)) return { file: system, source: 'system', why: 'the system config' };
  return null;
}

/** The config file's path, as locateConfig finds it. */
export function findConfigFile(options: LoadOptions = {}): string | null {
  return locateConfig(options)?.file ?? null;
}

/** The .lxd.env read for the infra target: $LXD_ENV_FILE, or .lxd.env in the cwd. */
export function lxdEnvPath(cwd: string, env: NodeJS.ProcessEnv): string {
  return resolve(cwd, env.LXD_ENV_FILE ?? '.lxd.env');
}
