/**
 * Power actions on a slot, shared by every backend: switch, then confirm by reading the relay
 * back; and the cycle — off, confirm, wait, on, confirm, settle — with bounded retries, a
 * cooldown, and a per-slot power lock so concurrent requests for one slot serialize while
 * different slots run together.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HutConfig, Slot, SlotPower } from '../config/index.ts';
import { localTarget } from '../config/index.ts';
import { HutError } from '../errors/index.ts';
import { acquireLock } from '../locks/index.ts';
import { slotLockPath } from '../slots/paths.ts';
import { LocalTransport } from '../transport/index.ts';
import { type PowerBackend, PowerError, type RelayState } from './backend.ts';
import { writePowerEvent } from './event.ts';
import { readPowerRecord, recordChanging, recordObserved, writePowerRecord } from './state.ts';

export type PowerStatus = 'ok' | 'timeout' | 'ha_error';

export interface PhaseTiming {
  attempt: number;
  phase: 'off' | 'confirm_off' | 'off_wait' | 'on' | 'confirm_on' | 'settle';
  duration_ms: number;
}

export interface PowerCycleResult {
  slot: string;
  backend: string;
  status: PowerStatus;
  attempts: number;
  max_retries: number;
  phases: PhaseTiming[];
  total_ms: number;
  last_state: RelayState | null;
  error: string | null;
  started_utc: string;
  ended_utc: string;
  /** Set when the power record could not be written (the cycle itself is as reported). */
  record_error?: string;
}

export interface PowerSwitchResult {
  slot: string;
  backend: string;
  action: 'on' | 'off';
  status: PowerStatus;
  state: RelayState | null;
  duration_ms: number;
  error: string | null;
  /** Set when the power record could not be written (the switch itself is as reported). */
  record_error?: string;
}

export interface PowerContext {
  config: HutConfig;
  slot: Slot;
  backend: PowerBackend;
  signal?: AbortSignal;
  /** Called as each phase starts (progress output). */
  onPhase?: (attempt: number, phase: PhaseTiming['phase']) => void;
  jobId?: string;
}

const POLL_MS = 100;

export async function powerCycle(
  ctx: PowerContext,
  options: { force?: boolean } = {},
): Promise<PowerCycleResult> {
  const power = requirePower(ctx.slot);
  const signal = ctx.signal ?? new AbortController().signal;
  await using _lock = await powerLock(ctx);
  const previous = await readPowerRecord(ctx.config.paths.stateDir, ctx.slot.id);
  const notes = recordNotes();
  const changing = recorder(ctx, notes.add);
  if (!options.force && previous?.last_cycle_end_utc) {
    const since = (Date.now() - Date.parse(previous.last_cycle_end_utc)) / 1000;
    if (since < power.cooldownSec) {
      throw new HutError(
        'COOLDOWN',
        `slot ${ctx.slot.id} was power-cycled ${since.toFixed(1)} s ago; its cooldown is ${power.cooldownSec} s`,
        {
          hint: `wait ${(power.cooldownSec - since).toFixed(1)} s, or pass --force`,
        },
      );
    }
  }
  const started = new Date();
  const phases: PhaseTiming[] = [];
  let attempts = 0;
  let failure: PowerError | null = null;
  let last: RelayState | null = null;
  const timed = async <T>(
    attempt: number,
    phase: PhaseTiming['phase'],
    work: () => Promise<T>,
  ): Promise<T> => {
    ctx.onPhase?.(attempt, phase);
    const began = performance.now();
    try {
      return await work();
    } finally {
      phases.push({ attempt, phase, duration_ms: Math.round(performance.now() - began) });
    }
  };
  for (let attempt = 1; attempt <= 1 + power.maxRetries; attempt++) {
    attempts = attempt;
    failure = null;
    try {
      await changing('cycle', 'off');
      await timed(attempt, 'off', () => ctx.backend.set('off', signal));
      last = await timed(attempt, 'confirm_off', () => confirm(ctx, 'off', signal));
      await changing('cycle', 'off_wait', last);
      await timed(attempt, 'off_wait', () => sleep(power.offSec * 1000, undefined, { signal }));
      await changing('cycle', 'on', last);
      await timed(attempt, 'on', () => ctx.backend.set('on', signal));
      last = await timed(attempt, 'confirm_on', () => confirm(ctx, 'on', signal));
      await changing('cycle', 'settle', last);
      await timed(attempt, 'settle', () => sleep(power.onSec * 1000, undefined, { signal }));
      break;
    } catch (error) {
      if (!(error instanceof PowerError)) throw error;
      failure = error;
      last = (await readQuietly(ctx.backend, signal)) ?? last;
      if (error.fatal || attempt > power.maxRetries) break;
      await sleep(power.cooldownSec * 1000, undefined, { signal });
    }
  }
  const ended = new Date();
  const result: PowerCycleResult = {
    slot: ctx.slot.id,
    backend: ctx.backend.describe(),
    status: failure ? failure.kind : 'ok',
    attempts,
    max_retries: power.maxRetries,
    phases,
    total_ms: ended.getTime() - started.getTime(),
    last_state: last,
    error: failure ? failure.message : null,
    started_utc: started.toISOString(),
    ended_utc: ended.toISOString(),
  };
  notes.add(
    await writePowerRecord(ctx.config.paths.stateDir, {
      slot: ctx.slot.id,
      state: last,
      observed_utc: ended.toISOString(),
      last_cycle_end_utc: ended.toISOString(),
      last_cycle_status: result.status,
    }),
  );
  notes.add(
    await writePowerEvent(ctx.config, {
      slot: result.slot,
      action: 'cycle',
      backend: result.backend,
      status: result.status,
      attempts,
      total_ms: result.total_ms,
      error: result.error,
      last_state: last,
      job_id: ctx.jobId ?? null,
      phases,
      started_utc: result.started_utc,
      ended_utc: result.ended_utc,
    }),
  );
  return notes.into(result);
}

