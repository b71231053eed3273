/** Removes known secret values from a byte stream before it reaches a log (see src/secrets). */
import { Transform, type TransformCallback } from 'node:stream';
import { REDACTED } from '../secrets/index.ts';

/**
 * A byte stream filter. It holds back the end of a chunk that could be the start of a secret, so
 * a secret split across two chunks is still caught (and nothing else waits: output shown live
 * keeps its pace and its order with the other stream); latin1 keeps bytes and characters 1:1.
 */
export class RedactStream extends Transform {
  private readonly secrets: string[];
  private carry = '';

  constructor(secrets: readonly string[]) {
    super();
    this.secrets = secrets
      .map((s) => Buffer.from(s, 'utf8').toString('latin1'))
      .filter((s) => s.length > 0);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let text = this.carry + chunk.toString('latin1');
    for (const secret of this.secrets) text = text.replaceAll(secret, REDACTED);
    const keep = this.held(text);
    this.carry = text.slice(text.length - keep);
    const out = text.slice(0, text.length - keep);
    callback(null, out.length > 0 ? Buffer.from(out, 'latin1') : undefined);
  }

  /** How much of the end of `text` could be the start of a secret (the longest such part). */
  private held(text: string): number {
    let most = 0;
    for (const secret of this.secrets) {
      const first = secret[0]!;
      let at = text.indexOf(first, Math.max(0, text.length - secret.length + 1));
      for (; at >= 0 && text.length - at > most; at = text.indexOf(first, at + 1)) {
        if (secret.startsWith(text.slice(at))) {
          most = text.length - at;
          break;
        }
      }
    }
    return most;
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.carry.length > 0 ? Buffer.from(this.carry, 'latin1') : undefined);
  }
}
