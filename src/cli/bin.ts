/** The `hutctl` executable: the only place that sets the process's exit status. */
import { main } from './main.ts';

// A reader that went away (`hutctl … | head`) is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`hutctl: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
