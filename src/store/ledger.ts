/**
 * Recording into the ledger as a command goes. Whatever writes evidence notes the file here,
 * and the file goes into the ledger's inbox at once (inbox.ts): one system call, and the
 * evidence is the ledger's to record from then on, whatever happens to this process.
 *
 * - SQLite (one host): whoever opens the ledger next records it. A command never waits for the
 *   ledger.
 * - PostgreSQL (one ledger for several hosts, read from anywhere): the command records it itself
 *   when its work is done (`flushLedger`), so other hosts see it; when the server cannot be
 *   reached in time, the inbox keeps it for the next command here that opens the ledger.
 *
 * The evidence stays the source of truth either way: a ledger that cannot be written costs one
 * warning, and `store import` back-fills it.
 */
import type { HutConfig } from '../config/index.ts';
import { HutError, isHutError, oneLine, quoteValue } from '../errors/index.ts';
import { type Db, LEDGER_BUSY, LEDGER_UNREACHABLE } from './db.ts';
import { addToInbox, drainInbox, inboxDir } from './inbox.ts';

/** The config of what this process noted since its last flush. */
let pending: HutConfig | null = null;

/** Notes an evidence file hutctl has just written (into the ledger's inbox). */
export function noteEvidence(config: HutConfig, path: string): void {
  if (config.store.engine === 'off') return;
  pending = config;
  try {
    addToInbox(config, path);
  } catch (error) {
    warn(
      `${quoteValue(path, 300)} could not be handed to the ledger (${oneLine((error as NodeJS.ErrnoException).code ?? (error as Error).message)}); 'hutctl store import' records it later`,
    );
  }
}

function warn(what: string): void {
  process.stderr.write(`hutctl: warning: ${what}\n`);
}

/**
 * This process's SQLite ledger connections, kept open from one use to the next (closing one is
 * a no-op): opening one and closing it again (its WAL checkpoint) cost ~2 ms each, twice for a
 * `slot run` (routing, then the slot's health) and again for every job of a runner loop. The
 * process ending closes them; SQLite's WAL keeps every commit either way.
 */
const kept = new Map<string, { db: Db; shared: Db; dev: number; ino: number }>();

/** Opens the configured ledger, migrated to the current schema; null when it is off. */
export async function openStore(config: HutConfig, env = process.env): Promise<Db | null> {
  const { store } = config;
  if (store.engine === 'off') return null;
  // A ledger this process could not reach a moment ago (held locked past the busy timeout, a
  // server that did not answer in time) is not waited for again: one wait per command.
  if (unreachable && Date.now() < unreachable.until) throw unreachable.error;
  try {
    return await openReachable(config as Parameters<typeof openReachable>[0], env);
  } catch (error) {
    if (
      isHutError(error) &&
      (error.details === LEDGER_BUSY || error.details === LEDGER_UNREACHABLE)
    )
      unreachable = { until: Date.now() + BUSY_BACKOFF_MS, error };
    throw error;
  }
}

let unreachable: { until: number; error: unknown } | null = null;

