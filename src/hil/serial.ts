/** Capturing a board's serial output for a time budget, judged as it arrives. */
import { closeSync, constants, openSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { isatty, ReadStream } from 'node:tty';
import { oneLine } from '../errors/index.ts';
import { STTY_MS, type Stty, stty } from '../flash/stty.ts';
import { localKeeper } from '../keeper/index.ts';
import { shellQuote } from '../transport/index.ts';
import { stripAnsi } from './report.ts';

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
 * Reads `port` until the marker, a panic, a reset loop, or the budget runs out. The port is
 * opened here and read through a tty stream (a read that has nothing waits in the event loop,
 * never in a thread), so the reader never outlives hutctl and never takes the next job's boot
 * output; its line speed and raw mode are set by `stty` (see keptStty).
 */
export async function captureBoot(
  port: string,
  options: {
    /** The boot marker (hil/marker.ts; anything with `test`). */
    marker: { test(text: string): boolean };
    timeoutMs: number;
    baud: number;
    onData?: (chunk: string) => void;
    /** Run once the reader is started (a serial reset: what the board prints is not missed). */
    begin?: () => Promise<void>;
    /** Stops the reading (Ctrl-C): judged a hang with what was read so far. */
    signal?: AbortSignal;
  },
): Promise<BootJudgement> {
  const began = performance.now();
  let output = '';
  const unread = (detail: string): BootJudgement => ({
    outcome: 'no_port',
    detail,
    reset_reason: null,
    resets: 0,
    elapsed_ms: Math.round(performance.now() - began),
    output,
  });
  let fd: number;
  try {
    fd = openSync(port, constants.O_RDONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
  } catch (error) {
    return unread(`cannot read ${port}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  if (!isatty(fd)) {
    closeSync(fd);
    return unread(`${port} is not a serial port (not a terminal)`);
  }
  try {
    // As the flasher sets it: a port whose carrier line is not wired reads too.
    await keptStty(port, fd, [String(options.baud), 'raw', '-echo', 'clocal', 'cread']);
  } catch (error) {
    closeSync(fd);
    return unread(
      `${port}: stty could not set ${options.baud} baud, raw mode (${oneLine((error as Error).message)})`,
    );
  }
  const input = new ReadStream(fd);
  const decoder = new StringDecoder('utf8');
  let onChunk: (chunk: string) => void = () => {};
  input.on('data', (chunk: Buffer) => onChunk(decoder.write(chunk)));
  let stop: (outcome: BootJudgement['outcome'], detail: string | null) => void = () => {};
  const judged = new Promise<BootJudgement>((resolve) => {
    let done = false;
    const finish = (outcome: BootJudgement['outcome'], detail: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', interrupted);
      input.destroy();
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
      const tail = output
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean)
        .slice(-2)
        .join(' | ');
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
    // The port went away (a board's USB bridge loses power) or cannot be read: said in one line,
    // with the last line the board printed (the whole output is the caller's, in `output`).
    const gone = (why: string) => {
      const last = output.trim().split(/\r?\n/).at(-1) ?? '';
      const shown = oneLine(stripAnsi(last)).slice(0, 120);
      finish('no_port', `${port} ${why}${shown ? `; last output: ${shown}` : ''}`);
    };
    input.on('error', (error: NodeJS.ErrnoException) =>
      gone(
        output
          ? `went away while its boot log was read (board unplugged or powered off?; ${error.code ?? error.message})`
          : `cannot be read (${error.code ?? error.message})`,
      ),
    );
    input.once('end', () =>
      gone('went away while its boot log was read (board unplugged or powered off?)'),
    );
    // Interrupted (Ctrl-C): judged with what was read so far, as a hang the caller knows of.
    const interrupted = () => finish('hang', 'interrupted');
    if (options.signal?.aborted) interrupted();
    else options.signal?.addEventListener('abort', interrupted, { once: true });
    stop = finish;
  });
  try {
    await options.begin?.();
  } catch (error) {
    stop('no_port', `${port}: ${(error as Error).message}`);
  }
  return judged;
}

/**
 * `stty args` on the open port `fd` at `path`. Through the keeper when it runs (`stty -F`, the
 * port already open here): only that small process forks, never hutctl's much larger one — on a
 * small VM 10–30 ms of hutctl's event loop each time, and in `hil surface` once per slot for the
 * boot log and again for the flasher. Otherwise, or to have stty's own words for a failure, on
 * our open file as its standard input.
 */
export const keptStty: Stty = async (path, fd, args) => {
  const keeper = await localKeeper();
  if (keeper) {
    const step = keeper.start({
      command: ['stty', '-F', path, ...args].map(shellQuote).join(' '),
      workdir: '',
      loginShell: false,
      logPath: '/dev/null',
    });
    const timer = setTimeout(() => step.signal('SIGKILL'), STTY_MS);
    const { exitCode } = await step.done.finally(() => clearTimeout(timer));
    if (exitCode === 0) return;
  }
  await stty(fd, args);
};
