/**
 * A download streamed to a file, never held in memory: the status and content type are checked
 * before a byte is written, and the file stops at the cap (the connection is closed, the caller
 * removes what was written).
 */
import { formatBytes } from '../format/index.ts';
import { bodySummary, describeBody, mediaTypeOf } from './body.ts';
import { HttpError } from './error.ts';
import { exchange, type HttpRequest, readBody } from './request.ts';

/** The most of an error body read to say what it was. */
const ERROR_BODY_MAX = 64 * 1024;

/**
 * GETs `options.url` into `to` (created new, mode 0600; it must not exist). A status other than
 * 2xx fails `status`, a type outside `mediaTypes` fails `content_type`, more than `maxBytes`
 * fails `too_large`.
 */
export async function download(
  options: HttpRequest & { to: string; mediaTypes: string[] },
): Promise<{ bytes: number; url: URL }> {
  return exchange(options, async (answer) => {
    const { res, status, close } = answer;
    if (status < 200 || status >= 300) {
      const body = await readBody(answer, ERROR_BODY_MAX).catch(() => Buffer.alloc(0));
      throw new HttpError(
        'status',
        `${status} ${bodySummary(mediaTypeOf(res.headers), body)}`,
        status,
      );
    }
    const type = mediaTypeOf(res.headers);
    if (type === null || !options.mediaTypes.includes(type)) {
      close();
      throw new HttpError(
        'content_type',
        `${status} with ${describeBody(type)} (expected ${options.mediaTypes.join(' or ')})`,
        status,
      );
    }
    const tooLarge = new HttpError(
      'too_large',
      `${status} with a body larger than ${formatBytes(options.maxBytes)}`,
      status,
    );
    if (Number(res.headers['content-length']) > options.maxBytes) {
      close();
      throw tooLarge;
    }
    // Loaded here: the Home Assistant calls share this module and never download.
    const [{ createWriteStream }, { Transform }, { pipeline }] = await Promise.all([
      import('node:fs'),
      import('node:stream'),
      import('node:stream/promises'),
    ]);
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > options.maxBytes) {
          close();
          callback(tooLarge);
        } else callback(null, chunk);
      },
    });
    await pipeline(res, count, createWriteStream(options.to, { flags: 'wx', mode: 0o600 }));
    if (!res.complete)
      throw new HttpError('broken', `${status}: the connection closed mid-body`, status);
    return { bytes, url: answer.url };
  });
}
