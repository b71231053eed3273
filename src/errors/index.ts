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
  | 'IO';

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
  IO: 1,
};

export class HutError extends Error {
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
  return error instanceof HutError;
}
