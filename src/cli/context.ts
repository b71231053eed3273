/**
 * What every command needs from the global options. Library layers are loaded on demand so
 * that `hutctl --help` and each command load only the code they use (start-up time counts).
 */
import type { HutConfig } from '../config/index.ts';

export interface GlobalOptions {
  config?: string;
  debug?: boolean;
}

export async function loadFor(globals: GlobalOptions): Promise<HutConfig> {
  const { requireConfig } = await import('../config/index.ts');
  return requireConfig(globals.config ? { configPath: globals.config } : {});
}
