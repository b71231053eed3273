/** Where the configuration comes from: hutctl.yaml found upward from the cwd, and .lxd.env. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const CONFIG_FILE_NAME = 'hutctl.yaml';

export interface LoadOptions {
  /** An explicit config path (--config); otherwise HUTCTL_CONFIG, then a search upward. */
  configPath?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Locates the config file: explicit path, HUTCTL_CONFIG, or hutctl.yaml in cwd or a parent. */
export function findConfigFile(options: LoadOptions = {}): string | null {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const explicit = options.configPath ?? env.HUTCTL_CONFIG;
  if (explicit) return resolve(cwd, explicit);
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/** The .lxd.env read for the infra target: $LXD_ENV_FILE, or .lxd.env in the cwd. */
export function lxdEnvPath(cwd: string, env: NodeJS.ProcessEnv): string {
  return resolve(cwd, env.LXD_ENV_FILE ?? '.lxd.env');
}
