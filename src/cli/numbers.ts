/** Numbers from flags: whole, within bounds (every duration has a ceiling), or a usage error. */
import { HutError, quoteValue } from '../errors/index.ts';

export function wholeNumber(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new HutError(
      'USAGE',
      `${flag} ${quoteValue(value)}: expected a whole number from ${min} to ${max}`,
    );
  return n;
}
