/** Where the team's coordination documents live in a repository. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HutError } from '../errors/index.ts';

export const COORDINATION = 'documentation/short-term/coordination';
export const HANDOFF_LOG = `${COORDINATION}/handoff_log.md`;
export const BOARD = `${COORDINATION}/workstream_board.md`;
export const TICKETS = `${COORDINATION}/ad_hoc_ticket_queue.md`;
export const ACTIVE_GOALS = 'documentation/short-term/active';
/** Where `role init` puts a role repository's own board and log (GOAL-001's role layout). */
const ROLE_COORDINATION = 'documentation/coordination';

/** The repository root that holds the coordination documents: `start`, or the first parent that has them. */
export function findDocsRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, HANDOFF_LOG)) || existsSync(join(dir, BOARD))) return dir;
    if (existsSync(join(dir, ROLE_COORDINATION, 'handoff_log.md'))) {
      throw new HutError(
        'NOT_FOUND',
        `${join(dir, ROLE_COORDINATION)} is a role repository's layout (hutctl role init); the coordination commands work on the product repository's ${COORDINATION}/`,
        { hint: 'run inside the product repository, or pass --docs <its root>' },
      );
    }
    if (dirname(dir) === dir) {
      throw new HutError('NOT_FOUND', `no ${COORDINATION}/ in ${start} or its parents`, {
        hint: 'run inside the repository, or pass --docs <repository root>',
      });
    }
  }
}
