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
  outcome: 'done' | 'failed' | 'refused';
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
  const dir = config.paths.evidenceDir;
  privateDir(dir, config.paths.shareGroup);
  checkWritableDir(dir);
  const subject = action.slot ?? action.job_id ?? 'farm';
  const path = join(
    dir,
    `runner_action_${action.action}_${subject}_${utcStamp(new Date(record.at_utc))}_${randomHex(6)}_utc.json`,
  );
  await writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
  const { noteEvidence, flushLedger } = await import('../store/ledger.ts');
  noteEvidence(config, path, record);
  await flushLedger();
  return record;
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
