/**
 * The two engines under one small interface: SQLite through Node's built-in `node:sqlite` (a
 * file, zero set-up) and PostgreSQL through `pg` (several hosts, one ledger). Queries are written
 * once, with `?` placeholders, in the SQL both engines speak (INSERT … ON CONFLICT, window
 * functions, ISO-8601 text times that sort as they read); the PostgreSQL engine numbers the
 * placeholders. A few words differ by engine in the schema only (see schema.ts).
 */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HutError } from '../errors/index.ts';

export type Value = string | number | null;
export type Row = Record<string, Value>;

export interface Db {
  readonly engine: 'sqlite' | 'postgres';
  /** Runs statements with no parameters and no result (schema changes). */
  exec(sql: string): Promise<void>;
  run(sql: string, params?: readonly Value[]): Promise<void>;
  all<T extends Row = Row>(sql: string, params?: readonly Value[]): Promise<T[]>;
  /** Runs `work` in one transaction. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  /** Runs `work` in one transaction that only one writer at a time gets (the migrations' lock). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` placeholders as `$1`, `$2`… (none are in quoted text: queries never quote values). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * `evidenceDir`: where the evidence that rebuilds this ledger is, named in the way back from a
 * damaged one.
 */
export async function openSqlite(path: string, evidenceDir?: string): Promise<Db> {
  const { DatabaseSync } = await import('node:sqlite');
  const file = resolve(path);
  let db!: InstanceType<typeof DatabaseSync>;
  try {
    // Writes take milliseconds; a ledger locked for longer (a stuck reader, a person's sqlite3
    // shell) is reported rather than waited for: the evidence is complete either way.
    db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
    // WAL: readers never wait for a writer; NORMAL: a commit is not an fsync (the evidence files
    // are the durable record, the ledger can be rebuilt from them).
    await whileBusy(() =>
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;'),
    );
  } catch (error) {
    db?.close();
    const problem = ledgerProblem(error, path, evidenceDir);
    if (problem !== error) throw problem;
    throw new HutError('IO', `cannot open the ledger ${path}: ${(error as Error).message}`, {
      hint: 'check store.path in hutctl.yaml and that this user may write its directory',
    });
  }
  const statements = new Map<string, ReturnType<typeof db.prepare>>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    engine: 'sqlite',
    exec: async (sql) => {
      said(() => db.exec(sql));
    },
    run: async (sql, params = []) => {
      said(() => prepared(sql).run(...params));
    },
    all: async <T extends Row>(sql: string, params: readonly Value[] = []) =>
      said(() => prepared(sql).all(...params)) as unknown as T[],
    transaction: (work) => sqliteTransaction(work),
    exclusive: (work) => sqliteTransaction(work),
    close: async () => {
      db.close();
    },
  };

  /** `work`, its SQLite error said as the ledger's problem where a person can act on it. */
  function said<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw ledgerProblem(error, path, evidenceDir);
    }
  }

  function sqliteTransaction<T>(work: () => Promise<T>): Promise<T> {
    return inTurn(file, async () => {
      said(() => db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await work();
        said(() => db.exec('COMMIT'));
        return result;
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    });
  }
}

const BUSY_TIMEOUT_MS = 2000;
/** SQLITE_BUSY and SQLITE_LOCKED: another connection holds the file. */
const BUSY_CODES = [5, 6];

/** SQLite's primary result code for `error` (its extended code's low byte), or null. */
function sqliteCode(error: unknown): number | null {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === 'number' ? code & 0xff : null;
}

/**
 * `work`, tried again while SQLite says the file is busy, for as long as its busy timeout. Setting
 * the journal mode answers SQLITE_BUSY at once, without the busy handler, while another process's
 * connection closes (its last checkpoint holds the file): two commands reading the ledger at once
 * on a loaded machine met that.
 */
async function whileBusy(work: () => void): Promise<void> {
  const until = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return work();
    } catch (error) {
      const code = sqliteCode(error);
      if (code === null || !BUSY_CODES.includes(code) || Date.now() >= until) throw error;
    }
    await sleep(10);
  }
}

