/**
 * Flashing a verified artifact copy onto a slot's board, by the profile's preset or argv. The
 * presets take everything from the build itself — offsets and flash settings from flash_args /
 * flasher_args.json, chip and reset modes from flasher_args.json — never from hutctl:
 *  - `esptool`: `esptool.py --chip <chip> -p <port> -b <flash_baud> --before <b> --after <a>
 *    write_flash @flash_args`, run in the artifact directory so the relative image paths
 *    resolve as ESP-IDF intends (explicit `offset path` pairs when only flasher_args.json came);
 *  - `idf`: `idf.py -B <artifact_dir> -p <port> flash` (needs a whole build tree);
 *  - `builtin`: hutctl's own flasher (esptool-js) in this process, with the same inputs as the
 *    esptool preset, each file's MD5 checked against the flash;
 *  - an argv: its {port}, {artifact_dir}, {baud} filled in.
 * The flasher runs as a job step (its own session, through the keeper, never outliving hutctl).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { localTarget, type PlatformProfile } from '../config/index.ts';
import { isHutError } from '../errors/index.ts';
import { readBuildFlashArgs } from '../esp32/index.ts';
import { type EvidenceLog, startStep } from '../jobs/index.ts';
import { LocalTransport, shellQuote } from '../transport/index.ts';
import { keptStty } from './serial.ts';

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
  signal?: AbortSignal,
): Promise<number> {
  void log.line(`# flash: ${argv.join(' ')}`);
  await log.size();
  const step = await startStep({
    transport: new LocalTransport(localTarget()),
    command: argv.map(shellQuote).join(' '),
    workdir: artifactDir,
    loginShell: false,
    output: { fd: log.fd, path: log.path, sink: () => log.sink() },
  });
  const timer = setTimeout(() => step.signal('KILL'), FLASH_TIMEOUT_MS);
  // Interrupted: the flasher is ended as a terminal's Ctrl-C would end it.
  const stop = () => step.signal('TERM');
  signal?.addEventListener('abort', stop, { once: true });
  const { exitCode } = await step.done;
  clearTimeout(timer);
  signal?.removeEventListener('abort', stop);
  return exitCode ?? 128;
}

export interface BuiltinFlash {
  /** 0 when every file was written and verified; 1 otherwise (the reason is in `error`). */
  exitCode: number;
  error: string | null;
}

/**
 * Flashes the build in `artifactDir` with the built-in flasher: offsets, settings, chip, resets
 * and stub from the build's flasher_args.json (else flash_args), `flash_baud` from the profile.
 * Its lines and a line per verified file go to the evidence log; a failure is returned, not thrown
 * (the build's own args files are read first: a build that names what it lacks throws ARTIFACT).
 */
export async function runBuiltinFlash(
  profile: PlatformProfile,
  port: string,
  artifactDir: string,
  log: EvidenceLog,
  signal?: AbortSignal,
): Promise<BuiltinFlash> {
  const build = readBuildFlashArgs(artifactDir);
  const { flashImages } = await import('../flash/index.ts');
  const before = BEFORE[build.before ?? 'default-reset'] ?? 'default_reset';
  const after = AFTER[build.after ?? 'hard-reset'] ?? 'hard_reset';
  void log.line(
    `# flash (built-in): ${port}, ${build.chip ?? 'any chip'}, ${profile.flashBaud} baud, --before ${before} --after ${after}, ${build.files.map((f) => `0x${f.offset.toString(16)} ${f.path}`).join(' ')}`,
  );
  const timeout = AbortSignal.timeout(FLASH_TIMEOUT_MS);
  try {
    const result = await flashImages({
      port,
      baud: profile.flashBaud,
      files: build.files.map((f) => ({ offset: f.offset, path: join(artifactDir, f.path) })),
      flashMode: build.settings.flashMode as never,
      flashSize: build.settings.flashSize as never,
      flashFreq: build.settings.flashFreq as never,
      stub: build.stub ?? true,
      before,
      // The ESP32 stub cannot run user code: soft-reset means a hard reset there, as in esptool.
      after: after === 'soft_reset' && build.stub !== false ? 'hard_reset' : after,
      ...(build.chip ? { chip: build.chip } : {}),
      log: (line) => void log.line(line),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      stty: keptStty,
    });
    for (const file of result.files)
      void log.line(
        `Wrote ${file.size} bytes at 0x${file.offset.toString(16).padStart(8, '0')} (${file.path.slice(artifactDir.length + 1)}), md5 ${file.md5}${file.verified ? ', verified' : ''}`,
      );
    void log.line(
      `# flashed ${result.chip}, MAC ${result.mac}: ${result.bytes_written} bytes in ${result.duration_ms} ms`,
    );
    await log.size();
    return { exitCode: 0, error: null };
  } catch (error) {
    if (timeout.aborted && !signal?.aborted) {
      void log.line(`# flash: no end after ${FLASH_TIMEOUT_MS / 1000} s`);
      return { exitCode: 1, error: `flashing took longer than ${FLASH_TIMEOUT_MS / 1000} s` };
    }
    if (!isHutError(error)) throw error;
    void log.line(`# flash failed: ${error.message}`);
    await log.size();
    return { exitCode: 1, error: error.message };
  }
}

/** ESP-IDF spells resets esptool v5's way; the flasher takes esptool v4's. */
const BEFORE: Record<string, 'default_reset' | 'usb_reset' | 'no_reset'> = {
  'default-reset': 'default_reset',
  'usb-reset': 'usb_reset',
  'no-reset': 'no_reset',
  // esptool skips the sync too; a board that is not already in download mode fails either way.
  'no-reset-no-sync': 'no_reset',
};
const AFTER: Record<string, 'hard_reset' | 'soft_reset' | 'no_reset' | 'no_reset_stub'> = {
  'hard-reset': 'hard_reset',
  'soft-reset': 'soft_reset',
  'no-reset': 'no_reset',
  'no-reset-stub': 'no_reset_stub',
  // A watchdog reset is how esptool resets chips on USB-Serial/JTAG; for the flasher a hard reset.
  'watchdog-reset': 'hard_reset',
};
