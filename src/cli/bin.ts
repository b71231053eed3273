/** The `hutctl` executable: the only place that sets the process's exit status. */
import { EXIT_STATUS } from '../errors/index.ts';
import { fsReason } from '../files/reason.ts';
import { main } from './main.ts';

// A reader that went away (`hutctl … | head`) is not an error; a full disk is one line (on
// stderr if it can still be written) and exit 1, never a stack trace. A terminal that hung up (a
// dropped SSH session: EIO) is written to no more, and the command carries on to its end: SIGHUP
// stops a run in order, and its result and JUnit file must still be written.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EIO' || error.code === 'ERR_STREAM_DESTROYED') return;
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    try {
      if (stream === process.stdout)
        process.stderr.write(`hutctl: cannot write to standard output: ${fsReason(error)}\n`);
    } catch {}
    process.exit(1);
  });
}

/**
 * Once the command is done, hutctl ends: anything still open by then (a stray timer or socket
 * after a fault) cannot keep it — and whatever lock it holds — alive. Its locks die with it.
 */
function endSoon(code: number): void {
  setTimeout(() => {
    if (process.argv.includes('--debug'))
      process.stderr.write(
        `hutctl: exiting with handles still open (${process.getActiveResourcesInfo().join(', ')}): a bug worth reporting\n`,
      );
    process.exit(code);
  }, 2000).unref();
}

let settled = false;
// Node ends a process whose event loop has nothing left to wait for, even while the command
// still awaits something that can no longer happen ('beforeExit'; an explicit process.exit does
// not pass here). That is a bug, never a success: it must not look like exit 0 (a CI step going
// green with no result).
process.once('beforeExit', () => {
  if (settled) return;
  try {
    process.stderr.write(
      'hutctl: the command stopped before it finished: nothing was left to wait for (a bug worth reporting)\n',
    );
  } catch {}
  process.exitCode = 1;
});

main(process.argv).then(
  (code) => {
    settled = true;
    process.exitCode = code;
    // A command stopped by a signal has written its outcome; what it abandoned on the way (a
    // flasher's pending read, a reset's sleep) is left to nobody: hutctl ends now.
    if (code === EXIT_STATUS.INTERRUPTED) process.exit(code);
    endSoon(code);
  },
  (error: unknown) => {
    settled = true;
    process.stderr.write(`hutctl: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
    endSoon(1);
  },
);
