/**
 * `hutctl serve`: the HTTP API over the ledger and the live farm, its change stream (Server-Sent
 * Events), `/metrics`, the dashboard page, and MCP at `/mcp`. Node's own http server: the API is
 * a few dozen routes of JSON, and nothing here needs a framework.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HutConfig } from '../config/index.ts';
import { checkId } from '../contract/ids.ts';
import { HutError, isHutError } from '../errors/index.ts';
import { checkReason, logAction, powerAction, withAction } from './actions.ts';
import { COOKIE, Gate, isLoopback, readToken } from './auth.ts';
import { decoded, known, page, pollLedger, readJson, send, unauthorized } from './http.ts';
import { metricsText } from './metrics.ts';
import {
  actionsView,
  healthView,
  hilView,
  jobsView,
  jobView,
  logBaseOf,
  logPath,
  matrixView,
  powerView,
  queueView,
  readLogFrom,
  runningJobs,
  type ServeContext,
  slotsView,
  threadsView,
} from './views.ts';
import type { Change } from './watch.ts';

export interface ServeOptions {
  config: HutConfig;
  host: string;
  port: number;
  tokenFile: string;
  /** The team's repository, for the MCP add_handoff tool. */
  docsRoot?: string | null;
  /** One line per write action, refusal and server error (never a token). */
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  ctx: ServeContext;
  close(): Promise<void>;
}

