/**
 * `hutctl store gc`: retention. Removes what is older than the keep period from the directories
 * hutctl owns — evidence files, stored artifacts that no result or job newer than the cutoff
 * names, hil's per-slot firmware copies — and the ledger rows of the evidence it removes. It never
 * touches what an unfinished job uses (a running record whose executor lives, a file a process
 * has open, the copies and in-flight logs of a slot whose lock is held), nor the few results a
 * slot's health rests on (store/retention.ts), nor an artifact such a result names.
 *
 * The order makes a kill at any point safe: the ledger rows go first, in one transaction, then
 * the files (a run's report last), and a directory is renamed to `.gc-…` before it is deleted.
 * Killed half-way, the ledger names no removed file, and the next gc removes what is left.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { rename, rm, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { HutConfig } from '../config/index.ts';
import { isValidId } from '../contract/ids.ts';
import { HutError, quoteValue } from '../errors/index.ts';
import { checkWritableDir, fsReason, randomHex, readTextFile } from '../files/index.ts';
import { PERIOD_FORMS, periodMs } from '../format/index.ts';
import { firmwareCopiesDir } from '../hil/index.ts';
import { executorAlive, type RunningRecord } from '../jobs/index.ts';
import { slotStatus } from '../slots/index.ts';
import type { Db } from '../store/db.ts';
import {
  evidenceRowsCount,
  evidenceRowsDelete,
  healthAnchors,
  recentShas,
} from '../store/retention.ts';
import {
  type EvidenceGroup,
  type FoundTree,
  openFiles,
  scanArtifacts,
  scanEvidence,
  scanFirmware,
  TRASH_PREFIX,
} from './scan.ts';

/** Evidence files are a few KiB; anything far larger is not one of ours. */
const EVIDENCE_MAX_BYTES = 4 * 1024 * 1024;

export type GcKind = 'evidence' | 'artifact' | 'firmware';

export interface GcOptions {
  config: HutConfig;
  /** The ledger; null when it is off. */
  db: Db | null;
  /** The keep period as written (`30d`), and where (`--keep` or `store.keep`), for messages. */
  keep: string;
  dryRun?: boolean;
  now?: Date;
}

export interface GcSummary {
  dry_run: boolean;
  keep: string;
  cutoff_utc: string;
  ledger: 'sqlite' | 'postgres' | 'off';
  /** What went (or, with --dry-run, would go), per kind: items (runs, artifacts, copies), files, bytes. */
  freed: Record<GcKind, { items: number; files: number; bytes: number }>;
  ledger_rows: number;
  removed: Array<{ kind: GcKind; path: string; files: number; bytes: number }>;
  /** What is older than the cutoff and stays, and why. */
  kept: Array<{ kind: GcKind; path: string; why: string }>;
  /** What could not be removed (its ledger rows are gone; a later gc tries again). */
  failed: Array<{ kind: GcKind; path: string; why: string }>;
}

/** The keep period in milliseconds, or a one-line usage error naming where it came from. */
export function keepPeriod(text: string, where = '--keep'): number {
  const ms = periodMs(text);
  if (ms === null)
    throw new HutError('USAGE', `${where} ${quoteValue(text)}: expected ${PERIOD_FORMS}`);
  return ms;
}

