/**
 * One step on a target, in its own session (so its whole process tree is one group), never
 * outliving the job that started it:
 *  - on this host, started by the keeper (src/keeper), which kills its group if hutctl goes
 *    away;
 *  - through a transport (SSH; locally when output is copied through hutctl, or without the
 *    keeper), under a POSIX-sh wrapper that listens on stdin for TERM/KILL words and kills the
 *    group when stdin closes (hutctl died, or the SSH link dropped).
 */
import type { ChildProcess } from 'node:child_process';
import { statSync, writeSync } from 'node:fs';
import { constants, hostname } from 'node:os';
import type { Writable } from 'node:stream';
import { quoteValue } from '../errors/index.ts';
import { type Keeper, localKeeper, RUN_FROM_ENV } from '../keeper/index.ts';
import type { Transport } from '../transport/index.ts';
import { RedactStream } from './redact.ts';
import { ShownOutput } from './shown.ts';

export const WORKDIR_MISSING = 97;

// The step arrives as the first line of stdin (base64), the TERM/KILL words after it.
const STEP_WRAPPER = `workdir=$1; shell=$2
IFS= read -r encoded || exit 96
HUTCTL_STEP=$(printf '%s' "$encoded" | base64 -d) || exit 96
export HUTCTL_STEP
if [ -n "$workdir" ]; then
  cd -- "$workdir" 2>/dev/null || { printf 'hutctl: workdir %s does not exist on %s\\n' "$workdir" "$(uname -n)" >&2; exit ${WORKDIR_MISSING}; }
fi
exec 3<&0
if [ "$shell" = login ]; then setsid bash -lc '${RUN_FROM_ENV}' </dev/null & else setsid sh -c '${RUN_FROM_ENV}' </dev/null & fi
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
  /**
   * Output goes into the log (open as `fd`, at `path`), and with `live` the step's stdout is
   * also shown on hutctl's stdout and its stderr on hutctl's stderr as they come. It goes
   * straight into the log, or through the keeper when there are secrets to `redact` or it is
   * shown; without the keeper, through hutctl, into `sink()`.
   */
  | {
      fd: number;
      path: string;
      sink: () => Writable;
      redact?: readonly string[];
      live?: boolean;
    }
  /** Output is copied through hutctl, each stream to its own sinks (through `filter`, if any). */
  | { stdout: Writable[]; stderr: Writable[]; filter?: () => NodeJS.ReadWriteStream };

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
  done: Promise<Done>;
}

type Done = { exitCode: number | null; signal: NodeJS.Signals | null };

export async function startStep(options: StepOptions): Promise<RunningStep> {
  const { output } = options;
  if (!('fd' in output)) return startWrappedStep(options);
  const keeper = options.transport.target.transport === 'local' ? await localKeeper() : null;
  if (keeper) return startKeptStep(options, output, keeper);
  const { redact, live } = output;
  if (!redact?.length && !live) return startWrappedStep(options);
  // Through hutctl: each stream into the log (redacted, if need be), and shown on its own.
  const log = output.sink();
  return startWrappedStep({
    ...options,
    output: {
      stdout: live ? [log, new ShownOutput(1)] : [log],
      stderr: live ? [log, new ShownOutput(2)] : [log],
      ...(redact?.length ? { filter: () => new RedactStream(redact) } : {}),
    },
  });
}

/** On this host, with output into the log (and shown): started by the keeper, no wrapper. */
function startKeptStep(
  options: StepOptions,
  output: { fd: number; path: string; redact?: readonly string[]; live?: boolean },
  keeper: Keeper,
): RunningStep {
  // What hutctl says in the step's place goes where its stderr would.
  const sayInstead = (line: string) => {
    writeSync(output.fd, line);
    if (output.live) new ShownOutput(2).write(line);
  };
  const workdir = options.workdir ?? '';
  if (workdir && !isDirectory(workdir)) {
    sayInstead(`hutctl: workdir ${quoteValue(workdir)} does not exist on ${hostname()}\n`);
    return {
      signal() {},
      abandon() {},
      done: Promise.resolve({ exitCode: WORKDIR_MISSING, signal: null }),
    };
  }
  const step = keeper.start({
    command: options.command,
    workdir,
    loginShell: options.loginShell,
    logPath: output.path,
    ...(output.redact?.length ? { redact: output.redact } : {}),
    ...(output.live ? { live: true } : {}),
  });
  let settle: (done: Done) => void = () => {};
  const abandoned = new Promise<Done>((resolve) => {
    settle = resolve;
  });
  return {
    signal: (name) => step.signal(`SIG${name}`),
    abandon() {
      step.signal('SIGKILL');
      settle({ exitCode: 128 + constants.signals.SIGKILL, signal: 'SIGKILL' });
    },
    done: Promise.race([
      step.done.then(({ exitCode, signal, lost }) => {
        if (lost) sayInstead(`hutctl: ${lost}\n`);
        return { exitCode, signal };
      }),
      abandoned,
    ]),
  };
}

function startWrappedStep(options: StepOptions): RunningStep {
  const argv = [
    'sh',
    '-c',
    STEP_WRAPPER,
    'hutctl-step',
    options.workdir ?? '',
    options.loginShell ? 'login' : 'plain',
  ];
  const { output } = options;
  const child = options.transport.spawn(argv, {
    stdio: 'fd' in output ? ['pipe', output.fd, output.fd] : ['pipe', 'pipe', 'pipe'],
    cwd: '/',
    ownGroup: true,
  });
  // Writing to a wrapper that already exited must not crash us.
  child.stdin!.on('error', () => {});
  child.stdin!.write(`${Buffer.from(options.command, 'utf8').toString('base64')}\n`);
  return {
    signal(name) {
      if (child.stdin!.writable) child.stdin!.write(`${name}\n`);
    },
    abandon() {
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
    },
    done: collect(child, output),
  };
}

/** Copies piped output into its sinks; resolves when the process has ended and all of it is copied. */
function collect(child: ChildProcess, output: StepOutput): Promise<Done> {
  const drained: Promise<void>[] = [];
  if (!('fd' in output)) {
    const routes = [
      [child.stdout!, output.stdout],
      [child.stderr!, output.stderr],
    ] as const;
    for (const [source, sinks] of routes) {
      const stream = output.filter ? source.pipe(output.filter()) : source;
      for (const sink of sinks) stream.pipe(sink, { end: false });
      drained.push(
        new Promise((resolve) => {
          stream.once('end', resolve);
          stream.once('close', resolve);
          stream.once('error', resolve);
        }),
      );
    }
  }
  return new Promise<Done>((resolve) => {
    child.on('error', () => resolve({ exitCode: 127, signal: null }));
    child.on('close', (exitCode, signal) => {
      void Promise.all(drained).then(() => resolve({ exitCode, signal }));
    });
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
