/** Removes known secret values from a byte stream before it reaches a log (see src/secrets). */
import { Transform, type TransformCallback } from 'node:stream';
import { REDACTED } from '../secrets/index.ts';

/**
 * A byte stream filter. It holds back the last (longest secret - 1) bytes of each chunk so a
 * secret split across two chunks is still caught; latin1 keeps bytes and characters 1:1.
 */
export class RedactStream extends Transform {
  private readonly secrets: string[];
  private readonly holdBack: number;
  private carry = '';

  constructor(secrets: readonly string[]) {
    super();
    this.secrets = secrets.map((s) => Buffer.from(s, 'utf8').toString('latin1'));
    this.holdBack = Math.max(0, ...this.secrets.map((s) => s.length - 1));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let text = this.carry + chunk.toString('latin1');
    for (const secret of this.secrets) text = text.replaceAll(secret, REDACTED);
    const keep = Math.min(this.holdBack, text.length);
    this.carry = text.slice(text.length - keep);
    const out = text.slice(0, text.length - keep);
    callback(null, out.length > 0 ? Buffer.from(out, 'latin1') : undefined);
  }

  override _flush(callback: TransformCallback): void {
    callback(null, this.carry.length > 0 ? Buffer.from(this.carry, 'latin1') : undefined);
  }
}
