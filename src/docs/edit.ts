/**
 * The one writer of the team's documents (and of hutctl.yaml for `slot import`): a
 * read-modify-write under a lock on the document's directory, written atomically and losslessly
 * (files/keep.ts: only the changed lines get new bytes; endings, mode, owner, group and symlinks
 * are kept; nothing is left in the directory). An edit made with a note is journaled for the
 * ledger.
 */
import { hostname } from 'node:os';
import { localTarget } from '../config/index.ts';
import { editFileKeeping, type KeptEdit, readKeeping } from '../files/index.ts';
import { acquireLock } from '../locks/index.ts';
import { LocalTransport } from '../transport/index.ts';
import { type EditNote, journalEdit, linesChanged } from './journal.ts';

import { DOCUMENT_MAX_BYTES } from './limits.ts';

export { DOCUMENT_MAX_BYTES };

/**
 * Two writers never interleave: `change` sees the document as it is under the lock, as text
 * whose lines are joined by `\n` (bytes that are not UTF-8 stand for themselves, see
 * files/text.ts), and returns the text it should become.
 */
export async function editDocument(
  path: string,
  change: (text: string) => string,
  options: {
    create?: boolean;
    note?: EditNote;
    /** A file with a limit of its own (hutctl.yaml: the config loader's) is edited under it. */
    maxBytes?: number;
    /** What to do when the edit would pass that limit, for a file that is not a log of entries. */
    sizeHint?: string;
  } = {},
): Promise<KeptEdit> {
  const at = new Date();
  const kept = await editFileKeeping(path, change, {
    lock: lockDirectory,
    create: options.create === true,
    maxBytes: options.maxBytes ?? DOCUMENT_MAX_BYTES,
    ...(options.sizeHint ? { sizeHint: options.sizeHint } : {}),
  });
  // An edit that changed the document is recorded (as evidence, then in the ledger) when the
  // command ends; one that changed nothing is no edit.
  if (kept.changed && options.note) {
    const { added, removed } = linesChanged(kept.before, kept.after);
    journalEdit({ ...options.note, path, lines_added: added, lines_removed: removed, at });
  }
  return kept;
}

/**
 * A document's text as `editDocument` hands it to an editor; a HutError naming the file when it
 * is missing (NOT_FOUND), not a regular file, or larger than a document (or `maxBytes`) may be.
 */
export function readDocument(path: string, maxBytes = DOCUMENT_MAX_BYTES): string {
  return readKeeping(path, maxBytes);
}

/**
 * flock(2) on the directory itself: no lock file in the team's repository, released by the
 * kernel when the holder dies, and shared by every document in that directory.
 */
function lockDirectory(dir: string): Promise<AsyncDisposable> {
  return acquireLock(new LocalTransport(localTarget()), dir, {
    owner: { pid: process.pid, host: hostname(), since: new Date().toISOString() },
    ownerRecord: false,
  });
}
