/**
 * The one way a name from outside (an id, a manifest entry, a zip entry) becomes a path: under a
 * root, refused when it would leave it. Lexical, so it also holds for paths that do not exist yet.
 */
import { isAbsolute, join, relative, sep } from 'node:path';
import { HutError } from '../errors/index.ts';

/**
 * A relative path in the form hutctl accepts from outside: `/`-separated segments, none empty,
 * `.` or `..`, no backslash, no control character, within the file system's limits (a segment of
 * at most 255 bytes, the whole of at most 1024). `bootloader/bootloader.bin` is one.
 */
export function checkRelativePath(what: string, value: string): string {
  const problem = relativePathProblem(value);
  if (problem) throw new HutError('INPUT', `${what} ${JSON.stringify(value)}: ${problem}`);
  return value;
}

/** Why `value` is not an acceptable relative path, or null. */
export function relativePathProblem(value: string): string | null {
  if (value === '') return 'is empty';
  if (/[\x00-\x1f\x7f\u0085\u2028\u2029]/.test(value)) return 'holds a control character';
  if (/\p{Cs}/u.test(value)) return 'holds a lone surrogate (not a character)';
  if (value.startsWith('/')) return 'is absolute (it must be relative)';
  if (value.includes('\\')) return 'holds a backslash';
  const segments = value.split('/');
  if (segments.some((s) => s === '..')) return "holds '..' (it must stay inside its directory)";
  if (segments.some((s) => s === '' || s === '.')) return "has an empty or '.' segment";
  if (segments.some((s) => Buffer.byteLength(s) > 255))
    return 'has a segment longer than 255 bytes';
  if (Buffer.byteLength(value) > 1024) return 'is longer than 1024 bytes';
  return null;
}

/** `root/…segments`, refused (INPUT) unless it stays strictly inside `root`. */
export function pathUnder(root: string, ...segments: string[]): string {
  for (const segment of segments) {
    if (segment.includes('\0'))
      throw new HutError('INPUT', `${JSON.stringify(segment)}: holds a NUL byte`);
  }
  const path = join(root, ...segments);
  const rel = relative(root, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new HutError('INPUT', `${JSON.stringify(segments.join('/'))} would lead outside ${root}`);
  }
  return path;
}
