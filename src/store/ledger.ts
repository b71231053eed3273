/**
 * Recording into the ledger as a command goes. Whatever writes evidence notes the file here.
 *
 * - SQLite (one host): the file goes into the ledger's inbox at once (inbox.ts), and whoever
 *   opens the ledger next records it. A command pays one system call per file for the ledger,
 *   and never waits for it.
 * - PostgreSQL (one ledger for several hosts, read from anywhere): a command records what it
 *   wrote when its work is done (`flushLedger`); what it could not record (the server is down)
 *   goes into this host's inbox, for the next open here.
 *
 * The evidence stays the source of truth either way: a ledger that cannot be written costs one
 * warning, and `store import` back-fills it.
 */
import type { HutConfig } from '../config/index.ts';
import type { Db } from './db.ts';
import { addToInbox } from './inbox.ts';

let pending: { config: HutConfig; files: Array<{ path: string; document?: unknown }> } | null =
  null;

/**
 * Notes an evidence file hutctl has just written. With the document itself, a PostgreSQL
 * ledger records it without reading the file back or checking it (hutctl wrote it).
 */
export function noteEvidence(config: HutConfig, path: string, document?: unknown): void {
  if (config.store.engine === 'off') return;
  if (pending === null) pending = { config, files: [] };
  if (config.store.engine === 'sqlite') {
    toInbox(config, path);
    pending.files.push({ path });
    return;
  }
  // A copy as it is now: the caller's object may change after the file was written.
  const copy = document === undefined ? undefined : JSON.parse(JSON.stringify(document));
  pending.files.push(copy === undefined ? { path } : { path, document: copy });
}

function toInbox(config: HutConfig, path: string): boolean {
  try {
    addToInbox(config, path);
    return true;
  } catch (error) {
    warn(
      `${path} could not be handed to the ledger (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); 'hutctl store import' records it later`,
    );
    return false;
  }
}

function warn(what: string): void {
  process.stderr.write(`hutctl: warning: ${what}\n`);
}

/** Opens the configured ledger, migrated to the current schema; null when it is off. */
export async function openStore(config: HutConfig, env = process.env): Promise<Db | null> {
  const { store } = config;
  if (store.engine === 'off') return null;
  const [{ openPostgres, openSqlite }, { migrate }] = await Promise.all([
    import('./db.ts'),
    import('./schema.ts'),
  ]);
  let db: Db;
  if (store.engine === 'sqlite') {
    const { dirname } = await import('node:path');
    const { privateDir } = await import('../files/index.ts');
    privateDir(dirname(store.path), config.paths.shareGroup);
    const { existsSync, chmodSync } = await import('node:fs');
    const created = !existsSync(store.path);
    db = await openSqlite(store.path);
    // A new ledger holds whole reports: readable by this user (and the team's group) only.
    if (created) chmodSync(store.path, config.paths.shareGroup === null ? 0o600 : 0o660);
  } else {
    const url = store.urlEnv ? env[store.urlEnv] : store.url;
    if (!url) {
      const { HutError } = await import('../errors/index.ts');
      throw new HutError('CONFIG', `store.url_env names ${store.urlEnv}, which is not set`, {
        hint: `export ${store.urlEnv}=postgresql://user@host/db (or set store.url)`,
      });
    }
    db = await openPostgres(url);
  }
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  await recordInbox(db, config);
  return db;
}

/** Records what the inbox holds; what fails is said, and tried again at the next open. */
export async function recordInbox(db: Db, config: HutConfig): Promise<number> {
  const { drainInbox, inboxDir } = await import('./inbox.ts');
  try {
    const drained = await drainInbox(db, inboxDir(config));
    for (const { path, why } of drained.skipped) warn(`${path} is not in the ledger: ${why}`);
    return drained.recorded;
  } catch (error) {
    warn(
      `the ledger could not record the evidence waiting in ${inboxDir(config)} (${(error as Error).message}); the next command that reads the ledger tries again`,
    );
    return 0;
  }
}

/**
 * Brings the ledger up to date with what this process noted; a failure is one warning line on
 * stderr. At the end of a command (`exiting`: an SQLite ledger's inbox already holds it all);
 * in the middle of one, when what was recorded must be in the ledger now (a health check); or in
 * a long-running process (serve) after each change.
 */
export async function flushLedger(options: { exiting?: boolean } = {}): Promise<void> {
  const batch = pending;
  pending = null;
  if (batch === null || batch.files.length === 0) return;
  const { config } = batch;
  if (config.store.engine === 'sqlite' && options.exiting) return;
  let db: Db | null = null;
  try {
    // Opening an SQLite ledger records its inbox.
    db = await openStore(config);
    if (db === null || db.engine === 'sqlite') return;
    const { kindOf, recordTrusted } = await import('./rows.ts');
    for (const { path, document } of batch.files) {
      const kind = kindOf(document);
      if (kind) await recordTrusted(db, path, kind, document);
      else await (await import('./record.ts')).recordFile(db, path);
    }
  } catch (error) {
    // PostgreSQL down: this host's inbox keeps the files for the next open here.
    const kept =
      config.store.engine === 'postgres' && batch.files.every((f) => toInbox(config, f.path));
    warn(
      `the ledger was not updated (${(error as Error).message}); the evidence is complete, and ${kept ? 'the next command here that opens the ledger' : "'hutctl store import'"} records it later`,
    );
  } finally {
    await db?.close();
  }
}
