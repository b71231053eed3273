/**
 * HW-BOOT-001 on a slot whose lock the caller holds: fetch and verify the SHA's artifact, make
 * sure the farm can serve the board (power, device), flash, power-cycle, judge the boot log,
 * recover once on a hang, and write the result with its evidence log.
 */
import { realpathSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { profileNames, type Slot } from '../config/index.ts';
import { utcIso, utcStamp } from '../contract/index.ts';
import { isHutError } from '../errors/index.ts';
import { pathUnder, writeFileAtomic } from '../files/index.ts';
import { ResetLine } from '../flash/reset-line.ts';
import { EvidenceLog } from '../jobs/index.ts';
import {
  backendFor,
  coldBoot,
  type PowerBackend,
  PowerError,
  powerSwitch,
} from '../power/index.ts';
import { redact } from '../secrets/index.ts';
import { ttyOf } from '../slots/index.ts';
import { INTERRUPTED_REASON } from '../store/health.ts';
import { noteEvidence } from '../store/ledger.ts';
import { artifactDigest, getArtifact } from './artifacts.ts';
import { bootedApp, bootMismatch } from './booted.ts';
import { flashArgv, runBuiltinFlash, runFlashCommand } from './flash.ts';
import type { ArtifactManifest } from './manifest.ts';
import { type Judged, recoveredBy, recoverFromHang, recoveriesDone } from './recover.ts';
import { firmwareCopiesDir, type HilResult, type HilRunOptions, newResult } from './run.ts';
import { captureBoot } from './serial.ts';

const LINK_WAIT_MS = 10_000;

/** The test on `slot`, whose lock the caller holds. */
export async function runOnSlot(
  options: HilRunOptions,
  slot: Slot,
  sha: string,
  test: string,
  evidenceDir: string,
  progress: (line: string) => void,
): Promise<HilResult> {
  const { config } = options;
  const started = new Date();
  // `runner_…`: the team's evidence convention (a role prefix), which `lint docs` checks.
  const { base, log } = newEvidence(
    evidenceDir,
    `runner_hil_${test.toLowerCase()}_${slot.id}_${sha.slice(0, 12)}_${utcStamp(started)}`,
  );
  // Evidence and the result never carry a secret hutctl knows of (an HA error may echo a token).
  const say = (line: string) => void log.line(redact(`# ${line}`));
  const profileName = options.profile ?? slot.profile ?? null;
  const result: HilResult = {
    ...newResult(slot.id, sha, test, profileName, started),
    ...(options.healthCheck ? { health_check: true } : {}),
    evidence: [log.path],
    ended_utc: '',
  };
  // Where the run is: an interruption (Ctrl-C, SIGTERM) ends it `blocked` there.
  let at: HilResult['phase'] = 'artifact';
  const finish = async (status: HilResult['status'], phase: HilResult['phase'], reason: string) => {
    if (options.signal?.aborted && status !== 'pass') {
      // What stopped (the flasher, the boot log) says so too: only its own words are kept.
      const why = interruption(options.signal);
      status = 'blocked';
      reason = `${why} during ${phase}${reason && !reason.includes(why) ? ` (${reason})` : ''}`;
    }
    Object.assign(result, { status, phase, reason: redact(reason) });
    result.recovery_events = recoveriesDone(result.recoveries).length;
    say(`${status} (${phase}): ${reason}`);
    await log.close();
    const ended = new Date();
    result.ended_utc = utcIso(ended);
    result.duration_sec = Math.round(ended.getTime() - started.getTime()) / 1000;
    result.evidence.push(join(evidenceDir, `${base}.json`));
    try {
      await writeFileAtomic(
        join(evidenceDir, `${base}.json`),
        `${JSON.stringify(result, null, 2)}\n`,
      );
      noteEvidence(config, join(evidenceDir, `${base}.json`));
    } catch (error) {
      // The outcome is still the caller's to print: a full disk never loses it.
      result.evidence.pop();
      result.evidence_error = `the result could not be written to ${join(evidenceDir, `${base}.json`)}: ${(error as Error).message}`;
    }
    return result;
  };
  say(
    `hutctl hil run ${test} on ${slot.id} for ${sha}, lane local-hil, profile ${profileName ?? '(none)'}`,
  );
  progress(`${slot.id}: ${test} for ${sha.slice(0, 12)}`);

  try {
    return await stages();
  } catch (error) {
    // Whatever was under way when the signal came (a flash, a power cycle, the boot log) stops
    // with its own error; the run still ends with its result.
    if (options.signal?.aborted) return finish('blocked', at, '');
    throw error;
  }

  async function stages(): Promise<HilResult> {
    const profile =
      profileName && Object.hasOwn(config.profiles, profileName)
        ? config.profiles[profileName]
        : undefined;
    if (!profile) {
      return finish(
        'blocked',
        'artifact',
        profileName
          ? `platform profile '${profileName}' is not configured (profiles: in hutctl.yaml has ${profileNames(config)})`
          : `slot ${slot.id} has no platform profile`,
      );
    }
    // Before the board is touched: a marker that cannot be matched is the configuration's problem.
    const { compileBootMarker } = await import('./marker.ts');
    let marker: ReturnType<typeof compileBootMarker>;
    try {
      marker = compileBootMarker(profile.bootMarker);
    } catch (error) {
      return finish(
        'blocked',
        'artifact',
        `profiles.${profile.name}.boot_marker: ${(error as Error).message}; nothing was flashed (run 'hutctl config check')`,
      );
    }
    let artifactDir: string;
    let expected: ArtifactManifest['app'];
    try {
      artifactDir = pathUnder(firmwareCopiesDir(config), `${sha}-${slot.id}`);
      // A fresh copy: nothing left from an earlier run may reach the flasher.
      await rm(artifactDir, { recursive: true, force: true });
      const manifest = await getArtifact(
        config.artifacts.store,
        sha,
        profile.artifact,
        artifactDir,
      );
      expected = manifest.app;
      result.expected_version = manifest.app?.version ?? null;
      result.artifact_digest = artifactDigest(manifest);
      if (options.artifactDigest && result.artifact_digest !== options.artifactDigest)
        return finish(
          'blocked',
          'artifact',
          `${sha.slice(0, 12)}/${profile.artifact} was stored again since it passed on ${slot.id} (digest ${options.artifactDigest.slice(0, 12)} then, ${result.artifact_digest.slice(0, 12)} now): another build is no check of the board; nothing was flashed (give --sha, or set health.golden)`,
        );
      say(
        `artifact ${sha}/${profile.artifact} verified: ${manifest.files.map((f) => `${f.name} ${f.sha256.slice(0, 12)}`).join(', ')} (built by the ${manifest.lane} lane)`,
      );
    } catch (error) {
      if (isHutError(error) && error.code === 'ARTIFACT')
        return finish('blocked', 'artifact', `${error.message}; nothing was flashed`);
      throw error;
    }

    // Everything the farm must provide is checked before the board is touched: a farm problem is
    // `blocked` with its phase, never a firmware failure.
    let backend: PowerBackend | null = null;
    at = 'power';
    if (slot.power) {
      let relay: string;
      try {
        backend = backendFor(config, slot);
        relay = await backend.get(options.signal ?? AbortSignal.timeout(60_000));
      } catch (error) {
        if (!(error instanceof PowerError) && !isHutError(error)) throw error;
        return finish(
          'blocked',
          'power',
          `power control of ${slot.id} is not usable: ${(error as Error).message}; nothing was flashed`,
        );
      }
      if (relay !== 'on' && relay !== 'off')
        return finish(
          'blocked',
          'power',
          `the relay of ${slot.id} reads '${relay}' (${backend.describe()}); nothing was flashed`,
        );
      // A board left off (a run killed mid-cycle, a person) is switched on: it must be up to flash.
      if (relay === 'off') {
        say(`the relay of ${slot.id} is off: switching it on to flash`);
        const on = await powerSwitch(
          { config, slot, backend, ...(options.signal ? { signal: options.signal } : {}) },
          'on',
        );
        if (on.status !== 'ok')
          return finish(
            'blocked',
            'power',
            `the relay of ${slot.id} was off and did not switch on (${on.status}: ${on.error}); nothing was flashed`,
          );
      }
    }
    at = 'device';
    const missing = await waitForLink(slot.serial, LINK_WAIT_MS, options.signal);
    if (missing) return finish('blocked', 'device', missing);
    progress(`${slot.id}: flashing`);
    at = 'flash';
    const flashBegan = performance.now();
    let flash: number;
    let flashError: string | null = null;
    try {
      if (profile.flash === 'builtin') {
        const done = await runBuiltinFlash(profile, slot.serial, artifactDir, log, options.signal);
        flash = done.exitCode;
        flashError = done.error;
      } else {
        flash = await runFlashCommand(
          flashArgv(profile, slot.serial, artifactDir),
          artifactDir,
          log,
          options.signal,
        );
      }
    } catch (error) {
      // The build's own args files are read here: a build that names what it lacks is the farm's.
      if (isHutError(error) && error.code === 'ARTIFACT')
        return finish('blocked', 'artifact', `${error.message}; nothing was flashed`);
      throw error;
    }
    result.flash_ms = Math.round(performance.now() - flashBegan);
    if (flash !== 0)
      return finish('blocked', 'flash', flashError ?? `the flash command exited ${flash}`);

    const power = backend
      ? { config, slot, backend, ...(options.signal ? { signal: options.signal } : {}) }
      : null;
    const capture = (begin?: () => Promise<void>) => {
      progress(`${slot.id}: reading the boot log`);
      say(
        `serial ${slot.serial} -> ${ttyOf(slot.serial)}, ${profile.baud} baud, up to ${profile.bootTimeoutSec} s for /${profile.bootMarker}/`,
      );
      return captureBoot(slot.serial, {
        marker,
        timeoutMs: profile.bootTimeoutSec * 1000,
        baud: profile.baud,
        onData: (chunk) => void log.line(redact(chunk.replace(/\r?\n$/, ''))),
        ...(begin ? { begin } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    };
    const boot = async (): Promise<Judged> => {
      if (power) {
        progress(`${slot.id}: power cycle`);
        at = 'power';
        const cycled = await coldBoot(power);
        result.power_cycles++;
        if (cycled) return { outcome: 'power', detail: cycled };
      }
      const gone = await waitForLink(slot.serial, LINK_WAIT_MS, options.signal);
      if (gone?.includes(NOT_THERE))
        return { outcome: 'power', detail: `${slot.serial} did not come back after power-on` };
      if (gone) return noPort(gone);
      at = 'boot';
      return capture();
    };
    const serialReset = async (): Promise<Judged | null> => {
      let line: ResetLine | null;
      try {
        line = await ResetLine.open(slot.serial, profile.baud);
      } catch (error) {
        const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        return noPort(`${slot.serial} could not be opened to reset the board (${why})`);
      }
      if (!line) return null;
      try {
        progress(`${slot.id}: serial reset`);
        at = 'boot';
        return await capture(() => line.pulse());
      } finally {
        line.close();
      }
    };

    const first = await boot();
    // Interrupted: no recovery is tried.
    if (options.signal?.aborted) return finish('blocked', at, '');
    const recovered = await recoverFromHang(first, {
      events: result.recoveries,
      serialReset: profile.serialReset ? serialReset : null,
      powerCycle: power ? boot : null,
      note: (line) => say(`recovery: ${line}`),
    });
    if (options.signal?.aborted) return finish('blocked', at, '');
    const judged = recovered.judged;
    if (judged.outcome === 'power')
      return finish('blocked', 'power', judged.detail ?? 'power control failed');
    result.reset_reason = judged.reset_reason;
    switch (judged.outcome) {
      case 'booted': {
        result.boot_ms = judged.elapsed_ms;
        const booted = bootedApp(judged.output);
        result.app_version = booted?.version ?? null;
        const mismatch = bootMismatch(booted, expected);
        if (mismatch)
          return finish(
            'fail',
            'flash-verify',
            `${mismatch}: the flash did not take (or was skipped)`,
          );
        return finish(
          'pass',
          'boot',
          `boot marker seen after ${(judged.elapsed_ms / 1000).toFixed(1)} s${booted?.version ? `, running ${booted.version}` : ''}${recoveredBy(recovered.events)}`,
        );
      }
      case 'panic':
        return finish('fail', 'boot', `panic: ${judged.detail}`);
      case 'reset_loop':
        return finish('fail', 'boot', `reset loop: ${judged.detail}`);
      case 'hang':
        return finish(
          'fail',
          'boot',
          `no boot marker within ${profile.bootTimeoutSec} s (${judged.detail})`,
        );
      case 'no_port':
        return finish('blocked', 'device', judged.detail ?? 'the serial port could not be read');
    }
  }
}

/** A boot that could not be read at all: the port is missing or cannot be opened. */
function noPort(detail: string): Judged {
  return { outcome: 'no_port', detail, reset_reason: null, resets: 0, elapsed_ms: 0, output: '' };
}

const NOT_THERE = 'does not exist (board unplugged or powered off?)';

/**
 * Null once `path` leads somewhere; else why not. Only a missing device may still come (a board
 * powering up, its USB bridge enumerating), so only that is waited for, up to `ms`; a link that
 * loops or a path that cannot be followed is said at once, in its own words.
 */
async function waitForLink(path: string, ms: number, signal?: AbortSignal): Promise<string | null> {
  for (let waited = 0; ; waited += 50) {
    try {
      realpathSync(path);
      return null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT')
        return `${path} ${LINK_PROBLEMS[code ?? ''] ?? `cannot be followed (${code})`}; check serial: in hutctl.yaml`;
      if (waited >= ms) return `${path} ${NOT_THERE}`;
    }
    await sleep(50, undefined, signal ? { signal } : {});
  }
}

const LINK_PROBLEMS: Record<string, string> = {
  ELOOP: 'is a loop of symbolic links',
  ENAMETOOLONG: 'is too long a path',
  ENOTDIR: 'has a part that is not a directory',
  EACCES: 'cannot be reached (permission denied on the way)',
};

/** `interrupted (SIGTERM)`: the reason the CLI gives its abort (INTERRUPTED_REASON). */
function interruption(signal: AbortSignal): string {
  const reason = signal.reason;
  return isHutError(reason) && reason.code === 'INTERRUPTED'
    ? reason.message
    : `${INTERRUPTED_REASON}cancelled)`;
}

/** The run's evidence log; a second run within the same second gets `_2`, `_3`, … (never overwrites). */
function newEvidence(dir: string, stem: string): { base: string; log: EvidenceLog } {
  for (let n = 1; ; n++) {
    const base = `${stem}${n === 1 ? '' : `_${n}`}_utc`;
    try {
      return { base, log: EvidenceLog.create(join(dir, `${base}.log`)) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 100) throw error;
    }
  }
}
