/**
 * A Transport runs a program on a role's host. Everything above it (steps, locks, heartbeats)
 * is expressed as argv run through `spawn`, so local and SSH targets behave the same way.
 */
import type { ChildProcess, StdioOptions } from 'node:child_process';
import type { Target } from '../config/index.ts';

export interface SpawnOptions {
  /** Working directory on the host; defaults to the target's workdir. */
  cwd?: string;
  stdio: StdioOptions;
  /**
   * Start in a process group of its own, so a Ctrl-C meant for hutctl does not reach it: hutctl
   * then ends the work in order (lock holders and step wrappers end when their stdin closes).
   */
  ownGroup?: boolean;
}

export interface Transport {
  readonly target: Target;
  /** Makes the host reachable (for SSH: a live shared connection); throws CONNECT with a diagnosis. */
  connect(signal?: AbortSignal): Promise<void>;
  /** Starts `argv` (a program and its arguments, never a shell string) on the host. */
  spawn(argv: readonly string[], options: SpawnOptions): ChildProcess;
  /** `codexsvc@10.0.0.5:22` or `local`. */
  describe(): string;
}

/** Quotes one argument for a POSIX shell, so it arrives byte for byte. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