async function openReachable(
  config: HutConfig & { store: { engine: 'sqlite' | 'postgres' } },
  env: NodeJS.ProcessEnv,
): Promise<Db> {
  const { store } = config;
  const [{ openPostgres, openSqlite }, { migrate }] = await Promise.all([
    import('./db.ts'),
    import('./schema.ts'),
  ]);
  let db: Db;
  if (store.engine === 'sqlite') {
    const { statSync, chmodSync } = await import('node:fs');
    const file = statSync(store.path, { throwIfNoEntry: false });
    const open = kept.get(store.path);
    if (open && file && open.dev === file.dev && open.ino === file.ino) {
      db = open.shared;
    } else {
      // Moved aside or replaced since (a rebuilt ledger): the new file, not the old one.
      kept.delete(store.path);
      await open?.db.close();
      const { dirname } = await import('node:path');
      const { privateDir } = await import('../files/index.ts');
      privateDir(dirname(store.path), config.paths.shareGroup);
      const real = await openSqlite(store.path, config.paths.evidenceDir);
      // A new ledger holds whole reports: readable by this user (and the team's group) only.
      if (!file) chmodSync(store.path, config.paths.shareGroup === null ? 0o600 : 0o660);
      const made = statSync(store.path);
      db = { ...real, close: async () => {} };
      kept.set(store.path, { db: real, shared: db, dev: made.dev, ino: made.ino });
    }
  } else {
    const url = store.urlEnv ? env[store.urlEnv] : store.url;
    if (!url) {
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
    if (store.engine === 'sqlite') await forgetSqlite(store.path);
    throw error;
  }
  await recordInbox(db, config);
  return db;
}

/**
 * Until when this process leaves the inbox alone: another process held the ledger locked for the
 * whole busy timeout. A command that opens the ledger twice (routing, then the slot's health
 * before its job) would wait it out, and say so, twice.
 */
let busyUntil = 0;
const BUSY_BACKOFF_MS = 10_000;

/** Records what the inbox holds; what fails is said, and tried again at the next open. */
export async function recordInbox(db: Db, config: HutConfig): Promise<number> {
  if (Date.now() < busyUntil) return 0;
  try {
    const drained = await drainInbox(db, inboxDir(config));
    if (drained.problem) warn(oneLine(drained.problem));
    // A few lines, however many there are: each file is named once, then no more.
    for (const { path, why } of drained.skipped.slice(0, 3))
      warn(`${quoteValue(path, 300)} is not in the ledger: ${oneLine(why)}`);
    if (drained.skipped.length > 3)
      warn(
        `and ${drained.skipped.length - 3} more files named in ${inboxDir(config)}, not recorded`,
      );
    return drained.recorded;
  } catch (error) {
    if (isHutError(error) && error.details === LEDGER_BUSY)
      busyUntil = Date.now() + BUSY_BACKOFF_MS;
    warn(
      `the ledger could not record the evidence waiting in ${inboxDir(config)} (${oneLine((error as Error).message)}); the next command that reads the ledger tries again`,
    );
    return 0;
  }
}

/**
 * Brings the ledger up to date with what this process noted; a failure is one warning line on
 * stderr. At the end of a command (`exiting`: an SQLite ledger is left to its next reader); in
 * the middle of one, when what was recorded must be in the ledger now (a health check); or in a
 * long-running process (serve) after each change.
 */
export async function flushLedger(options: { exiting?: boolean } = {}): Promise<void> {
  const config = pending;
  pending = null;
  if (config === null) return;
  if (config.store.engine === 'sqlite' && options.exiting) return;
  let db: Db | null = null;
  try {
    // Opening the ledger records its inbox, which holds what this process wrote.
    db = await openStore(config);
  } catch (error) {
    warn(
      `the ledger was not updated (${oneLine((error as Error).message)}); the evidence is complete, and the next command here that opens the ledger records it`,
    );
  } finally {
    await db?.close();
  }
}

/** Closes this process's connection to the SQLite ledger at `path`, if it keeps one. */
async function forgetSqlite(path: string): Promise<void> {
  const open = kept.get(path);
  kept.delete(path);
  await open?.db.close();
}

/**
 * Moves the SQLite ledger aside for `store import --rebuild`: the file and its -wal and -shm
 * together (a WAL left at the old name would be replayed into the new ledger), renamed as one
 * set that sqlite3 still opens; returns the new path of the ledger file.
 */
export async function moveLedgerAside(config: HutConfig): Promise<string> {
  const { store } = config;
  if (store.engine !== 'sqlite')
    throw new HutError('USAGE', '--rebuild is for an SQLite ledger', {
      hint: 'with PostgreSQL, make a new database (or schema), point store.url at it, and import into it',
    });
  const [{ existsSync, renameSync }, { randomHex }] = await Promise.all([
    import('node:fs'),
    import('../files/index.ts'),
  ]);
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  // Never an earlier set's name: two rebuilds in one second keep both.
  const aside = `${store.path}.damaged-${stamp}-${randomHex(3)}`;
  await forgetSqlite(store.path);
  if (!existsSync(store.path))
    throw new HutError('USAGE', `there is no ledger at ${store.path} to move aside`, {
      hint: 'without --rebuild, store import makes it',
    });
  // The WAL first: the ledger file without it is a ledger as of its last checkpoint.
  for (const suffix of ['-wal', '-shm', ''])
    if (existsSync(store.path + suffix)) renameSync(store.path + suffix, aside + suffix);
  return aside;
}
