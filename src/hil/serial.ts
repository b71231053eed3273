/** Capturing a board's serial output for a time budget, judged as it arrives. */
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { localTarget } from '../config/index.ts';
import { startStep } from '../jobs/index.ts';
import { LocalTransport, shellQuote } from '../transport/index.ts';

export interface BootJudgement {
  outcome: 'booted' | 'panic' | 'reset_loop' | 'hang' | 'no_port';
  /** The panic line, quoted, or the last lines before a hang. */
  detail: string | null;
  reset_reason: string | null;
  resets: number;
  elapsed_ms: number;
  output: string;
}

const PANIC =
  /(Guru Meditation Error[^\r\n]*|abort\(\) was called[^\r\n]*|assert failed[^\r\n]*|Task watchdog got triggered[^\r\n]*)/;
const RESET = /^rst:0x[0-9a-f]+ \(([A-Z_0-9]+)\)/gm;
/** What a chip prints before it resets itself: the ROM's words and ESP-IDF's error lines. */
const BOOT_ERROR =
  /^(?:\x1b\[[0-9;]*m)?(?:E \(\d+\) ([^\r\n]*?)(?:\x1b\[0m)?|(invalid header: 0x[0-9a-f]+|csum err:[^\r\n]*|flash read err[^\r\n]*))\r?$/gm;

/** `; the board said: <first error>; <last error>` of the first boot that failed, or nothing. */
function saidBefore(output: string): string {
  const second = [...output.matchAll(RESET)][1]?.index ?? output.length;
  const errors = [...output.slice(0, second).matchAll(BOOT_ERROR)].map((m) => (m[1] ?? m[2])!);
  if (errors.length === 0) return '';
  const said = errors.length <= 2 ? errors.join('; ') : `${errors[0]}; …; ${errors.at(-1)}`;
  return `; the board said: ${said}`;
}

/**
 * Reads `port` (via `stty` + `cat`, so a stuck read never blocks hutctl) until the marker, a
 * panic, a reset loop, or the budget runs out. The reader runs as a job step does, so it never
 * outlives hutctl: a hutctl that dies leaves no reader to take the next job's boot output.
 */
export async function captureBoot(
  port: string,
  options: {
    marker: RegExp;
    timeoutMs: number;
    baud: number;
    onData?: (chunk: string) => void;
    /** Run once the reader is started (a serial reset: what the board prints is not missed). */
    begin?: () => Promise<void>;
  },
): Promise<BootJudgement> {
  const began = performance.now();
  let output = '';
  let onChunk: (chunk: string) => void = () => {};
  const decoder = new StringDecoder('utf8');
  const reader = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      onChunk(decoder.write(chunk));
      callback();
    },
  });
  const step = await startStep({
    transport: new LocalTransport(localTarget()),
    command: `stty -F ${shellQuote(port)} ${options.baud} raw -echo 2>/dev/null; exec cat ${shellQuote(port)}`,
    workdir: undefined,
    loginShell: false,
    output: { stdout: [reader], stderr: [reader] },
  });
  let stop: (outcome: BootJudgement['outcome'], detail: string | null) => void = () => {};
  const judged = new Promise<BootJudgement>((resolve) => {
    let done = false;
    const finish = (outcome: BootJudgement['outcome'], detail: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      step.signal('KILL');
      const resets = [...output.matchAll(RESET)];
      resolve({
        outcome,
        detail,
        reset_reason: resets[0]?.[1] ?? null,
        resets: resets.length,
        elapsed_ms: Math.round(performance.now() - began),
        output,
      });
    };
    const timer = setTimeout(() => {
      const tail = output.trim().split(/\r?\n/).slice(-2).join(' | ');
      finish('hang', tail ? `last output: ${tail}` : 'no output at all');
    }, options.timeoutMs);
    onChunk = (chunk) => {
      if (done || !chunk) return;
      output += chunk;
      options.onData?.(chunk);
      const panic = PANIC.exec(output);
      if (panic) return finish('panic', panic[1]!.trim());
      if ([...output.matchAll(RESET)].length >= 3)
        return finish(
          'reset_loop',
          `${[...output.matchAll(RESET)].length} resets without reaching the boot marker${saidBefore(output)}`,
        );
      if (options.marker.test(output)) finish('booted', null);
    };
    // The reader ended by itself: the port could not be read (cat says why).
    void step.done.then(() => finish('no_port', output.trim() || `cannot read ${port}`));
    stop = finish;
  });
  try {
    await options.begin?.();
  } catch (error) {
    stop('no_port', `${port}: ${(error as Error).message}`);
  }
  return judged;
}
