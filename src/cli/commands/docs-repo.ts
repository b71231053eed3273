/** The team's repository opened for a documents command: its paths, its documents, its secrets. */
import { join } from 'node:path';

/**
 * The documents library with this repository's paths, the repository's root, and `read` (a
 * document by its path in the repository; NOT_FOUND when it is missing).
 */
export const openDocs = async (dir?: string) => {
  await knowSecrets();
  const docsLib = await import('../../docs/index.ts');
  const root = docsLib.findDocsRoot(dir ?? process.cwd());
  // The library with this repository's paths: a role repository keeps its board and log in
  // documentation/coordination/, the product repository in documentation/short-term/coordination/.
  const paths = docsLib.docPaths(root);
  const lib = {
    ...docsLib,
    BOARD: paths.board,
    HANDOFF_LOG: paths.handoffLog,
    TICKETS: paths.tickets,
    COORDINATION: paths.coordination,
  };
  // NOT_FOUND when it is missing; a FIFO, a device or a huge file is refused without waiting.
  const read = (rel: string) => lib.readDocument(join(root, rel));
  return {
    lib,
    root,
    read,
    boardPath: join(root, lib.BOARD),
    logPath: join(root, lib.HANDOFF_LOG),
  };
};

/** A repeatable option's values, in order. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `status=done, owner=runner:codex`: what a command changed, for the ledger. */
export const changes = (change: Record<string, string>) =>
  Object.entries(change)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');

/** Learns every secret this host's config and files name, so none reaches a document. */
async function knowSecrets(): Promise<void> {
  const { loadConfig } = await import('../../config/index.ts');
  const { collectSecrets } = await import('../../secrets/index.ts');
  collectSecrets((await loadConfig().catch(() => null))?.config ?? null);
}
