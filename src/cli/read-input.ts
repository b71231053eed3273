/** Reads a file argument, with `-` (or no argument) meaning standard input. */
import { readFile } from 'node:fs/promises';
import { HutError } from '../errors/index.ts';

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
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return { text: Buffer.concat(chunks).toString('utf8'), source: 'stdin' };
  }
  try {
    return { text: await readFile(path, 'utf8'), source: path };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new HutError(
      'INPUT',
      `${path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
    );
  }
}
