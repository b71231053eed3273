/**
 * A file's bytes as text and back without loss, and an edit of that text that changes only the
 * bytes of the lines it changes. Bytes that are not UTF-8 become U+DC80+byte (Python's
 * surrogateescape): valid UTF-8 never decodes to a lone surrogate, so the two never mix up.
 */

const FATAL = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LOOSE = new TextDecoder('utf-8', { ignoreBOM: true });

/** UTF-8 text, with each byte that is not part of a valid sequence as U+DC80+byte. */
export function decodeBytes(bytes: Uint8Array): string {
  try {
    return FATAL.decode(bytes);
  } catch {}
  let out = '';
  let run = 0; // start of the current run of valid sequences
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    if (run < i) out += LOOSE.decode(bytes.subarray(run, i));
    out += String.fromCharCode(0xdc00 + bytes[i]!);
    i++;
    run = i;
  }
  if (run < i) out += LOOSE.decode(bytes.subarray(run, i));
  return out;
}

/** The length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or 0. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/**
 * The bytes of `text`: UTF-8, and each lone U+DC80..U+DCFF back to its byte. Any other lone
 * surrogate has no bytes and is refused (values are checked for them before they get here).
 */
export function encodeText(text: string): Buffer {
  if (!/[\ud800-\udfff]/.test(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    } else if (unit < 0xdc00 || unit > 0xdfff) continue;
    if (unit < 0xdc80 || unit > 0xdcff)
      throw new Error(`lone surrogate U+${unit.toString(16).toUpperCase()} at ${i} has no bytes`);
    parts.push(Buffer.from(text.slice(start, i), 'utf8'), Buffer.from([unit - 0xdc00]));
    start = i + 1;
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

export type LineEnd = '' | '\n' | '\r\n';

export interface TextLines {
  /** Each line without its ending; a file that ends with a line break has a last, empty line. */
  lines: string[];
  ends: LineEnd[];
  /** The ending new lines get: the more common one (CRLF only when it is). */
  newline: '\n' | '\r\n';
}

export function splitLines(text: string): TextLines {
  const lines: string[] = [];
  const ends: LineEnd[] = [];
  let crlf = 0;
  let lf = 0;
  let start = 0;
  for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
    const cr = nl > start && text.charCodeAt(nl - 1) === 13;
    lines.push(text.slice(start, cr ? nl - 1 : nl));
    ends.push(cr ? '\r\n' : '\n');
    if (cr) crlf++;
    else lf++;
    start = nl + 1;
  }
  lines.push(text.slice(start));
  ends.push('');
  return { lines, ends, newline: crlf > lf ? '\r\n' : '\n' };
}

/** The text an editor sees: the lines joined by `\n`, whatever their endings. */
export function lfText(file: TextLines): string {
  return file.lines.join('\n');
}

/**
 * `edited` (an editor's `\n`-joined result) in the file's own form: each line the edit kept has
 * its old ending, new and changed lines get the file's, and the last line has none (as in
 * `edited`, so a missing final line break stays missing).
 */
export function applyLines(file: TextLines, edited: string): string {
  const after = edited.split('\n');
  const from = matchLines(file.lines, after);
  let out = '';
  for (let j = 0; j < after.length; j++) {
    const last = j === after.length - 1;
    const i = from[j]!;
    const end = last ? '' : i >= 0 && file.ends[i] !== '' ? file.ends[i]! : file.newline;
    out += after[j] + end;
  }
  return out;
}

/** For each line of `b`, the line of `a` it is kept from, or -1 (a shortest edit script). */
export function matchLines(a: string[], b: string[], maxEdits = 1000): Int32Array {
  const from = new Int32Array(b.length).fill(-1);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) {
    from[head] = head;
    head++;
  }
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    from[b.length - 1 - tail] = a.length - 1 - tail;
    tail++;
  }
  const pairs = myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail), maxEdits);
  for (const [i, j] of pairs) from[head + j] = head + i;
  return from;
}

/** Myers' O(ND) diff: the kept pairs (a index, b index); none when more than `maxEdits` apart. */
function myers(a: string[], b: string[], maxEdits: number): Array<[number, number]> {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return [];
  const limit = Math.min(n + m, maxEdits);
  const off = limit + 1;
  const v = new Int32Array(2 * limit + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!)
          ? v[off + k + 1]!
          : v[off + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) return backtrack(trace, n, m);
    }
  }
  return [];
}

function backtrack(trace: Int32Array[], n: number, m: number): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const snap = trace[d]!; // v before step d, indices -d-1 .. d+1
    const at = (k: number) => snap[k + d + 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = d === 0 ? 0 : prevX - prevK;
    const startX = d === 0 ? 0 : prevK === k + 1 ? prevX : prevX + 1;
    while (x > startX) {
      x--;
      y--;
      pairs.push([x, y]);
    }
    x = prevX;
    y = prevY;
  }
  return pairs;
}
