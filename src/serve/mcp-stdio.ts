/**
 * `hutctl mcp`: the same MCP tools on stdin/stdout, for an agent that starts hutctl itself (a
 * Codex or Claude MCP server entry). The process is the session: its leases end when the agent
 * closes stdin or stops the process (`stop`: SIGTERM, as Codex does, SIGINT, SIGHUP) — each end
 * in the action log — and, as flocks, with the process whatever kills it.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { HutConfig } from '../config/index.ts';
import { logAction } from './actions.ts';
import { Leases } from './leases.ts';
import { agentName, createMcpServer } from './mcp.ts';
import { LockStates } from './probe.ts';
import { HostProbe, type ServeContext } from './views.ts';
import { FarmWatch } from './watch.ts';

export async function serveStdio(
  config: HutConfig,
  /** `stop`: ends the session as the agent closing it does (the CLI's SIGTERM, SIGINT, SIGHUP). */
  options: { docsRoot: string | null; as?: string; stop?: AbortSignal },
): Promise<void> {
  const { openStore } = await import('../store/ledger.ts');
  let db: ServeContext['db'] = null;
  try {
    db = await openStore(config);
  } catch (error) {
    process.stderr.write(
      `hutctl mcp: the ledger cannot be opened (${(error as Error).message}): health is not checked\n`,
    );
  }
  const watch = new FarmWatch({
    evidence: config.paths.evidenceDir,
    locks: config.paths.slotLockDir,
    state: config.paths.stateDir,
    ledger: config.store.engine === 'sqlite' ? config.store.path : null,
  });
  // Action log writes still under way: the process waits for them before it ends.
  const logging = new Set<Promise<unknown>>();
  const leases = new Leases(config, (lease, event, why) => {
    const written = logAction(config, {
      action: event === 'taken' ? 'lease' : 'release',
      slot: lease.slot.id,
      job_id: null,
      by: lease.holder,
      via: 'mcp',
      reason: why,
      outcome: 'done',
      detail: event === 'taken' ? `${lease.id}, ttl ${lease.ttlMs / 1000} s` : lease.id,
    }).catch(() => {});
    logging.add(written);
    void written.finally(() => logging.delete(written));
  });
  const ctx: ServeContext = {
    config,
    db,
    watch,
    leases,
    hosts: new HostProbe(config),
    // Nothing is watched here: every question probes the locks again.
    locks: new LockStates(0),
    docsRoot: options.docsRoot,
  };
  let who = options.as ?? 'agent';
  const server = createMcpServer(ctx, () => who);
  const transport = new StdioServerTransport();
  let why = 'session ended';
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    options.stop?.addEventListener(
      'abort',
      () => {
        why = `session ended (${String(options.stop?.reason)})`;
        resolve();
      },
      { once: true },
    );
  });
  server.server.oninitialized = () => {
    const client = server.server.getClientVersion();
    if (!options.as) who = agentName(client, `mcp stdio pid ${process.pid}`);
  };
  await server.connect(transport);
  await closed;
  await leases.closeAll(why);
  await Promise.allSettled([...logging]);
  await server.close();
  await db?.close();
}
