/** Numbers and text as people read them, for human output and messages of every layer. */

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/**
 * A size and the limit it is over, as a message compares them: rounded (`9.0 MiB`, `8.0 MiB`),
 * unless both round to the same — then in bytes (`8388700 bytes`, `8388608 (8.0 MiB)`), since
 * "1.0 MiB is more than the 1.0 MiB" says nothing.
 */
export function sizeOverLimit(size: number, limit: number): { size: string; limit: string } {
  const [shown, max] = [formatBytes(size), formatBytes(limit)];
  return shown === max
    ? { size: `${size} bytes`, limit: `${limit} (${max})` }
    : { size: shown, limit: max };
}

export function formatDuration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${Math.floor(seconds % 60)}s`;
}

/** The forms `periodMs` takes, as a message says them. */
export const PERIOD_FORMS = 'a period such as 30d, 12h or 2w (hours, days or weeks)';

/** A period as people write it — `12h`, `30d`, `2w` — in milliseconds; null for anything else. */
export function periodMs(text: string): number | null {
  const match = /^([1-9]\d{0,4})([hdw])$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * { h: 3600_000, d: 86400_000, w: 7 * 86400_000 }[match[2] as 'h'];
}

const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/gu;

/** Whether `text` prints as itself on one line: no control, format or separator characters. */
export function isPrintableLine(text: string, max = 200): boolean {
  return text.length <= max && !/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u.test(text);
}

/**
 * Text from outside (a server's error body, a name in a file) made safe for a one-line message:
 * control, format and line-separator characters become spaces, runs of space one, and anything
 * longer than `max` characters is cut with an ellipsis.
 */
export function oneLine(text: string, max = 200): string {
  const flat = text.replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  return `${flat.slice(0, max - 1).replace(/[\ud800-\udbff]$/, '')}…`;
}
