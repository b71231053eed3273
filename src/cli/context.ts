/**
 * What every command needs from the global options. Library layers are loaded on demand so
 * that `hutctl --help` and each command load only the code they use (start-up time counts).
 */
import type { HutConfig } from '../config/index.ts';

export interface GlobalOptions {
  config?: string;
  debug?: boolean;
}

/** The config, with every secret it and this host's files name known from here on (redacted). */
export async function loadFor(globals: GlobalOptions): Promise<HutConfig> {
  const { requireConfig } = await import('../config/index.ts');
  const { collectSecrets } = await import('../secrets/index.ts');
  const config = await requireConfig(globals.config ? { configPath: globals.config } : {});
  collectSecrets(config);
  return config;
}
