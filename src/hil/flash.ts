/**
 * Flashing a verified artifact copy onto a slot's board, by the profile's preset or argv. The
 * presets take everything from the build itself — offsets and flash settings from flash_args /
 * flasher_args.json, chip and reset modes from flasher_args.json — never from hutctl:
 *  - `esptool`: `esptool.py --chip <chip> -p <port> -b <flash_baud> --before <b> --after <a>
 *    write_flash @flash_args`, run in the artifact directory so the relative image paths
 *    resolve as ESP-IDF intends (explicit `offset path` pairs when only flasher_args.json came);
 *  - `idf`: `idf.py -B <artifact_dir> -p <port> flash` (needs a whole build tree);
 *  - an argv: its {port}, {artifact_dir}, {baud} filled in.
 * The flasher runs as a job step (its own session, through the keeper, never outliving hutctl).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { localTarget, type PlatformProfile } from '../config/index.ts';
import { readBuildFlashArgs } from '../esp32/index.ts';
import { type EvidenceLog, startStep } from '../jobs/index.ts';
import { LocalTransport, shellQuote } from '../transport/index.ts';

const FLASH_TIMEOUT_MS = 300_000;

/** esptool v4 spells reset modes with `_` (v5 accepts both): the spelling every version reads. */
const underscored = (mode: string) => mode.replaceAll('-', '_');

/** The flash command for `profile` in `artifactDir` (which holds the verified build tree). */
export function flashArgv(profile: PlatformProfile, port: string, artifactDir: string): string[] {
  const { flash } = profile;
  if (flash === 'esptool') {
    const build = readBuildFlashArgs(artifactDir);
    const settings = build.settings;
    const images = existsSync(join(artifactDir, 'flash_args'))
      ? ['@flash_args']
      : [
          ...(['flashMode', 'flashFreq', 'flashSize'] as const).flatMap((key) =>
            settings[key] === 'keep'
              ? []
              : [`--${key.replace('flash', 'flash_').toLowerCase()}`, settings[key]],
          ),
          ...build.files.flatMap((f) => [`0x${f.offset.toString(16)}`, f.path]),
        ];
    return [
      'esptool.py',
      '--chip',
      build.chip ?? 'auto',
      '-p',
      port,
      '-b',
      String(profile.flashBaud),
      '--before',
      underscored(build.before ?? 'default-reset'),
      '--after',
      underscored(build.after ?? 'hard-reset'),
      'write_flash',
      ...images,
    ];
  }
  if (flash === 'idf') return ['idf.py', '-B', artifactDir, '-p', port, 'flash'];
  if (flash === 'builtin') throw new Error('the builtin flasher has no command line');
  return flash.map((arg) =>
    arg
      .replaceAll('{port}', port)
      .replaceAll('{artifact_dir}', artifactDir)
      .replaceAll('{baud}', String(profile.baud)),
  );
}

/** Runs the flash command as a step; its output goes to the evidence log. Returns its exit code. */
export async function runFlashCommand(
  argv: string[],
  artifactDir: string,
  log: EvidenceLog,
): Promise<number> {
  void log.line(`# flash: ${argv.join(' ')}`);
  await log.size();
  const step = await startStep({
    transport: new LocalTransport(localTarget()),
    command: argv.map(shellQuote).join(' '),
    workdir: artifactDir,
    loginShell: false,
    output: { fd: log.fd, path: log.path },
  });
  const timer = setTimeout(() => step.signal('KILL'), FLASH_TIMEOUT_MS);
  const { exitCode } = await step.done;
  clearTimeout(timer);
  return exitCode ?? 128;
}
