/**
 * Recording into the ledger as a command goes. Whatever writes evidence notes the file here;
 * when the command is done, `flushLedger` records every noted file in one go. The evidence
 * stays the source of truth: recording happens after the work, never delays or fails it, and a
 * ledger that cannot be written costs one warning (`store import` back-fills it later).
 */
import type { HutConfig } from '../config/index.ts';
import type { Db } from './db.ts';

let pending: { config: HutConfig; files: Array<{ path: string; document?: unknown }> } | null =
  null;

/**
 * Notes an evidence file hutctl has just written, to be recorded when the command ends. With the
 * document itself, recording neither reads the file back nor checks it (hutctl wrote it).
 */
export function noteEvidence(config: HutConfig, path: string, document?: unknown): void {
  if (config.store.engine === 'off') return;
  if (pending === null) pending = { config, files: [] };
  // A copy as it is now: the caller's object may change after the file was written.
  const copy = document === undefined ? undefined : JSON.parse(JSON.stringify(document));
  pending.files.push(copy === undefined ? { path } : { path, document: copy });
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
  return db;
}

/**
 * Records every noted evidence file; a failure is one warning line on stderr. At the end of a
 * command; or in the middle of one (`close`), when what was recorded must be there for the next
 * holder of a slot (a health check, before the slot's lock is let go).
 */
export async function flushLedger(options: { close?: boolean } = {}): Promise<void> {
  const batch = pending;
  pending = null;
  if (batch === null || batch.files.length === 0) return;
  let db: Db | null = null;
  try {
    db = await openStore(batch.config);
    if (db === null) return;
    const { kindOf, recordTrusted } = await import('./rows.ts');
    for (const { path, document } of batch.files) {
      const kind = kindOf(document);
      if (kind) await recordTrusted(db, path, kind, document);
      else await (await import('./record.ts')).recordFile(db, path);
    }
  } catch (error) {
    process.stderr.write(
      `hutctl: warning: the ledger was not updated (${(error as Error).message}); the evidence is complete, and 'hutctl store import' records it later\n`,
    );
  } finally {
    // SQLite: the process ends next, and closing would checkpoint the WAL into the database on
    // every command (a millisecond or two each time); a later commit or open does it instead,
    // and what was committed is in the WAL either way. PostgreSQL's socket must be closed.
    if (db?.engine === 'postgres' || options.close) await db?.close();
  }
}