/** Switches on or off and confirms the relay followed. */
export async function powerSwitch(
  ctx: PowerContext,
  action: 'on' | 'off',
): Promise<PowerSwitchResult> {
  requirePower(ctx.slot);
  const signal = ctx.signal ?? new AbortController().signal;
  await using _lock = await powerLock(ctx);
  const began = performance.now();
  const started = new Date();
  let state: RelayState | null = null;
  let error: PowerError | null = null;
  const notes = recordNotes();
  try {
    await recorder(ctx, notes.add)(action, action);
    await ctx.backend.set(action, signal);
    state = await confirm(ctx, action, signal);
  } catch (caught) {
    if (!(caught instanceof PowerError)) throw caught;
    error = caught;
    state = await readQuietly(ctx.backend, signal);
  }
  notes.add(await recordObserved(ctx.config.paths.stateDir, ctx.slot.id, state));
  const result: PowerSwitchResult = {
    slot: ctx.slot.id,
    backend: ctx.backend.describe(),
    action,
    status: error ? error.kind : 'ok',
    state,
    duration_ms: Math.round(performance.now() - began),
    error: error ? error.message : null,
  };
  notes.add(
    await writePowerEvent(ctx.config, {
      slot: result.slot,
      action,
      backend: result.backend,
      status: result.status,
      attempts: 1,
      total_ms: result.duration_ms,
      error: result.error,
      last_state: state,
      job_id: ctx.jobId ?? null,
      phases: [{ attempt: 1, phase: action, duration_ms: result.duration_ms }],
      started_utc: started.toISOString(),
      ended_utc: new Date().toISOString(),
    }),
  );
  return notes.into(result);
}

/**
 * A cold boot for a test: off, confirm, wait `off_sec`, on, confirm — under one hold of the power
 * lock, without the boot-settle wait (the caller reads the serial log from power-on). Returns
 * null when the relay followed, or what went wrong.
 */
