/** Configuration: hutctl.yaml, .lxd.env, and the resolved HutConfig. */
export { type DirWarning, directoryWarnings } from './dirs.ts';
// load.ts (the YAML parser and the schema) only through require.ts, when the cache misses: a
// command whose config is cached never loads them.
export { CONFIG_FILE_NAME, CONFIG_MAX_BYTES, findConfigFile, type LoadOptions } from './find.ts';
export type { LoadResult } from './load.ts';
export { parseEnvText, readLxdEnv } from './lxd-env.ts';
export { personAtHost } from './person.ts';
export { loadConfig, requireConfig } from './require.ts';
export { localTarget, resolveTarget } from './targets.ts';
export {
  type ConfigProblem,
  formatProblem,
  type HomeAssistantSettings,
  type HutConfig,
  type PlatformProfile,
  profileNames,
  type Slot,
  type SlotPower,
  type Target,
  type VmSpec,
} from './types.ts';
