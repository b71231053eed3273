/**
 * Adding one handoff entry to a repository's log, as `hutctl handoff add` and the MCP tool do:
 * validated and formatted against the board (the goal's owner), inserted newest first, and the
 * file written atomically. Returns the line and the log it went into.
 */
import { join } from 'node:path';
import { findRow, parseBoard } from './board.ts';
import { editDocument, readDocument } from './edit.ts';
import { formatHandoff, insertHandoff, type NewHandoff } from './handoff.ts';
import type { EditNote } from './journal.ts';
import { docPaths } from './paths.ts';

export async function addHandoff(
  root: string,
  entry: NewHandoff,
  /** What the edit is recorded as (docs/store.md: document edits). */
  note?: EditNote,
): Promise<{ path: string; line: string }> {
  const paths = docPaths(root);
  let board: ReturnType<typeof parseBoard> | null = null;
  try {
    board = parseBoard(readDocument(join(root, paths.board)), paths.board);
  } catch {}
  const line = formatHandoff(entry, (goal) => {
    try {
      return board ? findRow(board, goal).owner : null;
    } catch {
      return null;
    }
  });
  return { path: await insertHandoffLine(root, line, note), line };
}

/** Inserts a formatted entry into the repository's handoff log (atomically); returns the log. */
export async function insertHandoffLine(
  root: string,
  line: string,
  note?: EditNote,
): Promise<string> {
  const log = docPaths(root).handoffLog;
  const path = join(root, log);
  await editDocument(path, (text) => insertHandoff(text, line, log), note ? { note } : {});
  return path;
}
