/** Configuration: hutctl.yaml, .lxd.env, and the resolved HutConfig. */
export { type DirWarning, directoryWarnings } from './dirs.ts';
export { CONFIG_FILE_NAME, findConfigFile, type LoadOptions } from './find.ts';
export { CONFIG_MAX_BYTES, type LoadResult } from './load.ts';
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
  type Slot,
  type SlotPower,
  type Target,
  type VmSpec,
} from './types.ts';
