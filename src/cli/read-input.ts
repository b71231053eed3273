/** Reads a file argument, with `-` (or no argument) meaning standard input. */
import { HutError } from '../errors/index.ts';
import { FileReadError, readTextFile } from '../files/index.ts';

/** An invocation, a slot map or a packet is small; this bounds what a mistake can cost. */
const INPUT_MAX_BYTES = 16 * 1024 * 1024;

export async function readInput(
  path: string | undefined,
): Promise<{ text: string; source: string }> {
  if (path === undefined || path === '-') {
    if (process.stdin.isTTY) {
      throw new HutError('USAGE', 'expected a file name, or JSON on standard input', {
        hint: 'pass a file, or pipe it: hutctl job new ... | hutctl job run -',
      });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length;
      if (size > INPUT_MAX_BYTES)
        throw new HutError(
          'INPUT',
          `stdin: more than ${INPUT_MAX_BYTES / 1024 / 1024} MiB of input`,
        );
      chunks.push(chunk as Buffer);
    }
    return { text: Buffer.concat(chunks).toString('utf8'), source: 'stdin' };
  }
  try {
    return { text: readTextFile(path, INPUT_MAX_BYTES), source: path };
  } catch (error) {
    if (error instanceof FileReadError) throw new HutError('INPUT', error.message);
    throw error;
  }
}
