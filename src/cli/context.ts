/** What every command needs from the global options: the config, loaded once. */
import { type HutConfig, requireConfig } from '../config/index.ts';

export interface GlobalOptions {
  config?: string;
  debug?: boolean;
}

export function loadFor(globals: GlobalOptions): HutConfig {
  return requireConfig(globals.config ? { configPath: globals.config } : {});
}
