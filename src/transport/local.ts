/** The local transport: programs run on this machine, directly, with no shell in between. */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Target } from '../config/index.ts';
import type { SpawnOptions, Transport } from './transport.ts';

export class LocalTransport implements Transport {
  readonly target: Target;

  constructor(target: Target) {
    this.target = target;
  }

  async connect(): Promise<void> {}

  spawn(argv: readonly string[], options: SpawnOptions): ChildProcess {
    const [program, ...args] = argv;
    if (program === undefined) throw new Error('spawn needs a program');
    const cwd = options.cwd ?? this.target.workdir;
    return spawn(program, args, {
      stdio: options.stdio,
      detached: options.ownGroup === true,
      ...(cwd ? { cwd } : {}),
    });
  }

  describe(): string {
    return 'local';
  }
}
