/**
 * The ledger's inbox: how a command hands the evidence it wrote to the ledger without waiting
 * for the ledger. Each evidence file gets one symbolic link here, made as the file is written (a
 * single system call); whoever opens the ledger next — a history command, a slot's health check
 * before its next job, `serve` as the link appears — records what the inbox names and removes the
 * links. So a job pays nothing for the ledger, a ledger that is locked or cannot be written never
 * delays one, and every reader sees what every finished command wrote.
 *
 * A link is removed only after its file was recorded (or found gone, or not evidence of ours):
 * a process killed halfway leaves links the next reader records again, which changes nothing
 * (rows are keyed by their file). Two readers draining at once record the same files twice, to
 * the same effect.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, readdirSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { HutConfig } from '../config/index.ts';
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

/** Names `file` in the inbox (throws what the file system says when it cannot). */
export function addToInbox(config: HutConfig, file: string): void {
  const dir = inboxDir(config);
  privateDir(dirname(dir), config.paths.shareGroup);
  privateDir(dir, config.paths.shareGroup);
  // Names sort in the order the files were written; the random part keeps processes apart.
  const name = `${Date.now().toString().padStart(15, '0')}-${(sequence++).toString().padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
  symlinkSync(resolve(file), join(dir, name));
}

export interface Drained {
  recorded: number;
  /** Files named in the inbox that were not recorded, and why (not evidence, not valid). */
  skipped: Array<{ path: string; why: string }>;
}

/**
 * Records every file the inbox names, oldest first, each link removed once its file is in the
 * ledger. Nothing to do when the inbox is empty or not there, or when this user may not change
 * it (a team member reading a ledger shared with the group). A database error stops the drain
 * and is thrown, the links it did not reach left for the next reader.
 */
export async function drainInbox(db: Db, dir: string): Promise<Drained> {
  const drained: Drained = { recorded: 0, skipped: [] };
  let names: string[];
  try {
    names = readdirSync(dir);
    if (names.length === 0) return drained;
    accessSync(dir, constants.W_OK);
  } catch {
    return drained;
  }
  const { recordFile } = await import('./record.ts');
  for (const name of names.sort()) {
    const link = join(dir, name);
    let target: string;
    try {
      target = readlinkSync(link);
    } catch (error) {
      // Taken by another reader (ENOENT), or something that is not one of our links (EINVAL).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') forget(link);
      continue;
    }
    const outcome = await recordFile(db, target);
    if ('kind' in outcome) drained.recorded += 1;
    // A file removed since (store gc, a person) is simply gone; anything else is said.
    else if (!outcome.skipped.includes('ENOENT'))
      drained.skipped.push({ path: target, why: outcome.skipped });
    forget(link);
  }
  return drained;
}

function forget(link: string): void {
  try {
    unlinkSync(link);
  } catch {}
}
