/** Reading what came back: media types, JSON bodies, and an error body said in one line. */
import type { IncomingHttpHeaders } from 'node:http';
import { oneLine } from '../format/index.ts';
import { HttpError } from './error.ts';

/** `application/json` from `Application/JSON; charset=utf-8`; null when there is none. */
export function mediaTypeOf(headers: IncomingHttpHeaders): string | null {
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type : null;
}

export function isJsonType(mediaType: string | null): boolean {
  return mediaType === 'application/json' || /^application\/[\w.-]+\+json$/.test(mediaType ?? '');
}

/** `a text/html body`, or a body that names no type. */
export function describeBody(mediaType: string | null): string {
  return mediaType ? `a ${mediaType} body` : 'a body without a content type';
}

export function parseJson(body: Buffer, status: number): unknown {
  if (body.length === 0)
    throw new HttpError('malformed', `${status} with an empty body (expected JSON)`, status);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new HttpError(
      'malformed',
      `${status} with malformed JSON (${oneLine((error as Error).message, 80)})`,
      status,
    );
  }
}

/**
 * An error body on one line: the `message` of a JSON body, a text body itself (`401:
 * Unauthorized`), or what kind of body it was (`a text/html body`) — never raw markup.
 */
export function bodySummary(mediaType: string | null, body: Buffer): string {
  if (body.length === 0) return '(empty body)';
  const text = body.toString('utf8');
  if (isJsonType(mediaType)) {
    try {
      const message = (JSON.parse(text) as { message?: unknown } | null)?.message;
      if (typeof message === 'string' && oneLine(message)) return oneLine(message);
    } catch {}
  }
  if (mediaType === null || mediaType === 'text/plain' || isJsonType(mediaType))
    return oneLine(text) || '(empty body)';
  return `with ${describeBody(mediaType)}`;
}
