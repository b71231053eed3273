/**
 * The edits hutctl made to the team's documents, as evidence: one small `hutctl.doc-edit.v1`
 * file per edit in the evidence directory (`<role>_docedit_<edit>_<YYYYMMDD_HHMMSS>_<hex>_utc.json`),
 * noted for the ledger like every other evidence file, so `store import` rebuilds them too.
 */
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { type HutConfig, personAtHost } from '../config/index.ts';
import { utcStamp } from '../contract/ids.ts';
import { checkWritableDir, privateDir, randomHex, writeFileAtomic } from '../files/index.ts';
import { redact } from '../secrets/index.ts';
import { noteEvidence } from '../store/ledger.ts';
import type { MadeEdit } from './journal.ts';

/** `hutctl.doc-edit.v1` (its schema is in store/evidence-schemas.ts). */
export interface DocEdit {
  schema_version: 'hutctl.doc-edit.v1';
  /** The documents' repository (its root). */
  repository: string;
  /** The document, relative to the repository. */
  document: string;
  edit: string;
  summary: string;
  /** The agent the edit was made as (`role:id`), or the person (`user@host`). */
  by: string;
  /** The role of `by`, when it is an agent. */
  role: string | null;
  command: string;
  lines_added: number;
  lines_removed: number;
  commit_sha: string | null;
  evidence: string | null;
  host: string;
  at_utc: string;
}

const MAX_SUMMARY = 300;

/** Writes each edit's evidence file and notes it for the ledger; returns their paths. */
export async function writeEditEvidence(config: HutConfig, edits: MadeEdit[]): Promise<string[]> {
  const dir = config.paths.evidenceDir;
  privateDir(dir, config.paths.shareGroup);
  checkWritableDir(dir);
  const paths: string[] = [];
  for (const edit of edits) {
    const role = /^([a-z][a-z0-9-]{0,31}):/.exec(edit.by ?? '')?.[1] ?? null;
    // One line, cut: the document itself has the whole text.
    const line = Array.from(redact(edit.summary).replace(/\s+/g, ' ').trim());
    const document: DocEdit = {
      schema_version: 'hutctl.doc-edit.v1',
      repository: edit.repository,
      document: relative(edit.repository, edit.path),
      edit: edit.edit,
      summary: `${line.slice(0, MAX_SUMMARY).join('')}${line.length > MAX_SUMMARY ? '…' : ''}`,
      by: edit.by ?? personAtHost(),
      role,
      command: edit.command,
      lines_added: edit.lines_added,
      lines_removed: edit.lines_removed,
      commit_sha: edit.commit_sha ?? null,
      evidence: edit.evidence ?? null,
      host: hostname(),
      at_utc: edit.at.toISOString(),
    };
    const path = join(
      dir,
      `${role ?? 'hutctl'}_docedit_${edit.edit}_${utcStamp(edit.at)}_${randomHex(6)}_utc.json`,
    );
    await writeFileAtomic(path, `${JSON.stringify(document, null, 2)}\n`);
    noteEvidence(config, path);
    paths.push(path);
  }
  return paths;
}
