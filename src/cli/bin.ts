/** The `hutctl` executable: the only place that sets the process's exit status. */
import { main } from './main.ts';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`hutctl: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
