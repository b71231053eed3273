/** Configuration: hutctl.yaml, .lxd.env, and the resolved HutConfig. */
export { CONFIG_FILE_NAME, findConfigFile, loadConfig, requireConfig } from './load.ts';
export { parseEnvText, readLxdEnv } from './lxd-env.ts';
export { localTarget, resolveTarget } from './targets.ts';
export { type ConfigProblem, formatProblem, type HutConfig, type Target } from './types.ts';
