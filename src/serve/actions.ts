/**
 * What `serve` and MCP may change — power a slot, take it into or out of maintenance, set its
 * health, cancel a job — and the action log that says who did it, how, why and when. Each
 * action is an evidence file (`hutctl.action.v1`, `runner_action_…_utc.json`), written whatever
 * the outcome, refusals included, and recorded in the ledger; `store import` rebuilds the log.
 */
import { join } from 'node:path';
import type { HutConfig, Slot } from '../config/index.ts';
import { utcStamp } from '../contract/ids.ts';
import { HutError } from '../errors/index.ts';
import { checkWritableDir, privateDir, randomHex, writeFileAtomic } from '../files/index.ts';
import { fsReason } from '../files/reason.ts';

export type ActionName =
  | 'power-cycle'
  | 'power-on'
  | 'power-off'
  | 'health'
  | 'cancel'
  | 'lease'
  | 'release'
  | 'run'
  | 'hil-run'
  | 'handoff';

/** `hutctl.action.v1` (its schema is in store/evidence-schemas.ts). */
export interface ActionRecord {
  schema_version: 'hutctl.action.v1';
  action: ActionName;
  slot: string | null;
  job_id: string | null;
  /** Who: the name the caller gave, and where from (`alice via 127.0.0.1`, an agent's name). */
  by: string;
  via: 'http' | 'mcp';
  reason: string;
  /** `started`: written before the change was made; what happened replaces it. */
  outcome: 'started' | 'done' | 'failed' | 'refused';
  /** What happened, in one line (a power result, why it was refused). */
  detail: string | null;
  at_utc: string;
}

/** Writes the action's evidence and records it; returns the record. Never throws for the ledger. */
export async function logAction(
  config: HutConfig,
  action: Omit<ActionRecord, 'schema_version' | 'at_utc'>,
): Promise<ActionRecord> {
  const record: ActionRecord = {
    schema_version: 'hutctl.action.v1',
    ...action,
    at_utc: new Date().toISOString(),
  };
  await writeAction(config, actionPath(config, record), record);
  return record;
}

/**
 * Runs a change with its action log around it: the record is written first (outcome `started`),
 * so a change whose evidence cannot be kept (a full disk) is not made at all; then the change;
 * then the record again with what happened. A final write that fails does not hide what was
 * done: it is returned as `evidence_error` beside the result.
 */
export async function withAction<T>(
  config: HutConfig,
  action: Omit<ActionRecord, 'schema_version' | 'at_utc' | 'outcome' | 'detail'>,
  work: () => Promise<{ outcome: ActionRecord['outcome']; detail: string; value: T }>,
): Promise<{ record: ActionRecord; value: T; evidence_error?: string }> {
  const record: ActionRecord = {
    schema_version: 'hutctl.action.v1',
    ...action,
    outcome: 'started',
    detail: null,
    at_utc: new Date().toISOString(),
  };
  const path = actionPath(config, record);
  try {
    await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
  } catch (error) {
    throw new HutError(
      'IO',
      `the action log cannot be written in ${config.paths.evidenceDir} (${fsReason(error)}): nothing was done`,
      { hint: 'free some space there (or fix its permissions), then try again' },
    );
  }
  const done = await work();
  Object.assign(record, { outcome: done.outcome, detail: done.detail });
  try {
    await writeAction(config, path, record);
    return { record, value: done.value };
  } catch (error) {
    return {
      record,
      value: done.value,
      evidence_error: `it was done, but its outcome could not be written to ${path}: ${fsReason(error)}`,
    };
  }
}

function actionPath(config: HutConfig, record: ActionRecord): string {
  const dir = config.paths.evidenceDir;
  privateDir(dir, config.paths.shareGroup);
  checkWritableDir(dir);
  const subject = record.slot ?? record.job_id ?? 'farm';
  return join(
    dir,
    `runner_action_${record.action}_${subject}_${utcStamp(new Date(record.at_utc))}_${randomHex(6)}_utc.json`,
  );
}

async function writeAction(config: HutConfig, path: string, record: ActionRecord): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
  const { noteEvidence, flushLedger } = await import('../store/ledger.ts');
  noteEvidence(config, path);
  await flushLedger();
}

export interface Actor {
  by: string;
  via: 'http' | 'mcp';
}

/** A reason is required for every change: the log is read by the next person on call. */
export function checkReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim() === '')
    throw new HutError('USAGE', 'a reason is required (what you are doing and why)');
  if (reason.length > 500 || /[\u0000-\u001f\u007f]/.test(reason))
    throw new HutError('USAGE', 'the reason must be one line of at most 500 characters');
  return reason.trim();
}

export interface PowerOutcome {
  status: string;
  detail: string;
  result: unknown;
}

/** Cycles, or switches on or off, a slot's relay (the power lock and cooldown as the CLI). */
export async function powerAction(
  config: HutConfig,
  slot: Slot,
  action: 'cycle' | 'on' | 'off',
  options: { force?: boolean; jobId?: string } = {},
): Promise<PowerOutcome> {
  const { backendFor, powerCycle, powerSwitch } = await import('../power/index.ts');
  const ctx = {
    config,
    slot,
    backend: backendFor(config, slot),
    ...(options.jobId ? { jobId: options.jobId } : {}),
  };
  if (action === 'cycle') {
    const result = await powerCycle(ctx, { force: options.force === true });
    return {
      status: result.status,
      detail: `${result.status} after ${result.attempts} attempt(s) in ${(result.total_ms / 1000).toFixed(2)} s; relay ${result.last_state ?? 'unknown'}${result.error ? `; ${result.error}` : ''}`,
      result,
    };
  }
  const result = await powerSwitch(ctx, action);
  return {
    status: result.status,
    detail: `${result.status}, relay ${result.state ?? 'unknown'}${result.error ? `: ${result.error}` : ''}`,
    result,
  };
}