export async function storeGc(options: GcOptions): Promise<GcSummary> {
  const { config, db } = options;
  const now = options.now ?? new Date();
  const cutoffMs = now.getTime() - keepPeriod(options.keep);
  const cutoff = new Date(cutoffMs).toISOString();
  const dirs = {
    evidence: resolve(config.paths.evidenceDir),
    store: resolve(config.artifacts.store),
    firmware: resolve(firmwareCopiesDir(config)),
  };
  const summary: GcSummary = {
    dry_run: options.dryRun === true,
    keep: options.keep,
    cutoff_utc: cutoff,
    ledger: db?.engine ?? 'off',
    freed: {
      evidence: { items: 0, files: 0, bytes: 0 },
      artifact: { items: 0, files: 0, bytes: 0 },
      firmware: { items: 0, files: 0, bytes: 0 },
    },
    ledger_rows: 0,
    removed: [],
    kept: [],
    failed: [],
  };
  const keep = (kind: GcKind, path: string, why: string) => summary.kept.push({ kind, path, why });
  const go = (kind: GcKind, path: string, files: number, bytes: number) => {
    summary.removed.push({ kind, path, files, bytes });
    summary.freed[kind].items += 1;
    summary.freed[kind].files += files;
    summary.freed[kind].bytes += bytes;
  };

  const evidence = scanEvidence(dirs.evidence);
  const artifacts = scanArtifacts(dirs.store);
  const firmware = scanFirmware(dirs.firmware);
  const real = (dir: string) => {
    try {
      return realpathSync(dir);
    } catch {
      return dir;
    }
  };
  const evidenceReal = real(dirs.evidence);
  const open = openFiles([evidenceReal, real(dirs.store), real(dirs.firmware)]);
  const busy = new Map<string, string>();
  for (const s of await slotStatus(config))
    if (s.locked)
      busy.set(s.slot, s.holder?.job_id ? `held by ${s.holder.job_id}` : 'its lock is held');
  const anchors = db ? await healthAnchors(db, config, now) : { paths: new Map(), shas: new Map() };

  // Commits whose artifacts stay, with why; an artifact is named by any prefix of its SHA.
  const named = new Map<string, string>();
  const name = (sha: string | null, why: string) => {
    if (sha && isValidId('sha', sha) && !named.has(sha.toLowerCase()))
      named.set(sha.toLowerCase(), why);
  };
  if (db)
    for (const sha of await recentShas(db, cutoff)) name(sha, 'a newer result or job names it');
  for (const [sha, why] of anchors.shas) name(sha, why);
  if (config.health.golden) name(config.health.golden.sha, 'the golden artifact (health.golden)');
  for (const [slot, who] of busy) {
    const sha = /^hil-([0-9a-f]{7,64})-/.exec(who.replace(/^held by /, ''))?.[1] ?? null;
    name(sha, `slot ${slot} is testing it`);
  }

  const doomed: EvidenceGroup[] = [];
  for (const group of evidence.groups) {
    const why =
      group.newestMs >= cutoffMs
        ? null
        : (unfinished(group) ?? anchorOf(group, anchors.paths, evidenceReal));
    if (group.newestMs >= cutoffMs || why) {
      for (const sha of shasOf(group))
        name(sha, why ? `evidence kept (${why}) names it` : 'a newer result or job names it');
      if (why) keep('evidence', shownPath(group), why);
    } else doomed.push(group);
  }
  for (const odd of evidence.odd) if (odd.mtimeMs < cutoffMs) keep('evidence', odd.path, odd.why);

  const trees: Array<{ kind: GcKind; tree: FoundTree }> = [];
  for (const copy of firmware.copies) {
    if (copy.newestMs >= cutoffMs) continue;
    const held = busy.get(copy.slot);
    if (held) {
      keep('firmware', copy.path, `unfinished: slot ${copy.slot} is in use (${held})`);
      name(copy.sha, `slot ${copy.slot} is in use with it`);
    } else trees.push({ kind: 'firmware', tree: copy });
  }
  for (const artifact of artifacts.artifacts) {
    if (artifact.newestMs >= cutoffMs) continue;
    const sha = artifact.sha;
    const why = [...named].find(([n]) => n.startsWith(sha) || sha.startsWith(n))?.[1];
    if (why) keep('artifact', artifact.path, why);
    else trees.push({ kind: 'artifact', tree: artifact });
  }
  for (const leftover of artifacts.leftovers)
    if (leftover.newestMs < cutoffMs) trees.push({ kind: 'artifact', tree: leftover });
  for (const odd of [...artifacts.odd, ...firmware.odd])
    if (odd.mtimeMs < cutoffMs)
      keep(odd.path.startsWith(dirs.store) ? 'artifact' : 'firmware', odd.path, odd.why);
  const removable = trees.filter(({ kind, tree }) => {
    try {
      accessSync(dirname(tree.path), constants.W_OK | constants.X_OK);
      return true;
    } catch (error) {
      keep(kind, tree.path, `this user may not remove it (${fsReason(error)})`);
      return false;
    }
  });

  for (const group of doomed) go('evidence', shownPath(group), group.files.length, bytesOf(group));
  for (const { kind, tree } of removable) go(kind, tree.path, tree.files, tree.bytes);
  // A killed gc's renamed directories: counted, and removed whatever their age.
  for (const tree of artifacts.trash) go('artifact', tree.path, tree.files, tree.bytes);
  for (const tree of firmware.trash) go('firmware', tree.path, tree.files, tree.bytes);

  // Rows are keyed by the path the file was recorded under: the directory as configured, or as
  // resolved (a `store import` by another spelling of it).
  const keys = doomed.flatMap((g) =>
    g.files.flatMap((f) => [
      f.path,
      ...(evidenceReal === dirs.evidence ? [] : [join(evidenceReal, basename(f.path))]),
    ]),
  );
  if (db && keys.length > 0) summary.ledger_rows = await evidenceRowsCount(db, keys);
  if (summary.dry_run) return sorted(summary);

  if (doomed.length > 0) {
    try {
      checkWritableDir(dirs.evidence);
    } catch (error) {
      throw new HutError('IO', `cannot remove evidence from ${dirs.evidence}: ${fsReason(error)}`, {
        hint: 'run store gc as the user that owns the evidence; nothing was changed',
      });
    }
  }
  if (db && keys.length > 0) await evidenceRowsDelete(db, keys);
  for (const group of doomed) {
    // The report last: a run half-removed still reads as one that ended.
    const files = [...group.files].sort((a, b) => rank(a.path, group) - rank(b.path, group));
    for (const file of files)
      await unlink(file.path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return;
        summary.failed.push({ kind: 'evidence', path: file.path, why: fsReason(error) });
        summary.freed.evidence.files -= 1;
        summary.freed.evidence.bytes -= file.bytes;
      });
  }
  for (const { kind, tree } of removable) {
    try {
      await removeTree(tree.path);
      if (kind === 'artifact') await rmdir(dirname(tree.path)).catch(() => {});
    } catch (error) {
      // Not freed after all (a rename that failed left it whole).
      summary.failed.push({ kind, path: tree.path, why: fsReason(error) });
      summary.removed = summary.removed.filter((r) => r.path !== tree.path);
      summary.freed[kind].items -= 1;
      summary.freed[kind].files -= tree.files;
      summary.freed[kind].bytes -= tree.bytes;
    }
  }
  for (const tree of [...artifacts.trash, ...firmware.trash])
    await rm(tree.path, { recursive: true, force: true }).catch(() => {});
  for (const tree of artifacts.trash) await rmdir(dirname(tree.path)).catch(() => {});
  return sorted(summary);

  /** Why a run without a report may still be going, or null. */
  function unfinished(group: EvidenceGroup): string | null {
    if (group.running && !group.report) {
      const record = readRunningSync(group.running);
      if (!record?.report && record && executorAlive(record) !== false)
        return `unfinished: job ${record.job_id} is running (pid ${record.pid} on ${record.host})`;
    }
    for (const file of group.files) {
      const pid = open.get(join(evidenceReal, basename(file.path)));
      if (pid !== undefined) return `unfinished: process ${pid} has it open`;
    }
    if (!group.report && group.base.startsWith('runner_hil_')) {
      for (const [slot, who] of busy)
        if (group.base.includes(`_${slot}_`)) return `unfinished: slot ${slot} is in use (${who})`;
    }
    return null;
  }
}

