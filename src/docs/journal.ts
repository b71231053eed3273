/**
 * The document edits this process has made, kept until the command ends and they are written as
 * evidence (edit-evidence.ts) for the ledger. No imports: every command asks it whether it has
 * anything, and that must cost nothing.
 */

/** What an edit was, in the words of the command that made it. */
export interface EditNote {
  /** The repository of the documents (its root). */
  repository: string;
  /** The kind of edit: handoff-entry, board-row, ticket-add, … */
  edit: string;
  /** One line on what changed. */
  summary: string;
  /** The agent (`role:id`) the edit is made as; none: the person running hutctl. */
  by?: string | null;
  /** The hutctl command that made it, e.g. `handoff add`. */
  command: string;
  /** The commit the edit records, when it records one. */
  commit_sha?: string | null;
  /** The evidence the edit points at (a report, a result), when it points at one. */
  evidence?: string | null;
}

export interface MadeEdit extends EditNote {
  /** The document, as the command named it. */
  path: string;
  lines_added: number;
  lines_removed: number;
  at: Date;
}

const made: MadeEdit[] = [];

export function journalEdit(edit: MadeEdit): void {
  made.push(edit);
}

/** The edits made so far, handed over once. */
export function takeEdits(): MadeEdit[] {
  return made.splice(0);
}

/**
 * Lines added and removed between two texts: the lines between their common head and tail that
 * are not in the longest common subsequence of that middle (a board edit changes a row and the
 * `Last updated:` line, far apart). A middle too large to compare cheaply counts whole.
 */
export function linesChanged(before: string, after: string): { added: number; removed: number } {
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  let common = 0;
  if (x.length * y.length <= 4_000_000) {
    let row = new Array<number>(y.length + 1).fill(0);
    for (const line of x) {
      const next = new Array<number>(y.length + 1).fill(0);
      for (let j = 0; j < y.length; j++)
        next[j + 1] = line === y[j] ? row[j]! + 1 : Math.max(row[j + 1]!, next[j]!);
      row = next;
    }
    common = row[y.length]!;
  }
  return { added: y.length - common, removed: x.length - common };
}
