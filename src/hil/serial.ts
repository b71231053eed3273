/** Capturing a board's serial output for a time budget, judged as it arrives. */
import { spawn } from 'node:child_process';

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

// cat reads the port; a watcher ends it when our end of stdin closes, so a hutctl that dies
// leaves no reader behind to take the next job's boot output. The script ends when cat does.
const CAPTURE = `stty -F "$1" "$2" raw -echo 2>/dev/null
exec 3<&0
cat "$1" <&- & cat=$!
(read -r _ <&3; kill "$cat" 2>/dev/null) >/dev/null 2>&1 &
watcher=$!
exec 3<&-
wait "$cat"; status=$?
kill "$watcher" 2>/dev/null
exit "$status"`;

/** Reads `port` (via `stty` + `cat`, so a stuck read never blocks hutctl) until the marker, a panic, a reset loop, or the budget runs out. */
export function captureBoot(
  port: string,
  options: { marker: RegExp; timeoutMs: number; baud: number; onData?: (chunk: string) => void },
): Promise<BootJudgement> {
  const began = performance.now();
  const child = spawn('sh', ['-c', CAPTURE, 'hutctl-serial', port, String(options.baud)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  let stderr = '';
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: BootJudgement['outcome'], detail: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {}
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
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      options.onData?.(chunk);
      const panic = PANIC.exec(output);
      if (panic) return finish('panic', panic[1]!.trim());
      if ([...output.matchAll(RESET)].length >= 3)
        return finish(
          'reset_loop',
          `${[...output.matchAll(RESET)].length} resets without reaching the boot marker`,
        );
      if (options.marker.test(output)) finish('booted', null);
    });
    child.stderr!.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('exit', () => {
      if (!done) finish('no_port', stderr.trim() || `cannot read ${port}`);
    });
  });
}
