/** Python's `shlex.split(line)` (POSIX mode, no comments), which esptool applies to `@file` lines. */

export class ShlexError extends Error {}

/**
 * The tokens of one line: split at spaces, tabs and line ends; `'…'` literal; `"…"` with `\"` and
 * `\\` as the only escapes; `\x` outside quotes is `x`. An empty quoted token is a token.
 */
export function shlexSplit(line: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let inToken = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      if (inToken) tokens.push(token);
      token = '';
      inToken = false;
      continue;
    }
    inToken = true;
    if (c === '\\') {
      if (i + 1 >= line.length) throw new ShlexError('No escaped character');
      token += line[++i];
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new ShlexError('No closing quotation');
      token += line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      for (i++; ; i++) {
        if (i >= line.length) throw new ShlexError('No closing quotation');
        const d = line[i]!;
        if (d === '"') break;
        const next = line[i + 1];
        if (d === '\\' && (next === '"' || next === '\\')) {
          token += next;
          i++;
        } else token += d;
      }
    } else token += c;
  }
  if (inToken) tokens.push(token);
  return tokens;
}
