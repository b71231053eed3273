/** A simulated farm for a test: PTY boards and the simulated Home Assistant, in this process. */
import { join } from 'node:path';
import { type SimFarm, startSimFarm } from '../../src/sim/index.ts';
import { type CliOptions, type CliResult, runCli, tempDir } from './cli.ts';
import { type IdfBuild, type IdfBuildOptions, writeIdfBuild } from './idf-build.ts';

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

let builds = 0;

/**
 * Writes a generated ESP-IDF build (test/support/idf-build.ts) in the farm's directory and
 * stores it as `sha`'s artifact for each profile, as CI does: `artifact put --build-dir`.
 */
export async function putIdfBuild(
  t: TestFarm,
  sha: string,
  options: IdfBuildOptions = {},
  profiles: string[] = ['i2s'],
): Promise<IdfBuild> {
  const build = writeIdfBuild(join(t.dir, 'builds', `${sha}-${++builds}`), {
    project: 'squeezelite',
    ...options,
  });
  for (const profile of profiles) {
    const put = await t.hutctl([
      'artifact',
      'put',
      sha,
      '--build-dir',
      build.buildDir,
      '--profile',
      profile,
      '--json',
    ]);
    if (put.code !== 0) throw new Error(`artifact put ${sha} (${profile}): ${put.stderr}`);
  }
  return build;
}

/** Writes and erases that reached the boards' flash chips so far (all slots, or one). */
export function flashChanges(t: TestFarm, slot?: string): number {
  let changes = 0;
  for (const [id, board] of t.farm.boards) if (!slot || id === slot) changes += board.flash.changes;
  return changes;
}
