/** Where the team's coordination documents live in a repository. */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HutError } from '../errors/index.ts';

export const COORDINATION = 'documentation/short-term/coordination';
export const HANDOFF_LOG = `${COORDINATION}/handoff_log.md`;
export const BOARD = `${COORDINATION}/workstream_board.md`;
export const TICKETS = `${COORDINATION}/ad_hoc_ticket_queue.md`;
export const ACTIVE_GOALS = 'documentation/short-term/active';
/** Where a role repository (`hutctl role init`, GOAL-001 WS2's minimum files) keeps its board and log. */
export const ROLE_COORDINATION = 'documentation/coordination';

/** The coordination documents of one repository, relative to its root. */
export interface DocPaths {
  /** `product`: documentation/short-term/coordination/; `role`: documentation/coordination/. */
  layout: 'product' | 'role';
  coordination: string;
  handoffLog: string;
  board: string;
  tickets: string;
}

/** The paths of `root`'s layout: the product repository's, else a role repository's. */
export function docPaths(root: string): DocPaths {
  const role = !existsSync(join(root, COORDINATION)) && existsSync(join(root, ROLE_COORDINATION));
  const coordination = role ? ROLE_COORDINATION : COORDINATION;
  return {
    layout: role ? 'role' : 'product',
    coordination,
    handoffLog: `${coordination}/handoff_log.md`,
    board: `${coordination}/workstream_board.md`,
    tickets: `${coordination}/ad_hoc_ticket_queue.md`,
  };
}

/**
 * The repository root that holds the coordination documents — the product repository's
 * (`documentation/short-term/coordination/`) or a role repository's (`documentation/coordination/`):
 * `start`, or the first parent that has them.
 */
export function findDocsRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    for (const coordination of [COORDINATION, ROLE_COORDINATION]) {
      const has = (name: string) => hasDocument(dir, coordination, name);
      if (has('handoff_log.md') || has('workstream_board.md')) return dir;
    }
    if (dirname(dir) === dir) {
      throw new HutError(
        'NOT_FOUND',
        `no ${COORDINATION}/ (product repository) or ${ROLE_COORDINATION}/ (role repository) in ${start} or its parents`,
        { hint: 'run inside the repository, or pass --docs <repository root>' },
      );
    }
  }
}

/**
 * Whether `<dir>/<coordination>/<name>` is there. A directory on the way that this user may not
 * enter is not "no documents here" (the search would go on to the parents and say there are
 * none): it is an error naming that directory.
 */
function hasDocument(dir: string, coordination: string, name: string): boolean {
  try {
    statSync(join(dir, coordination, name));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') return false;
    throw new HutError('INPUT', `${closedDirectory(dir, coordination)}: permission denied`, {
      hint: 'run as a user who may read it (its owner, or one in its group)',
    });
  }
}

/** The first directory from `dir` down to `<dir>/<rel>` that this user may not enter. */
function closedDirectory(dir: string, rel: string): string {
  let path = dir;
  for (const part of rel.split('/')) {
    path = join(path, part);
    try {
      accessSync(path, constants.X_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EACCES') return path;
    }
  }
  return join(dir, rel);
}
