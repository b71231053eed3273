/** A simulated farm for a test: PTY boards and the simulated Home Assistant, in this process. */
import { type SimFarm, startSimFarm } from '../../src/sim/index.ts';
import { type CliOptions, type CliResult, runCli, tempDir } from './cli.ts';

export interface TestFarm {
  farm: SimFarm;
  dir: string;
  /** Runs hutctl against this farm's config. */
  hutctl(args: string[], options?: CliOptions): Promise<CliResult>;
  stop(): Promise<void>;
}

export async function startTestFarm(slots = 2): Promise<TestFarm> {
  const dir = tempDir('hutctl-farm-');
  const farm = await startSimFarm({ dir, slots });
  return {
    farm,
    dir,
    hutctl: (args, options = {}) =>
      runCli(args, {
        ...options,
        cwd: dir,
        env: { HUTCTL_CONFIG: farm.configPath, ...options.env },
      }),
    stop: () => farm.stop(),
  };
}
