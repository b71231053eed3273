/** What went wrong in one HTTP exchange, said from the caller's side in one line. */
import { HutError } from '../errors/index.ts';

/**
 * - `unreachable`: no answer at all (refused, unknown host, reset before a response)
 * - `timeout`: no complete answer within the request's time
 * - `too_large`: the body is larger than the caller's cap
 * - `content_type`: a success whose body is not of the type the caller expects
 * - `malformed`: a JSON body that does not parse
 * - `broken`: the answer stopped mid-body or is not HTTP
 * - `redirect`: a redirect that is not followed (too many, to another scheme, no Location)
 * - `status`: a status the caller does not accept (downloads)
 */
export type HttpErrorKind =
  | 'unreachable'
  | 'timeout'
  | 'too_large'
  | 'content_type'
  | 'malformed'
  | 'broken'
  | 'redirect'
  | 'status';

/**
 * A HutError (code CONNECT) so that one a caller does not translate still reaches the user as
 * one clean line; callers put their own context in front (`Home Assistant GET /api/…: …`).
 */
export class HttpError extends HutError {
  readonly kind: HttpErrorKind;
  /** The status of the response it concerns, when one arrived. */
  readonly status: number | undefined;

  constructor(kind: HttpErrorKind, message: string, status?: number) {
    super('CONNECT', message);
    this.name = 'HttpError';
    this.kind = kind;
    this.status = status;
  }
}

export function isHttpError(error: unknown): error is HttpError {
  return error instanceof HttpError;
}
