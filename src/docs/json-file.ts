/** A JSON file of the team's repository (a lint baseline, a markdownlint config), parsed with words. */
import { HutError, oneLine, quoteValue } from '../errors/index.ts';

/** `text`, the contents of `path`, parsed; one INPUT line saying where it is not JSON, else. */
export function parseJsonFile(path: string, text: string, hint: { hint: string }): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HutError('INPUT', `${path}: not valid JSON: ${jsonProblem(text, error)}`, hint);
  }
}

/**
 * Where and why `text` is not JSON, for a one-line message: JSON.parse's own words with the
 * position they give (`… at position 8 (line 1 column 9)`), the end of the text said as a place,
 * and a character it names escaped — an invisible one (a byte order mark) would print as nothing.
 */
function jsonProblem(text: string, error: unknown): string {
  const message = (error as Error).message;
  if (text.trim() === '') return 'it is empty';
  if (message === 'Unexpected end of JSON input') {
    const lines = text.trimEnd().split('\n');
    return `it ends (line ${lines.length} column ${lines.at(-1)!.length + 1}) before the JSON does`;
  }
  // `Unexpected token 'x', "<the text around it>" is not valid JSON`: no position, and the text
  // raw; the character quoted is enough to find it.
  const token = /^Unexpected token '([\s\S]*?)', [\s\S]* is not valid JSON$/.exec(message);
  if (token) {
    const bom = token[1] === '\ufeff' && text.startsWith('\ufeff');
    return `unexpected character ${quoteValue(token[1]!)}${bom ? ' at the start (a byte order mark: save the file without one)' : ''}`;
  }
  return oneLine(message);
}