/** What `ledgerProblem` marks a ledger another process holds with (HutError details). */
export const LEDGER_BUSY = 'ledger-busy';
/** What marks a PostgreSQL ledger that could not be reached in time (HutError details). */
export const LEDGER_UNREACHABLE = 'ledger-unreachable';

/**
 * An SQLite error that is the ledger's state, not hutctl's fault, as a one-line problem with what
 * to do: a damaged file (rebuilt from the evidence, which is complete), or one another process
 * holds locked past the busy timeout. Anything else is returned as it is.
 */
export function ledgerProblem(error: unknown, path: string, evidenceDir?: string): unknown {
  const code = sqliteCode(error);
  if (code === null) return error;
  const why = (error as { errstr?: string }).errstr ?? (error as Error).message;
  if (BUSY_CODES.includes(code))
    return new HutError('IO', `the ledger ${path} is locked by another process: ${why}`, {
      hint: `see what holds it (fuser -v ${path}); the evidence is complete, and what waits is recorded once it is free`,
      details: LEDGER_BUSY,
    });
  switch (code) {
    case 11: // SQLITE_CORRUPT
    case 26: // SQLITE_NOTADB
      return new HutError('IO', `the ledger ${path} is damaged: ${why}`, {
        hint: `rebuild it from the evidence (it is kept aside, with its -wal and -shm where they are left): hutctl store import ${evidenceDir ?? '<paths.evidence_dir>'} --rebuild`,
      });
    default:
      return error;
  }
}

/**
 * This process's write transactions on each SQLite file, one at a time. node:sqlite waits for a
 * lock another connection holds by blocking the thread (the busy timeout), so a second
 * transaction started in the same process while the first awaits would stop the very event loop
 * the first needs to finish: every such wait would last the whole timeout. Other processes are
 * waited for by SQLite itself.
 */
const turns = new Map<string, Promise<void>>();
let connections = 0;

function inTurn<T>(key: string, work: () => Promise<T>): Promise<T> {
  const result = (turns.get(key) ?? Promise.resolve()).then(work);
  const settled = result.then(
    () => {},
    () => {},
  );
  turns.set(key, settled);
  void settled.then(() => {
    if (turns.get(key) === settled) turns.delete(key);
  });
  return result;
}

export async function openPostgres(url: string): Promise<Db> {
  const { default: pg } = await import('pg');
  // BIGINT and NUMERIC come back as numbers (counts and sums here stay far below 2^53).
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      oid === 20 || oid === 1700
        ? (value: string) => Number(value)
        : pg.types.getTypeParser(oid, format as 'text'),
  };
  // A server that takes the connection and never answers must not hold a command up: connecting
  // has 5 s, each query 30 s (a migration waiting for another host's takes longer only then).
  const client = new pg.Client({
    connectionString: url,
    types,
    connectionTimeoutMillis: 5000,
    query_timeout: 30_000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new HutError('IO', `cannot reach the ledger's PostgreSQL: ${(error as Error).message}`, {
      hint: 'check store.url (or the variable store.url_env names) and that the server is up',
      details: LEDGER_UNREACHABLE,
    });
  }
  // One transaction at a time on this connection: a second BEGIN while the first awaits would
  // put the second's statements inside the first.
  const key = `pg\0${++connections}`;
  return {
    engine: 'postgres',
    exec: async (sql) => {
      await client.query(sql);
    },
    run: async (sql, params = []) => {
      await client.query(numbered(sql), params as Value[]);
    },
    all: async <T extends Row>(sql: string, params: readonly Value[] = []) =>
      (await client.query(numbered(sql), params as Value[])).rows as T[],
    transaction: (work) => pgTransaction(work, false),
    exclusive: (work) => pgTransaction(work, true),
    close: async () => {
      await client.end().catch(() => {});
    },
  };

  function pgTransaction<T>(work: () => Promise<T>, alone: boolean): Promise<T> {
    return inTurn(key, async () => {
      await client.query('BEGIN');
      try {
        // One migrator at a time across every host sharing the database.
        if (alone) await client.query('SELECT pg_advisory_xact_lock(7411)');
        const result = await work();
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }
}