export async function coldBoot(ctx: PowerContext): Promise<string | null> {
  const power = requirePower(ctx.slot);
  const signal = ctx.signal ?? new AbortController().signal;
  await using _lock = await powerLock(ctx);
  let state: RelayState | null = null;
  const changing = recorder(ctx);
  const started = new Date();
  const phases: PhaseTiming[] = [];
  const timed = async <T>(phase: PhaseTiming['phase'], work: () => Promise<T>): Promise<T> => {
    const began = performance.now();
    try {
      return await work();
    } finally {
      phases.push({ attempt: 1, phase, duration_ms: Math.round(performance.now() - began) });
    }
  };
  let failure: PowerError | null = null;
  let succeeded = false;
  // False from asking for a change until it is confirmed: stopped then (Ctrl-C), the relay may be
  // either way, and the record keeps saying a change is under way (slot status: unknown).
  let settled = true;
  try {
    await changing('cycle', 'off');
    settled = false;
    await timed('off', () => ctx.backend.set('off', signal));
    state = await timed('confirm_off', () => confirm(ctx, 'off', signal));
    settled = true;
    await changing('cycle', 'off_wait', state);
    await timed('off_wait', () => sleep(power.offSec * 1000, undefined, { signal }));
    await changing('cycle', 'on', state);
    settled = false;
    await timed('on', () => ctx.backend.set('on', signal));
    state = await timed('confirm_on', () => confirm(ctx, 'on', signal));
    settled = true;
    succeeded = true;
    return null;
  } catch (error) {
    if (!(error instanceof PowerError)) throw error;
    failure = error;
    state = await readQuietly(ctx.backend, signal);
    settled = true;
    return `${error.kind}: ${error.message}`;
  } finally {
    if (settled) await recordObserved(ctx.config.paths.stateDir, ctx.slot.id, state);
    else state = null;
    const ended = new Date();
    await writePowerEvent(ctx.config, {
      slot: ctx.slot.id,
      action: 'boot',
      backend: ctx.backend.describe(),
      status: failure ? failure.kind : succeeded ? 'ok' : signal.aborted ? 'cancelled' : 'error',
      attempts: 1,
      total_ms: ended.getTime() - started.getTime(),
      error: failure ? failure.message : null,
      last_state: state,
      job_id: ctx.jobId ?? null,
      phases,
      started_utc: started.toISOString(),
      ended_utc: ended.toISOString(),
    });
  }
}

/** Reads the relay; records what it saw. */
export async function powerState(
  ctx: PowerContext,
): Promise<{ state: RelayState | null; error: string | null; record_error?: string }> {
  requirePower(ctx.slot);
  const signal = ctx.signal ?? new AbortController().signal;
  try {
    const state = await ctx.backend.get(signal);
    const recordError = await recordObserved(ctx.config.paths.stateDir, ctx.slot.id, state);
    return { state, error: null, ...(recordError ? { record_error: recordError } : {}) };
  } catch (error) {
    if (!(error instanceof PowerError)) throw error;
    return { state: null, error: error.message };
  }
}

async function confirm(
  ctx: PowerContext,
  want: 'on' | 'off',
  signal: AbortSignal,
): Promise<RelayState> {
  const deadline = Date.now() + (ctx.config.homeAssistant?.confirmTimeoutSec ?? 10) * 1000;
  let seen: RelayState = 'unknown';
  for (;;) {
    seen = await ctx.backend.get(signal);
    if (seen === want) return seen;
    if (Date.now() >= deadline) {
      throw new PowerError(
        'timeout',
        `${ctx.backend.describe()} still reads '${seen}' after asking for '${want}'`,
      );
    }
    await sleep(POLL_MS, undefined, { signal });
  }
}

/** Notes each change of the relay before it is asked for (see PowerRecord.changing). */
function recorder(ctx: PowerContext, note: (error: string | null) => void = () => {}) {
  return async (action: 'cycle' | 'on' | 'off', phase: string, confirmed?: RelayState | null) =>
    note(await recordChanging(ctx.config.paths.stateDir, ctx.slot.id, action, phase, confirmed));
}

/** The first record that could not be written, added to the result as `record_error`. */
function recordNotes() {
  let first: string | null = null;
  return {
    add: (error: string | null) => {
      first ??= error;
    },
    into: <T extends object>(result: T): T & { record_error?: string } =>
      first === null ? result : { ...result, record_error: first },
  };
}

async function readQuietly(backend: PowerBackend, signal: AbortSignal): Promise<RelayState | null> {
  try {
    return await backend.get(signal);
  } catch {
    return null;
  }
}

function requirePower(slot: Slot): SlotPower {
  if (!slot.power) {
    throw new HutError('CONFIG', `slot ${slot.id} has no power control configured`, {
      hint: `add power: {backend: homeassistant, entity: switch.<relay>} under slots.${slot.id} in hutctl.yaml`,
    });
  }
  return slot.power;
}

async function powerLock(ctx: PowerContext) {
  const transport = new LocalTransport(localTarget());
  return acquireLock(transport, slotLockPath(ctx.config, ctx.slot.id, 'power'), {
    owner: {
      ...(ctx.jobId ? { job_id: ctx.jobId } : {}),
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}
