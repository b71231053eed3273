/** The `hutctl` executable: the only place that sets the process's exit status. */
import { fsReason } from '../files/reason.ts';
import { main } from './main.ts';

// A reader that went away (`hutctl … | head`) is not an error; a full disk or a closed
// terminal is one line (on stderr if it can still be written) and exit 1, never a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
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
      process.stderr.write('hutctl: exiting with handles still open (a bug worth reporting)\n');
    process.exit(code);
  }, 2000).unref();
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    endSoon(code);
  },
  (error: unknown) => {
    process.stderr.write(`hutctl: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
    endSoon(1);
  },
);
