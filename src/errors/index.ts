/** The one error type for user-facing failures: a stable code, a message, and what to do next. */

export type HutErrorCode =
  | 'USAGE'
  | 'CONFIG'
  | 'INPUT'
  | 'NOT_FOUND'
  | 'DUPLICATE_JOB'
  | 'LOCK_HELD'
  | 'CONNECT'
  | 'COOLDOWN'
  | 'UNSATISFIABLE'
  | 'ARTIFACT'
  | 'FLASH'
  | 'FAILED'
  | 'IO'
  | 'COMMAND_NOT_FOUND'
  | 'NOT_EXECUTABLE'
  | 'INTERRUPTED';

/** Exit status for each code; job outcomes (0/1/124/130) are reported, not thrown. */
export const EXIT_STATUS: Record<HutErrorCode, number> = {
  USAGE: 2,
  CONFIG: 1,
  INPUT: 2,
  NOT_FOUND: 1,
  DUPLICATE_JOB: 2,
  LOCK_HELD: 75,
  CONNECT: 255,
  COOLDOWN: 75,
  UNSATISFIABLE: 2,
  ARTIFACT: 1,
  FLASH: 1,
  /** A command that ran on a host and failed there (its own message says how). */
  FAILED: 1,
  IO: 1,
  /** A program to run on this host is not there, or cannot be run: as a shell says it. */
  COMMAND_NOT_FOUND: 127,
  NOT_EXECUTABLE: 126,
  /** Ctrl-C, SIGTERM or SIGHUP: the command stopped in order (as a shell reports SIGINT). */
  INTERRUPTED: 130,
};

/** Marks hutctl's errors across bundles (dist/flash.cjs has its own copy of this class). */
const BRAND = Symbol.for('hutctl.HutError');

export class HutError extends Error {
  readonly [BRAND] = true;
  readonly code: HutErrorCode;
  readonly hint: string | undefined;
  readonly details: unknown;

  constructor(
    code: HutErrorCode,
    message: string,
    options: { hint?: string; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HutError';
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }
}

export function isHutError(error: unknown): error is HutError {
  return (
    error instanceof HutError ||
    (typeof error === 'object' &&
      error !== null &&
      (error as { [BRAND]?: unknown })[BRAND] === true)
  );
}

/**
 * A value from outside, quoted for a one-line message: JSON-escaped (so a line break, NUL or
 * lone surrogate shows as an escape), line separators, direction marks and characters that print
 * as nothing (a zero-width space, a byte order mark) escaped too, and cut at `max` characters.
 */
export function quoteValue(value: string, max = 80): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut).replace(
    /[\u0085\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Text made safe to print as one line: control characters and line separators escaped. */
export function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (ch) =>
    ch === '\t' ? ' ' : `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
