/** `hutctl store import`: the ledger rebuilt or back-filled from an evidence directory. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from './db.ts';
import { type Recorded, recordFile } from './record.ts';

export interface ImportSummary {
  recorded: Record<Recorded, number>;
  /** JSON files that were not recorded, and why (other files are not looked at). */
  skipped: Array<{ file: string; why: string }>;
}

/**
 * Records every evidence file in `dir` (not below it: evidence directories are flat). Recording
 * is idempotent, so importing twice, or importing what was recorded live, changes nothing.
 */
export async function importEvidence(
  db: Db,
  dir: string,
  progress: (done: number, total: number) => void = () => {},
): Promise<ImportSummary> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  const summary: ImportSummary = {
    recorded: { job: 0, delegation: 0, hil: 0, power: 0, health: 0, doc_edit: 0, action: 0 },
    skipped: [],
  };
  for (const [index, name] of names.entries()) {
    const outcome = await recordFile(db, join(dir, name));
    if ('kind' in outcome) summary.recorded[outcome.kind] += 1;
    else summary.skipped.push({ file: name, why: outcome.skipped });
    if ((index + 1) % 500 === 0) progress(index + 1, names.length);
  }
  return summary;
}
