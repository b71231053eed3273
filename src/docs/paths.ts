/** Where the team's coordination documents live in a repository. */
import { existsSync } from 'node:fs';
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
      const has = (name: string) => existsSync(join(dir, coordination, name));
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
