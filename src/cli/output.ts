/** How the CLI speaks: JSON to stdout for --json, short human lines otherwise, errors on stderr. */
import { EXIT_STATUS, oneLine as escapeLine, isHutError } from '../errors/index.ts';
import { redact } from '../secrets/index.ts';

/** What the CLI prints of a message: one line, with every known secret redacted. */
const oneLine = (text: string) => escapeLine(redact(text));

/** Everything the CLI prints passes the redactor: no secret hutctl knows of reaches a terminal. */
export function printJson(value: unknown): void {
  process.stdout.write(`${redact(JSON.stringify(value, null, 2))}\n`);
}

export function printLine(line: string): void {
  process.stdout.write(`${redact(line)}\n`);
}

/** Progress and notes go to stderr so stdout stays clean for pipes. */
export function note(line: string): void {
  process.stderr.write(`${redact(line)}\n`);
}

/** Prints an error the way a user should see it and returns the exit status. */
export function reportError(error: unknown, options: { json: boolean; debug: boolean }): number {
  if (isHutError(error)) {
    const message = oneLine(error.message);
    const hint = error.hint === undefined ? undefined : oneLine(error.hint);
    process.stderr.write(`hutctl: ${message}\n`);
    if (hint) process.stderr.write(`  ${hint}\n`);
    if (options.json) printJson({ error: { code: error.code, message, hint: hint ?? null } });
    if (options.debug && error.stack) process.stderr.write(`${error.stack}\n`);
    return EXIT_STATUS[error.code];
  }
  const described = describeFsError(error);
  const fsProblem = described === null ? null : oneLine(described);
  if (fsProblem) {
    const hint = 'check the paths in hutctl.yaml, and that this user may write there';
    process.stderr.write(`hutctl: ${fsProblem}\n  ${hint}\n`);
    if (options.json) printJson({ error: { code: 'IO', message: fsProblem, hint } });
    if (options.debug && error instanceof Error && error.stack)
      process.stderr.write(`${error.stack}\n`);
    return EXIT_STATUS.IO;
  }
  const message = oneLine(error instanceof Error ? error.message : String(error));
  process.stderr.write(`hutctl: unexpected error: ${message}\n`);
  if (options.debug && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  else process.stderr.write('  run again with --debug for the stack trace, and report it\n');
  return 1;
}

const FS_REASONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  EISDIR: 'it is a directory',
  EEXIST: 'a file of that name is in the way',
  ENAMETOOLONG: 'the name is too long',
};
const FS_VERBS: Record<string, string> = {
  mkdir: 'create directory',
  open: 'open',
  rename: 'replace',
  unlink: 'remove',
  rmdir: 'remove',
  scandir: 'list',
  write: 'write to',
  copyfile: 'copy to',
};

/** "cannot create directory /x/y: permission denied" for a file-system error from Node, else null. */
function describeFsError(error: unknown): string | null {
  const e = error as NodeJS.ErrnoException;
  if (!(error instanceof Error) || !e.code || !e.syscall) return null;
  const reason = FS_REASONS[e.code];
  if (!reason) return null;
  // A write to an open file names no path; what went wrong is still the user's to fix.
  const dest = (e as { dest?: string }).dest;
  if (e.syscall === 'copyfile' && e.path && dest)
    return `cannot copy ${e.path} to ${dest}: ${reason}`;
  return e.path
    ? `cannot ${FS_VERBS[e.syscall] ?? e.syscall} ${e.path}: ${reason}`
    : `cannot ${FS_VERBS[e.syscall] ?? e.syscall} a file: ${reason}`;
}
