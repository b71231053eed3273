/**
 * The ledger's inbox: how a command hands the evidence it wrote to the ledger without waiting
 * for the ledger. Each evidence file gets one symbolic link here, made as the file is written (a
 * single system call); whoever opens the ledger next — a history command, a slot's health check
 * before its next job, `serve` as the link appears — records what the inbox names and removes the
 * links. So a job pays nothing for the ledger, a ledger that is locked, broken or out of reach
 * never delays one, and every reader sees what every finished command wrote.
 *
 * A link is removed only after its file was recorded (or found gone, or not evidence of ours):
 * a process killed halfway leaves links the next reader records again, which changes nothing
 * (rows are keyed by their file). Two readers draining at once record the same files twice, to
 * the same effect.
 *
 * What is read is trusted no more than the inbox: it must be this user's own directory, not
 * writable by others, each entry a link this user made, naming a file this user owns that is
 * named as hutctl's evidence (`<role>_…_utc.json`, wherever `--evidence-dir` put it); the file
 * itself is read like any file from outside (regular, bounded, never blocking).
 */
import {
  accessSync,
  constants,
  lstatSync,
  readdirSync,
  readlinkSync,
  type Stats,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { HutConfig } from '../config/index.ts';
import { EVIDENCE_FILE } from '../contract/ids.ts';
import { privateDir } from '../files/index.ts';
import type { Db } from './db.ts';

/** Where the inbox of the configured ledger is: beside an SQLite file, else in the state directory. */
export function inboxDir(config: HutConfig): string {
  const { store } = config;
  return store.engine === 'sqlite'
    ? `${store.path}.inbox`
    : join(config.paths.stateDir, 'ledger.inbox');
}

let sequence = 0;
const uid = () => process.getuid?.() ?? -1;

/** Why `dir` may not be used as this user's inbox, or null. */
function untrusted(info: Stats): string | null {
  if (!info.isDirectory()) return 'not a directory';
  if (info.uid !== uid()) return `owned by another user (uid ${info.uid})`;
  if (info.mode & 0o002) return 'writable by every user';
  return null;
}

/** Names `file` in the inbox; returns the link, or throws why it could not. */
export function addToInbox(config: HutConfig, file: string): string {
  const dir = inboxDir(config);
  try {
    privateDir(dir, config.paths.shareGroup);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const why = untrusted(lstatSync(dir));
  if (why) throw new Error(`${dir} is ${why}`);
  // Names sort in the order the files were written; pid and sequence keep processes apart.
  const name = `${Date.now().toString().padStart(15, '0')}-${process.pid}-${(sequence++).toString().padStart(6, '0')}`;
  const link = join(dir, name);
  symlinkSync(resolve(file), link);
  return link;
}

export interface Drained {
  recorded: number;
  /** Entries that were not recorded, and why (not evidence, not valid, not ours). */
  skipped: Array<{ path: string; why: string }>;
  /** Why the inbox itself could not be read or emptied, when it is this user's. */
  problem: string | null;
}

/**
 * Records every file the inbox names, oldest first, each link removed once its file is in the
 * ledger. Nothing to do when the inbox is empty or not there, or belongs to another user (a team
 * member reading a ledger shared with the group). A database error stops the drain and is
 * thrown, the links it did not reach left for the next reader.
 */
export async function drainInbox(db: Db, dir: string): Promise<Drained> {
  const drained: Drained = { recorded: 0, skipped: [], problem: null };
  let info: Stats;
  try {
    info = lstatSync(dir);
  } catch {
    return drained;
  }
  if (info.isDirectory() && info.uid !== uid()) return drained;
  const why = untrusted(info);
  if (why) {
    drained.problem = `${dir} is ${why}: what it holds is not read`;
    return drained;
  }
  let names: string[];
  try {
    names = readdirSync(dir);
    if (names.length === 0) return drained;
    accessSync(dir, constants.W_OK);
  } catch (error) {
    drained.problem = `${dir} cannot be emptied (${(error as NodeJS.ErrnoException).code}): the evidence it names waits`;
    return drained;
  }
  const { recordFile } = await import('./record.ts');
  for (const name of names.sort()) {
    const link = join(dir, name);
    let target: string;
    try {
      const entry = lstatSync(link);
      if (!entry.isSymbolicLink()) {
        drained.skipped.push({ path: link, why: 'not a link hutctl made; removed' });
        forget(link);
        continue;
      }
      if (entry.uid !== uid()) {
        drained.skipped.push({ path: link, why: `made by another user (uid ${entry.uid})` });
        forget(link);
        continue;
      }
      // A relative link is relative to the inbox, as the file system reads it.
      target = resolve(dir, readlinkSync(link));
    } catch {
      continue; // taken by another reader meanwhile
    }
    const why = notOurs(target);
    // A file removed since (store gc, a person) is simply gone; anything else is said.
    if (why !== GONE) {
      const outcome = why ? { skipped: why } : await recordFile(db, target);
      if ('kind' in outcome) drained.recorded += 1;
      else drained.skipped.push({ path: target, why: outcome.skipped });
    }
    forget(link);
  }
  return drained;
}

const GONE = Symbol('gone');

/** Why the file a link names is not evidence this user wrote, GONE, or null when it is. */
function notOurs(target: string): string | typeof GONE | null {
  if (EVIDENCE_FILE.exec(basename(target))?.[2] !== 'json')
    return 'not named as hutctl evidence (<role>_…_utc.json)';
  let info: Stats;
  try {
    info = lstatSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return GONE;
    return null; // said when it is read
  }
  if (info.isSymbolicLink()) return 'a symbolic link, not an evidence file';
  if (info.uid !== uid()) return `owned by another user (uid ${info.uid})`;
  return null;
}

function forget(link: string): void {
  try {
    unlinkSync(link);
  } catch {}
}
