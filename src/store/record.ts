/**
 * Evidence into the ledger. Each kind of evidence file hutctl writes — a job's (or a
 * delegation's) report, a hil result, a power event, a health decision, a document edit —
 * becomes rows keyed by the file's path, so recording a file again (live,
 * then by `store import`) changes nothing, and a ledger rebuilt from the evidence is the ledger
 * that was recorded live. What a file is comes from its `schema_version`, never its name, and
 * every file is checked against its schema before a row is written.
 */
import * as z from 'zod/mini';
import { reportSchema } from '../contract/schemas.ts';
import { unprefixed } from '../contract/validate.ts';
import { FileReadError, readTextFile } from '../files/read.ts';
import { hilResultSchema } from '../hil/result-schema.ts';
import type { Db } from './db.ts';
import {
  actionSchema,
  docEditSchema,
  healthEventSchema,
  powerEventSchema,
} from './evidence-schemas.ts';
import { kindOf, type Recorded, recordTrusted } from './rows.ts';

/** Evidence files are a few KiB; anything far larger is not one of ours. */
const MAX_EVIDENCE_BYTES = 4 * 1024 * 1024;

export type { Recorded };

/** Why a file was not recorded (not evidence of ours, or not valid), or what it was. */
export type RecordOutcome = { kind: Recorded } | { skipped: string };

/** Reads `path` and records what it holds. */
export async function recordFile(db: Db, path: string): Promise<RecordOutcome> {
  let text: string;
  try {
    // Never a FIFO, a device or a file whose read blocks, and never more than evidence is.
    text = readTextFile(path, MAX_EVIDENCE_BYTES);
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    return { skipped: error.reason };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { skipped: 'not JSON' };
  }
  return recordDocument(db, path, data);
}

const SCHEMAS = {
  'ws2.report.v1': reportSchema,
  'hutctl.hil-result.v1': hilResultSchema,
  'hutctl.power-event.v1': powerEventSchema,
  'hutctl.health-event.v1': healthEventSchema,
  'hutctl.action.v1': actionSchema,
  'hutctl.doc-edit.v1': docEditSchema,
} as const;

export async function recordDocument(db: Db, path: string, data: unknown): Promise<RecordOutcome> {
  const version = (data as { schema_version?: unknown } | null)?.schema_version;
  if (typeof version !== 'string' || !Object.hasOwn(SCHEMAS, version)) {
    return { skipped: 'not a hutctl evidence file' };
  }
  let parsed: ReturnType<typeof z.safeParse>;
  try {
    parsed = z.safeParse(SCHEMAS[version as keyof typeof SCHEMAS] as z.ZodMiniType, data);
    // Kept whole in the ledger as JSON: a document nested too deeply to write out is not ours.
    JSON.stringify(data);
  } catch (error) {
    if (error instanceof RangeError) return { skipped: 'nested too deeply to be evidence' };
    throw error;
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      skipped: `not a valid ${version}: ${issue?.path.join('.') || '(top)'}: ${issue ? unprefixed(issue.path, issue.message) : ''}`,
    };
  }
  const kind = kindOf(parsed.data)!;
  // A skipped test ran nothing: it is said in a run's output, never kept as a result.
  if (kind === 'hil' && (parsed.data as { status: string }).status === 'skipped')
    return { skipped: 'a skipped test is not a result' };
  await recordTrusted(db, path, kind, parsed.data);
  return { kind };
}
