/**
 * What `serve` and `hutctl mcp` stand on: the ledger (if it can be opened), the farm's files
 * watched (or not), the leases with their action log, the runner hosts and the slot locks.
 */
import type { HutConfig } from '../config/index.ts';
import { logAction } from './actions.ts';
import { Leases } from './leases.ts';
import { LockStates } from './probe.ts';
import { HostProbe, type ServeContext } from './views.ts';
import { FarmWatch } from './watch.ts';

export interface OpenContext {
  ctx: ServeContext;
  /** Ends the leases (`why` in the action log), waits for log writes, closes what was opened. */
  close(why?: string): Promise<void>;
}

export async function openContext(
  config: HutConfig,
  options: {
    docsRoot: string | null;
    /** Watch the farm's files (serve). Without, every question probes the locks again. */
    watched: boolean;
    log: (line: string) => void;
  },
): Promise<OpenContext> {
  const { openStore } = await import('../store/ledger.ts');
  let db: ServeContext['db'] = null;
  try {
    db = await openStore(config);
  } catch (error) {
    options.log(
      `the ledger cannot be opened (${(error as Error).message}): no history, and health is not checked`,
    );
  }
  const watch = new FarmWatch({
    evidence: config.paths.evidenceDir,
    locks: config.paths.slotLockDir,
    state: config.paths.stateDir,
    ledger: config.store.engine === 'sqlite' ? config.store.path : null,
  });
  // Action log writes still under way: closing waits for them.
  const logging = new Set<Promise<unknown>>();
  const leases = new Leases(config, db, (lease, event, why) => {
    watch.note({ kind: 'slots' });
    watch.note({ kind: 'leases' });
    const written = logAction(config, {
      action: event === 'taken' ? 'lease' : 'release',
      slot: lease.slot.id,
      job_id: null,
      by: lease.holder,
      via: 'mcp',
      reason: why,
      outcome: 'done',
      detail: event === 'taken' ? `${lease.id}, ttl ${lease.ttlMs / 1000} s` : lease.id,
    }).catch((error) =>
      options.log(`the action log could not be written: ${(error as Error).message}`),
    );
    logging.add(written);
    void written.finally(() => logging.delete(written));
    return written;
  });
  const hosts = new HostProbe(config);
  const locks = new LockStates(options.watched ? undefined : 0);
  let inbox: (() => void) | null = null;
  if (options.watched) {
    await watch.start();
    hosts.start();
    watch.on('lock', (name: string) => locks.changed(name));
    if (db) inbox = await recordAsWritten(config, db, () => watch.note({ kind: 'ledger' }));
  }
  const ctx: ServeContext = { config, db, watch, leases, hosts, locks, docsRoot: options.docsRoot };
  return {
    ctx,
    async close(why?: string) {
      await leases.closeAll(why);
      await Promise.allSettled([...logging]);
      watch.close();
      inbox?.();
      hosts.close();
      await db?.close();
    },
  };
}

/**
 * Records each evidence file in the ledger as its command hands it over (the ledger's inbox), so
 * what serve shows never waits for the next command that opens the ledger. Returns the stop.
 */
async function recordAsWritten(
  config: HutConfig,
  db: NonNullable<ServeContext['db']>,
  recorded: () => void,
): Promise<() => void> {
  const [{ watch }, { privateDir }, { inboxDir }, { recordInbox }] = await Promise.all([
    import('node:fs'),
    import('../files/index.ts'),
    import('../store/inbox.ts'),
    import('../store/ledger.ts'),
  ]);
  const dir = inboxDir(config);
  try {
    privateDir(dir, config.paths.shareGroup);
  } catch {
    return () => {};
  }
  // One drain at a time; links that arrive during one are taken by the next.
  let draining: Promise<void> | null = null;
  let again = false;
  const drain = () => {
    if (draining) {
      again = true;
      return;
    }
    draining = recordInbox(db, config)
      .then((count) => {
        if (count > 0) recorded();
      })
      .finally(() => {
        draining = null;
        if (again) {
          again = false;
          drain();
        }
      });
  };
  const watcher = watch(dir, { persistent: false }, drain);
  watcher.on('error', () => watcher.close());
  // What arrived between opening the ledger and watching its inbox.
  drain();
  return () => watcher.close();
}