/** Change streams open at once (each is a socket for the life of a page). */
const MAX_STREAMS = 256;

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { config } = options;
  const log = options.log ?? (() => {});
  const token = readToken(options.tokenFile);
  // Whoever reads it can act on the farm: never in a job's log, however it got there.
  const { addSecret } = await import('../secrets/index.ts');
  addSecret(token);
  if (token === null && !isLoopback(options.host))
    throw new HutError(
      'CONFIG',
      `refusing to serve on ${options.host} without a token: anyone who can reach it could power the farm`,
      {
        hint: `make one with 'hutctl serve --new-token' (written to ${options.tokenFile}, 0600), or bind to 127.0.0.1`,
      },
    );
  const { openContext } = await import('./context.ts');
  const opened = await openContext(config, {
    docsRoot: options.docsRoot ?? null,
    watched: true,
    log,
  });
  const { ctx } = opened;
  const { db, watch, hosts } = ctx;
  // A PostgreSQL ledger is written by other hosts too: asked every 2 s whether it moved on.
  const poll =
    db?.engine === 'postgres' ? pollLedger(db, () => watch.note({ kind: 'ledger' })) : null;
  const clients = new Set<ServerResponse>();
  watch.on('change', (change: Change) => {
    const data = `event: change\ndata: ${JSON.stringify(change)}\n\n`;
    for (const client of clients) client.write(data);
  });
  // Made once listening: the Host header names the port really bound (with --port 0, any).
  let gate = new Gate(token, options.host, options.port);
  const { mcpHttp } = await import('./mcp-http.ts');
  const mcp = mcpHttp(ctx, log);

  const server = createServer((request, response) => {
    handle(request, response).catch((error) => fail(response, error));
  });
  // Slow clients must not hold sockets for ever; SSE responses are kept open on purpose.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    if (!gate.hostAllowed(request))
      return send(response, 421, {
        error: `this server does not answer for ${request.headers.host}`,
      });
    const url = new URL(request.url ?? '/', 'http://serve');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    if (method === 'GET' && path === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    if (method === 'GET' && (path === '/' || path.startsWith('/assets/')))
      return page(response, path);
    const access = gate.access(request);
    if (path === '/api/session') return session(request, response, method);
    if (path === '/mcp') {
      // MCP is for agents that act: the token, in the header, always.
      if (!access.header)
        return unauthorized(response, 'MCP needs the token (Authorization: Bearer …)');
      return mcp.handle(request, response);
    }
    if (method === 'GET') {
      if (!access.token && !gate.loopback)
        return unauthorized(
          response,
          'this server needs the token to read (it is not bound to loopback)',
        );
      return read(response, path, url.searchParams);
    }
    if (method === 'POST') {
      if (!gate.hasToken)
        return send(response, 403, {
          error: 'this server has no token, so nothing can be changed through it',
          hint: "restart it after 'hutctl serve --new-token'",
        });
      if (!access.header)
        return unauthorized(
          response,
          'changing the farm needs the token (Authorization: Bearer …)',
        );
      return act(request, response, path);
    }
    return send(response, 405, { error: `${method} is not used here` });
  }

  async function read(
    response: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const parts = path.split('/').filter(Boolean);
    if (path === '/metrics') {
      response.writeHead(200, {
        'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        'Cache-Control': 'no-store',
      });
      response.end(await metricsText(ctx));
      return;
    }
    if (path === '/api/events') return events(response);
    if (parts[0] === 'files' && parts.length === 2)
      return evidenceFile(response, decoded(parts[1]!));
    if (parts[0] !== 'api') return send(response, 404, { error: `no such page: ${path}` });
    const { historyFilter, STATUSES } = await import('../cli/history.ts');
    const filter = (statuses: readonly string[]) =>
      historyFilter(
        {
          limit: query.get('limit') ?? '50',
          ...Object.fromEntries(
            ['since', 'slot', 'sha', 'status', 'role'].flatMap((k) =>
              query.has(k) ? [[k, query.get(k)!]] : [],
            ),
          ),
        },
        statuses,
      );
    switch (parts[1]) {
      case 'overview':
        return send(response, 200, await overview());
      case 'slots':
        return send(response, 200, await slotsView(ctx));
      case 'health':
        return send(response, 200, await healthView(ctx));
      case 'hil':
        return send(response, 200, await hilView(ctx, await filter(STATUSES.hil)));
      case 'matrix':
        return send(response, 200, await matrixView(ctx));
      case 'power':
        return send(response, 200, await powerView(ctx, await filter(STATUSES.power)));
      case 'actions':
        return send(response, 200, await actionsView(ctx));
      case 'threads':
        return send(response, 200, await threadsView(ctx));
      case 'queue':
        return send(response, 200, await queueView(ctx));
      case 'hosts':
        return send(response, 200, hosts.view());
      case 'logs':
        if (parts.length !== 3) break;
        return logFrom(response, decoded(parts[2]!), query);
      case 'timeline': {
        if (parts.length !== 3) break;
        const { timelineOf } = await import('./timeline.ts');
        const found = await timelineOf(ctx, decoded(parts[2]!));
        return found
          ? send(response, 200, found)
          : send(response, 404, { error: `no evidence ${parts[2]} here` });
      }
      case 'jobs':
        if (parts.length === 2)
          return send(response, 200, {
            running: runningJobs(ctx),
            jobs: await jobsView(ctx, await filter(STATUSES.job)),
          });
        return job(response, checkId('job_id', decoded(parts[2]!)), parts[3], query);
    }
    return send(response, 404, { error: `no such API: ${path}` });
  }

  async function overview() {
    const [slots, jobs, matrix, actions, threads, queue] = await Promise.all([
      slotsView(ctx),
      jobsView(ctx, { limit: 50 }),
      matrixView(ctx),
      actionsView(ctx),
      threadsView(ctx),
      queueView(ctx),
    ]);
    return {
      farm: {
        host: (await import('node:os')).hostname(),
        store: config.store.engine,
        token: gate.hasToken,
      },
      slots,
      running: runningJobs(ctx),
      queue,
      hosts: hosts.view(),
      jobs,
      matrix,
      actions,
      threads,
    };
  }

  async function job(
    response: ServerResponse,
    jobId: string,
    sub: string | undefined,
    query: URLSearchParams,
  ) {
    if (sub === undefined) {
      const found = await jobView(ctx, jobId);
      return found
        ? send(response, 200, found)
        : send(response, 404, { error: `no job ${jobId} here` });
    }
    if (sub === 'log') {
      const base = await logBaseOf(ctx, jobId);
      if (!base) return send(response, 404, { error: `no log for job ${jobId} here` });
      return logFrom(response, base, query);
    }
    return send(response, 404, { error: `no such API: /api/jobs/${jobId}/${sub}` });
  }

  async function logFrom(response: ServerResponse, base: string, query: URLSearchParams) {
    const path = await logPath(ctx, base);
    if (!path) return send(response, 404, { error: `no log ${base} here` });
    const offset = Number(query.get('offset') ?? '0');
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new HutError('USAGE', 'offset must be a whole number of bytes, 0 or more');
    // Live while its job runs: a running record, or (a hil run) no result written yet.
    const live =
      runningJobs(ctx).some((r) => r.log === base) ||
      (base.startsWith('runner_hil_') && !existsSync(path.replace(/\.log$/, '.json')));
    return send(response, 200, { log: base, live, ...(await readLogFrom(path, offset)) });
  }

  /** An evidence file (a log, a result, a JUnit file), as plain text: never run as a page. */
  async function evidenceFile(response: ServerResponse, name: string) {
    const { evidenceFilePath } = await import('./views.ts');
    const path = await evidenceFilePath(ctx, name);
    if (!path) return send(response, 404, { error: `no evidence file ${name} here` });
    response.writeHead(200, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Security-Policy': 'sandbox',
      'Cache-Control': 'no-store',
    });
    (await import('node:fs')).createReadStream(path).pipe(response);
  }

  function events(response: ServerResponse): void {
    // Each stream holds a socket for as long as its page is open: a bound, so that a runaway
    // client (or thousands of them) cannot take every descriptor from the API.
    if (clients.size >= MAX_STREAMS) {
      send(response, 503, {
        error: `${MAX_STREAMS} change streams are open already; close some pages`,
      });
      return;
    }
    response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    response.write('retry: 2000\n: hutctl change stream\n\n');
    clients.add(response);
    const beat = setInterval(() => response.write(': keep-alive\n\n'), 15_000);
    response.on('close', () => {
      clearInterval(beat);
      clients.delete(response);
    });
  }

  async function session(request: IncomingMessage, response: ServerResponse, method: string) {
    if (method === 'DELETE') {
      response.setHeader('Set-Cookie', `${COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
      return send(response, 200, { signed_in: false });
    }
    if (method === 'GET')
      return send(response, 200, {
        signed_in: gate.access(request).token,
        token_exists: gate.hasToken,
      });
    if (method !== 'POST') return send(response, 405, { error: `${method} is not used here` });
    const body = await readJson(request);
    const given = typeof body.token === 'string' ? body.token : '';
    if (!gate.matches(given)) {
      log(`sign-in refused from ${request.socket.remoteAddress}`);
      return send(response, 401, { error: 'that is not the token' });
    }
    response.setHeader('Set-Cookie', `${COOKIE}=${given}; Path=/; HttpOnly; SameSite=Strict`);
    return send(response, 200, { signed_in: true });
  }

  async function act(request: IncomingMessage, response: ServerResponse, path: string) {
    const parts = path.split('/').filter(Boolean);
    const body = await readJson(request);
    const by = `${typeof body.by === 'string' && /^[\w.@ -]{1,64}$/.test(body.by) ? body.by : 'someone'} via ${request.socket.remoteAddress}`;
    const base = { by, via: 'http' as const };
    const flag = (name: string) => {
      if (body[name] !== undefined && typeof body[name] !== 'boolean')
        throw new HutError('USAGE', `${name} must be true or false`);
      return body[name] === true;
    };
    if (parts[0] === 'api' && parts[1] === 'slots' && parts.length === 4) {
      const { getSlot } = await import('../slots/index.ts');
      const slot = getSlot(config, checkId('slot', decoded(parts[2]!)));
      const reason = checkReason(body.reason);
      if (parts[3] === 'power') {
        known(body, ['action', 'reason', 'by', 'force']);
        const action = body.action;
        if (action !== 'cycle' && action !== 'on' && action !== 'off')
          throw new HutError('USAGE', 'action must be cycle, on or off');
        const force = flag('force');
        const { slotStatusOf } = await import('../slots/status.ts');
        const busy = (await slotStatusOf(config, slot, ctx.locks.probe)).holder;
        const refuse = async (why: string) => {
          const record = await logAction(config, {
            ...base,
            action: `power-${action}`,
            slot: slot.id,
            job_id: busy?.job_id ?? null,
            reason,
            outcome: 'refused',
            detail: why,
          });
          log(`${by}: power ${action} ${slot.id} refused: ${why}`);
          return send(response, 409, {
            error: why,
            hint: 'send "force": true to do it anyway',
            action: record,
          });
        };
        if (busy && !force)
          return refuse(`${slot.id} is held by ${busy.job_id ?? `pid ${busy.pid}`}`);
        let cooldown: string | null = null;
        const done = await withAction(
          config,
          { ...base, action: `power-${action}`, slot: slot.id, job_id: null, reason },
          async () => {
            try {
              const result = await powerAction(config, slot, action, { force });
              return {
                outcome: result.status === 'ok' ? ('done' as const) : ('failed' as const),
                detail: result.detail,
                value: result,
              };
            } catch (error) {
              if (!isHutError(error) || error.code !== 'COOLDOWN') throw error;
              cooldown = error.message;
              return { outcome: 'refused' as const, detail: error.message, value: null };
            }
          },
        );
        if (cooldown !== null)
          return send(response, 409, {
            error: cooldown,
            hint: 'send "force": true to do it anyway',
            action: done.record,
          });
        const result = done.value!;
        log(`${by}: power ${action} ${slot.id}: ${result.detail} (${reason})`);
        return send(response, result.status === 'ok' ? 200 : 502, {
          action: done.record,
          result: result.result,
          ...(done.evidence_error ? { evidence_error: done.evidence_error } : {}),
        });
      }
      if (parts[3] === 'health' || parts[3] === 'maintenance') {
        known(
          body,
          parts[3] === 'maintenance' ? ['on', 'reason', 'by'] : ['state', 'reason', 'by'],
        );
        const { SETTABLE, writeHealthEvent } = await import('../store/health.ts');
        const state = (
          parts[3] === 'maintenance'
            ? flag('on') || body.on === undefined
              ? 'maintenance'
              : 'good'
            : body.state
        ) as (typeof SETTABLE)[number];
        if (!SETTABLE.includes(state))
          throw new HutError('USAGE', `state must be one of ${SETTABLE.join(', ')}`);
        const done = await withAction(
          config,
          { ...base, action: 'health', slot: slot.id, job_id: null, reason },
          async () => {
            const evidence = await writeHealthEvent(config, { slot: slot.id, state, reason, by });
            const { noteEvidence, flushLedger } = await import('../store/ledger.ts');
            noteEvidence(config, evidence);
            await flushLedger();
            return { outcome: 'done' as const, detail: `set ${state}`, value: evidence };
          },
        );
        log(`${by}: ${slot.id} set ${state} (${reason})`);
        watch.note({ kind: 'health' });
        return send(response, 200, {
          action: done.record,
          evidence: done.value,
          ...(done.evidence_error ? { evidence_error: done.evidence_error } : {}),
        });
      }
      if (parts[3] === 'release') {
        known(body, ['reason', 'by']);
        // A person takes a board back from an agent: its lease ends (after a run under way).
        const lease = ctx.leases.of(slot.id);
        if (!lease) return send(response, 409, { error: `${slot.id} is not leased to an agent` });
        await ctx.leases.revoke(slot.id, `taken back by ${by}: ${reason}`);
        log(`${by}: ${slot.id} taken back from ${lease.holder} (${reason})`);
        return send(response, 200, { slot: slot.id, released_from: lease.holder });
      }
    }
    if (parts[0] === 'api' && parts[1] === 'jobs' && parts[3] === 'cancel' && parts.length === 4) {
      known(body, ['now', 'reason', 'by']);
      const jobId = checkId('job_id', decoded(parts[2]!));
      const reason = checkReason(body.reason);
      const now = flag('now');
      if (!runningJobs(ctx).some((r) => r.job_id === jobId))
        return send(response, 409, {
          error: `job ${jobId} is not running here: nothing to cancel`,
        });
      const done = await withAction(
        config,
        { ...base, action: 'cancel', slot: null, job_id: jobId, reason },
        async () => {
          const { requestCancel } = await import('../jobs/cancel.ts');
          const path = await requestCancel(config.paths.cancelDir, jobId, now);
          return {
            outcome: 'done' as const,
            detail: now ? 'now (the running step ends)' : 'before its next step',
            value: path,
          };
        },
      );
      log(`${by}: cancel ${jobId} (${reason})`);
      return send(response, 200, { action: done.record, flag: done.value });
    }
    return send(response, 404, { error: `no such action: POST ${path}` });
  }

  function fail(response: ServerResponse, error: unknown): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    if (isHutError(error)) {
      const status =
        error.code === 'USAGE' || error.code === 'INPUT'
          ? 400
          : error.code === 'NOT_FOUND'
            ? 404
            : error.code === 'LOCK_HELD' ||
                error.code === 'UNSATISFIABLE' ||
                error.code === 'COOLDOWN'
              ? 409
              : 500;
      if (status === 500) log(`error: ${error.message}`);
      send(response, status, { error: error.message, ...(error.hint ? { hint: error.hint } : {}) });
      return;
    }
    log(`error: ${(error as Error).message}`);
    send(response, 500, { error: (error as Error).message });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new HutError(
          'IO',
          `cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`,
          {
            hint:
              error.code === 'EADDRINUSE'
                ? 'another server is there: stop it, or pick --port'
                : 'check --host and --port',
          },
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  gate = new Gate(token, options.host, address.port);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    ctx,
    async close() {
      for (const client of clients) client.end();
      await mcp.close();
      if (poll) clearInterval(poll);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await opened.close('server stopped');
    },
  };
}
