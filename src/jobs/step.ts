/**
 * One step on a target: a POSIX-sh wrapper starts the step in its own session (so its whole
 * process tree is one group) and listens on stdin for TERM/KILL words. When stdin closes —
 * hutctl died, or the SSH link dropped — the wrapper kills the group, so a step never
 * outlives the job that started it, locally or on the remote host.
 */
import type { Writable } from 'node:stream';
import type { Transport } from '../transport/index.ts';

export const WORKDIR_MISSING = 97;

const STEP_WRAPPER = `workdir=$1; shell=$2; step=$3
if [ -n "$workdir" ]; then
  cd -- "$workdir" 2>/dev/null || { echo "hutctl: workdir $workdir does not exist on $(uname -n)" >&2; exit ${WORKDIR_MISSING}; }
fi
exec 3<&0
if [ "$shell" = login ]; then setsid bash -lc "$step" </dev/null & else setsid sh -c "$step" </dev/null & fi
pid=$!
(
  while read -r word; do
    case $word in TERM|KILL|INT) kill -s "$word" -- "-$pid" 2>/dev/null || kill -s "$word" "$pid" 2>/dev/null;; esac
  done
  kill -s KILL -- "-$pid" 2>/dev/null || kill -s KILL "$pid" 2>/dev/null
) <&3 >/dev/null 2>&1 &
watcher=$!
exec 3<&-
wait "$pid"; status=$?
kill -s TERM -- "-$pid" 2>/dev/null
kill "$watcher" 2>/dev/null
exit "$status"`;

export type StepOutput =
  /** The transport process writes straight into this file descriptor: no copy through hutctl. */
  | { fd: number }
  /** Output is copied through hutctl (to the terminal, or through secret redaction). */
  | { sinks: Writable[]; filter?: () => NodeJS.ReadWriteStream };

export interface StepOptions {
  transport: Transport;
  command: string;
  workdir: string | undefined;
  loginShell: boolean;
  output: StepOutput;
}

export interface RunningStep {
  /** Sends a signal to the step's process group on the host. */
  signal(name: 'TERM' | 'KILL' | 'INT'): void;
  /** Ends the transport process itself (last resort when the host stops answering). */
  abandon(): void;
  done: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
}

export function startStep(options: StepOptions): RunningStep {
  const argv = [
    'sh',
    '-c',
    STEP_WRAPPER,
    'hutctl-step',
    options.workdir ?? '',
    options.loginShell ? 'login' : 'plain',
    options.command,
  ];
  const { output } = options;
  const direct = 'fd' in output;
  const child = options.transport.spawn(argv, {
    stdio: direct ? ['pipe', output.fd, output.fd] : ['pipe', 'pipe', 'pipe'],
    cwd: '/',
    ownGroup: true,
  });
  const drained: Promise<void>[] = [];
  if (!direct) {
    for (const source of [child.stdout!, child.stderr!]) {
      const stream = output.filter ? source.pipe(output.filter()) : source;
      for (const sink of output.sinks) stream.pipe(sink, { end: false });
      drained.push(
        new Promise((resolve) => {
          stream.once('end', resolve);
          stream.once('close', resolve);
          stream.once('error', resolve);
        }),
      );
    }
  }
  // Writing to a wrapper that already exited must not crash us.
  child.stdin!.on('error', () => {});
  const done = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => {
      child.on('error', () => resolve({ exitCode: 127, signal: null }));
      child.on('close', (exitCode, signal) => {
        void Promise.all(drained).then(() => resolve({ exitCode, signal }));
      });
    },
  );
  return {
    signal(name) {
      if (child.stdin!.writable) child.stdin!.write(`${name}\n`);
    },
    abandon() {
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
    done,
  };
}