function anchorOf(group: EvidenceGroup, paths: Map<string, string>, real: string): string | null {
  for (const file of group.files) {
    const why = paths.get(file.path) ?? paths.get(join(real, basename(file.path)));
    if (why) return `slot health rests on it: ${why}`;
  }
  return null;
}

/** The commits a run's evidence names: its report's or running record's, or a hil log's name. */
function shasOf(group: EvidenceGroup): string[] {
  const shas: string[] = [];
  for (const path of [group.report, group.running]) {
    if (path === null) continue;
    const sha = (readJson(path) as { commit_sha?: unknown } | null)?.commit_sha;
    if (typeof sha === 'string') shas.push(sha);
  }
  const fromName = /^runner_hil_.+_([0-9a-f]{12})_\d{8}_\d{6}(?:_\d+)?_utc$/.exec(group.base)?.[1];
  if (fromName) shas.push(fromName);
  return shas;
}

/**
 * A small JSON file as a value; null for anything else (evidence is a few KiB). The scan saw a
 * regular file, but the directory may be the team's: what is read is still refused if it has
 * become a link, a FIFO or a device since, never followed or waited on.
 */
function readJson(path: string): unknown {
  try {
    return JSON.parse(readTextFile(path, EVIDENCE_MAX_BYTES, { noFollow: true }));
  } catch {
    return null;
  }
}

function readRunningSync(path: string): RunningRecord | null {
  const record = readJson(path) as RunningRecord | null;
  return record && typeof record === 'object' && typeof record.pid === 'number' ? record : null;
}

/** The file that names a run: its report, else its log, else whatever is left of it. */
function shownPath(group: EvidenceGroup): string {
  return group.report ?? group.log ?? group.running ?? group.files[0]!.path;
}

function bytesOf(group: EvidenceGroup): number {
  return group.files.reduce((sum, file) => sum + file.bytes, 0);
}

/** Temp files, the running record and the log before the report. */
function rank(path: string, group: EvidenceGroup): number {
  if (path === group.report) return 3;
  if (path === group.log) return 2;
  if (path === group.running) return 1;
  return 0;
}

/** A directory removed as a whole: renamed to a hidden `.gc-…` name first, then deleted. */
async function removeTree(path: string): Promise<void> {
  const trash = join(
    dirname(path),
    `${TRASH_PREFIX}${basename(path)}-${process.pid}-${randomHex(6)}`,
  );
  await rename(path, trash);
  await rm(trash, { recursive: true, force: true });
}

function sorted(summary: GcSummary): GcSummary {
  const order = (a: { kind: string; path: string }, b: { kind: string; path: string }) =>
    a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  summary.removed.sort(order);
  summary.kept.sort(order);
  summary.failed.sort(order);
  return summary;
}
