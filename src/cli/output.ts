/** How the CLI speaks: JSON to stdout for --json, short human lines otherwise, errors on stderr. */
import { EXIT_STATUS, isHutError } from '../errors/index.ts';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Progress and notes go to stderr so stdout stays clean for pipes. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Prints an error the way a user should see it and returns the exit status. */
export function reportError(error: unknown, options: { json: boolean; debug: boolean }): number {
  if (isHutError(error)) {
    process.stderr.write(`hutctl: ${error.message}\n`);
    if (error.hint) process.stderr.write(`  ${error.hint}\n`);
    if (options.json) {
      printJson({ error: { code: error.code, message: error.message, hint: error.hint ?? null } });
    }
    if (options.debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT_STATUS[error.code];
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`hutctl: unexpected error: ${message}\n`);
  if (options.debug && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('  run again with --debug for the stack trace, and report it\n');
  return 1;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${Math.floor(seconds % 60)}s`;
}
