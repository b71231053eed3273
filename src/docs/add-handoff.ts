/**
 * Adding one handoff entry to a repository's log, as `hutctl handoff add` and the MCP tool do:
 * validated and formatted against the board (the goal's owner), inserted newest first, and the
 * file written atomically. Returns the line and the log it went into.
 */
import { join } from 'node:path';
import { isHutError } from '../errors/index.ts';
import { type Board, findRow, parseBoard } from './board.ts';
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
  const board = boardOf(root, paths.board);
  const line = formatHandoff(entry, (goal) => {
    try {
      return board ? findRow(board, goal).owner : null;
    } catch {
      return null;
    }
  });
  return { path: await insertHandoffLine(root, line, note), line };
}

/**
 * The board the owner check reads: none when the repository has no board (or it has no
 * workstream table) — nothing to check against; one that is there but cannot be read (a FIFO,
 * too large, no permission) is an error, not a silent skip of the check.
 */
function boardOf(root: string, board: string): Board | null {
  let text: string;
  try {
    text = readDocument(join(root, board));
  } catch (error) {
    if (isHutError(error) && error.code === 'NOT_FOUND') return null;
    throw error;
  }
  try {
    return parseBoard(text, board);
  } catch {
    return null;
  }
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
