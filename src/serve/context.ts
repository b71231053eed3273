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
  });
  const hosts = new HostProbe(config);
  const locks = new LockStates(options.watched ? undefined : 0);
  if (options.watched) {
    await watch.start();
    hosts.start();
    watch.on('lock', (name: string) => locks.changed(name));
  }
  const ctx: ServeContext = { config, db, watch, leases, hosts, locks, docsRoot: options.docsRoot };
  return {
    ctx,
    async close(why?: string) {
      await leases.closeAll(why);
      await Promise.allSettled([...logging]);
      watch.close();
      hosts.close();
      await db?.close();
    },
  };
}
