/**
 * The one check for every value hutctl writes into a document: nothing that would change the
 * document's structure gets in. A line break or any other control character would end the line
 * (and could close the `Entries:` fence), a field separator would shift the fields after it, an
 * unescaped `|` would split a table cell, a leading fence would open a code block.
 */
import { HutError } from '../errors/index.ts';
import { redact } from '../secrets/index.ts';

/**
 * Where a value goes: `field` — a handoff-log field (fields are separated by ` | `, with no
 * escape); `cell` — a Markdown table cell (`|` is escaped to `\|`); `line` — text inside a line
 * or a list item (a packet's title, tasks; a `key: value` line).
 */
export type ValueKind = 'field' | 'cell' | 'line';

// C0 and C1 controls (CR, LF, NUL, TAB, ESC, DEL, U+0085 ...), the Unicode line and paragraph
// separators, and unpaired surrogates (they have no UTF-8 form).
const BREAKING =
  /[\x00-\x1f\x7f-\x9f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const NAMES: Record<number, string> = {
  0: 'a NUL byte',
  9: 'a tab',
  10: 'a line break',
  11: 'a vertical tab',
  12: 'a form feed',
  13: 'a carriage return',
  27: 'an escape character',
  127: 'a delete character',
  133: 'a next-line character',
  8232: 'a line separator',
  8233: 'a paragraph separator',
};

/** Why `value` cannot go into a document as `kind`, or null. */
export function valueProblem(value: string, kind: ValueKind): string | null {
  const bad = BREAKING.exec(value);
  if (bad) {
    const code = bad[0].charCodeAt(0);
    const name =
      NAMES[code] ??
      (code >= 0xd800 && code <= 0xdfff ? 'an unpaired surrogate' : 'a control character');
    const at = `U+${code.toString(16).toUpperCase().padStart(4, '0')} at character ${bad.index + 1}`;
    return `holds ${name} (${at})`;
  }
  if (kind === 'field') {
    if (value.includes(' | ')) return 'holds " | " (it separates the fields)';
    if (value.startsWith('|') || value.endsWith('|'))
      return 'starts or ends with "|" (it would run into the field separator)';
  }
  if (kind === 'line' && /^\s*(```|~~~)/.test(value))
    return 'starts with a code fence (``` or ~~~)';
  return null;
}

/**
 * `value` as it goes into the document — a table cell's `|` escaped as `\|`, anything else as
 * given — or a one-line INPUT error that names the document and the value.
 */
export function documentValue(where: string, name: string, value: string, kind: ValueKind): string {
  const problem = valueProblem(value, kind);
  if (problem) {
    throw new HutError('INPUT', `${where}: ${name} ${problem}`, {
      hint: 'give each value on one line, without control characters; the document was left untouched',
    });
  }
  // No secret hutctl knows of goes into the team's documents.
  const safe = redact(value);
  return kind === 'cell' ? escapeCell(safe) : safe;
}

/** A `|` not already escaped becomes `\|` (GitHub's table syntax), so the cell stays one cell. */
export function escapeCell(value: string): string {
  return value.replace(/(?<!\\)\|/g, '\\|');
}

/**
 * Text hutctl did not write itself (a report's summary, a boot-log reason) made fit for `kind`:
 * line breaks and other control characters become spaces, and for a handoff field `|` becomes
 * `/`. What comes out passes `documentValue`.
 */
export function flattenValue(text: string, kind: ValueKind): string {
  let out = text.replace(new RegExp(BREAKING.source, 'g'), ' ').replace(/ {2,}/g, ' ').trim();
  if (kind === 'field') out = out.replaceAll('|', '/');
  if (kind === 'line') out = out.replace(/^[`~]{3,}\s*/, '');
  return out;
}
