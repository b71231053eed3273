/**
 * What a board says it booted: the application information an ESP-IDF app prints at start-up
 * (`app_init:` from IDF 5, `cpu_start:` before), compared with the artifact's `esp_app_desc_t`,
 * so a board that boots old firmware after a "successful" flash is caught.
 */
import type { ArtifactManifest } from './manifest.ts';
import { stripAnsi } from './report.ts';

export interface BootedApp {
  project_name: string | null;
  version: string | null;
  idf_ver: string | null;
}

const field = (log: string, name: string) =>
  new RegExp(`(?:app_init|cpu_start): ${name}:[ \\t]+(\\S[^\\r\\n]*?)[ \\t]*\\r?$`, 'm').exec(
    log,
  )?.[1] ?? null;

/** The identity the boot log printed, or null when it printed none (a quiet log level). */
export function bootedApp(output: string): BootedApp | null {
  const log = stripAnsi(output);
  const app = {
    project_name: field(log, 'Project name'),
    version: field(log, 'App version'),
    idf_ver: field(log, 'ESP-IDF'),
  };
  return app.project_name || app.version ? app : null;
}

/** Why what booted is not the artifact, or null when it is (or when either side says nothing). */
export function bootMismatch(
  booted: BootedApp | null,
  expected: ArtifactManifest['app'] | undefined,
): string | null {
  if (!booted || !expected) return null;
  const differs: string[] = [];
  if (booted.project_name && booted.project_name !== expected.project_name)
    differs.push(`project ${booted.project_name} (the artifact's is ${expected.project_name})`);
  if (booted.version && booted.version !== expected.version)
    differs.push(`version ${booted.version} (the artifact's is ${expected.version})`);
  return differs.length ? `the board booted ${differs.join(' and ')}` : null;
}
