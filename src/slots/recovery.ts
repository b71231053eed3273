/** Reading a board's serial output for the failures a power cycle can cure. */

export interface BootVerdict {
  panic: string | null;
  resets: number;
  bootLoop: boolean;
}

const PANIC =
  /(Guru Meditation Error[^\n]*|abort\(\) was called[^\n]*|assert failed[^\n]*|Task watchdog got triggered[^\n]*)/;
const RESET = /^rst:0x[0-9a-f]+ \(([A-Z_]+)\)/gm;

/** A panic line, how many resets the output shows, and whether that is a reset loop (3 or more). */
export function readBootLog(output: string): BootVerdict {
  const panic = PANIC.exec(output)?.[1]?.trim() ?? null;
  const resets = [...output.matchAll(RESET)].length;
  return { panic, resets, bootLoop: resets >= 3 };
}
