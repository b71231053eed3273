/**
 * What `serve` answers: the farm as the ledger and the live files say it is now. Each view is a
 * plain JSON value; the HTTP API, the page and the MCP tools all read these.
 */
import { lstat, open } from 'node:fs/promises';
import { Socket } from 'node:net';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import type { HutConfig } from '../config/index.ts';
import { parseEvidenceBaseName } from '../contract/ids.ts';
import { executorAlive } from '../jobs/evidence.ts';
import type { Db, Value } from '../store/db.ts';
import type { HistoryFilter } from '../store/queries.ts';
import type { Leases } from './leases.ts';
import type { LockStates } from './probe.ts';
import type { FarmWatch } from './watch.ts';

export interface ServeContext {
  config: HutConfig;
  db: Db | null;
  watch: FarmWatch;
  leases: Leases;
  hosts: HostProbe;
  /** Slot lock states, kept between requests (probe.ts). */
  locks: LockStates;
  /** The team's repository whose handoff log the MCP tool writes to, if any. */
  docsRoot: string | null;
}

const ageSec = (since: string | null | undefined, now: number) =>
  since ? Math.max(0, Math.round((now - Date.parse(since)) / 1000)) : null;

/** Jobs whose executor is alive (a `.running` record whose process is gone is interrupted). */
export function runningJobs(ctx: ServeContext) {
  const now = Date.now();
  return [...ctx.watch.running.values()]
    .filter((r) => executorAlive(r) !== false)
    .map((r) => ({
      job_id: r.job_id,
      host: r.host,
      pid: r.pid,
      start_utc: r.start_utc,
      age_sec: ageSec(r.start_utc, now),
      log: r.base,
    }))
    .sort((a, b) => a.start_utc.localeCompare(b.start_utc));
}

export async function slotsView(ctx: ServeContext) {
  const { slotStatus } = await import('../slots/status.ts');
  const statuses = await slotStatus(ctx.config, ctx.locks.probe);
  const running = runningJobs(ctx);
  const health = await healthOf(ctx, Object.keys(ctx.config.slots));
  const now = Date.now();
  return statuses.map((s) => {
    const slot = ctx.config.slots[s.slot]!;
    const job = s.holder?.job_id ? running.find((r) => r.job_id === s.holder!.job_id) : undefined;
    const lease = ctx.leases.of(s.slot);
    return {
      slot: s.slot,
      labels: slot.labels,
      profile: slot.profile ?? null,
      serial: s.serial,
      present: s.tty !== null,
      tty: s.tty,
      state: s.locked ? 'busy' : s.tty === null ? 'missing' : 'free',
      holder: s.holder
        ? {
            job_id: s.holder.job_id ?? null,
            host: s.holder.host,
            pid: s.holder.pid,
            since: s.holder.since,
            lease_age_sec: ageSec(s.holder.since, now),
            // What the holder prints, live: a job's log, or the hil run's (serial and all).
            log:
              job?.log ??
              // An agent's lease: the run it has on the slot now, if any.
              (lease?.job && lease.job !== 'hil'
                ? (running.find((r) => r.job_id === lease.job)?.log ?? null)
                : null) ??
              (s.holder.job_id?.startsWith('hil-') || lease?.job === 'hil'
                ? (ctx.watch.hilLogs.get(s.slot) ?? null)
                : null),
          }
        : null,
      lease: lease ? { holder: lease.holder, expires_utc: lease.expiresUtc() } : null,
      power: s.power
        ? {
            state: s.power.state,
            observed_utc: s.power.observed_utc,
            last_cycle_status: s.power.last_cycle_status ?? null,
            last_cycle_end_utc: s.power.last_cycle_end_utc ?? null,
          }
        : null,
      power_change: s.power_change,
      health: health.get(s.slot) ?? null,
      lock_problem: s.lock_problem,
    };
  });
}

type Health = Awaited<ReturnType<typeof import('../store/health.ts').slotHealth>>;

async function healthOf(ctx: ServeContext, slots: string[]): Promise<Map<string, Health>> {
  const map = new Map<string, Health>();
  if (!ctx.db) return map;
  const { slotsHealth } = await import('../store/health.ts');
  for (const health of await slotsHealth(ctx.db, slots, ctx.config)) map.set(health.slot, health);
  return map;
}

/** The slots' health with counters (the same as `slot health --json`). */
export async function healthView(ctx: ServeContext) {
  return [...(await healthOf(ctx, Object.keys(ctx.config.slots))).values()];
}

export async function jobsView(ctx: ServeContext, filter: HistoryFilter) {
  if (!ctx.db) return [];
  const { listJobs } = await import('../store/queries.ts');
  return listJobs(ctx.db, filter);
}

/** One job: its ledger row and report, or what its running record says. */
export async function jobView(ctx: ServeContext, jobId: string) {
  const running = runningJobs(ctx).find((r) => r.job_id === jobId);
  if (ctx.db) {
    const [row] = await ctx.db.all<Record<string, Value>>(
      'SELECT job_id, role, status, exit_code, slot, port, sha, host, start_utc, end_utc, duration_sec, recovery_events, summary, log_path, report_path, report FROM jobs WHERE job_id = ?',
      [jobId],
    );
    if (row && !running) {
      const { report, ...rest } = row;
      return { state: 'ended', ...rest, report: JSON.parse(String(report)) };
    }
  }
  if (running) return { state: 'running', ...running };
  const { findJobEvidence, runState } = await import('../jobs/evidence.ts');
  const last = (await findJobEvidence(ctx.config.paths.evidenceDir, jobId)).at(-1);
  if (!last) return null;
  const { state } = await runState(last);
  return { state, job_id: jobId, log_path: last.logPath, report_path: last.reportPath };
}

/** Bytes of a log from `offset`, at most `max`: the client asks again from `next_offset`. */
export async function readLogFrom(path: string, offset: number, max = 256 * 1024) {
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const from = Math.min(offset, size);
    const length = Math.min(max, size - from);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, from);
    // Never split a UTF-8 character: stop before an incomplete one at the end.
    let end = bytesRead;
    if (from + bytesRead < size) end = completeUtf8(buffer.subarray(0, bytesRead));
    return {
      offset: from,
      next_offset: from + end,
      size,
      text: buffer.subarray(0, end).toString('utf8'),
    };
  } finally {
    await handle.close();
  }
}

function completeUtf8(bytes: Buffer): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back += 1) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** The evidence base name (`runner_<job>_<stamp>_utc`) of a job's log, or null. */
export async function logBaseOf(ctx: ServeContext, jobId: string): Promise<string | null> {
  const job = await jobView(ctx, jobId);
  const path = (job as { log_path?: string | null; log?: string } | null)?.log_path;
  if ((job as { log?: string } | null)?.log) return (job as { log: string }).log;
  return path ? basename(path).replace(/\.log$/, '') : null;
}

/**
 * The path of the evidence log `base`, only if it names a plain file in the evidence directory
 * (a name, never a path: nothing outside the directory can be read through it).
 */
export async function logPath(ctx: ServeContext, base: string): Promise<string | null> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,250}$/.test(base) || !parseEvidenceBaseName(base)) return null;
  const path = join(ctx.config.paths.evidenceDir, `${base}.log`);
  const info = await lstat(path).catch(() => null);
  return info?.isFile() ? path : null;
}

/** An evidence file by name (`.log`, `.json`, `.xml`), only a plain file in the directory. */
export async function evidenceFilePath(ctx: ServeContext, name: string): Promise<string | null> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,250}\.(log|json|xml)$/.test(name)) return null;
  const path = join(ctx.config.paths.evidenceDir, name);
  const info = await lstat(path).catch(() => null);
  return info?.isFile() ? path : null;
}

export async function hilView(ctx: ServeContext, filter: HistoryFilter) {
  if (!ctx.db) return [];
  const { hilHistory } = await import('../store/queries.ts');
  return hilHistory(ctx.db, filter);
}

/** The latest result of each test on each slot for the newest `shas` commits. */
export async function matrixView(ctx: ServeContext, shas = 10) {
  if (!ctx.db) return { shas: [], rows: [] };
  const recent = await ctx.db.all<{ sha: string; at: string }>(
    'SELECT sha, MAX(started_utc) AS at FROM hil_results GROUP BY sha ORDER BY at DESC LIMIT ?',
    [shas],
  );
  if (recent.length === 0) return { shas: [], rows: [] };
  const rows = await ctx.db.all(
    `SELECT sha, slot, test_id, status, phase, reason, app_version, started_utc, evidence_path
     FROM (SELECT h.*, ROW_NUMBER() OVER (PARTITION BY sha, slot, test_id ORDER BY started_utc DESC) AS n
           FROM hil_results h WHERE sha IN (${recent.map(() => '?').join(', ')})) latest
     WHERE n = 1 ORDER BY started_utc DESC`,
    recent.map((r) => r.sha),
  );
  return { shas: recent.map((r) => r.sha), rows };
}

export async function powerView(ctx: ServeContext, filter: HistoryFilter) {
  if (!ctx.db) return [];
  const { powerHistory } = await import('../store/queries.ts');
  return powerHistory(ctx.db, filter);
}

export async function actionsView(ctx: ServeContext, limit = 50) {
  if (!ctx.db) return [];
  return ctx.db.all(
    'SELECT action, slot, job_id, by_user AS by, via, reason, outcome, detail, at_utc FROM actions ORDER BY at_utc DESC LIMIT ?',
    [limit],
  );
}

export async function threadsView(ctx: ServeContext) {
  const { listThreads } = await import('../delegate/threads.ts');
  return (await listThreads(ctx.config.paths.stateDir)).sort((a, b) =>
    b.updated_utc.localeCompare(a.updated_utc),
  );
}

/** Jobs waiting for a slot, and why they are not running. */
export async function queueView(ctx: ServeContext) {
  const { listWaiting } = await import('../slots/waiting.ts');
  const now = Date.now();
  return (await listWaiting(ctx.config.paths.stateDir)).map((w) => ({
    ...w,
    waited_sec: ageSec(w.since, now),
  }));
}

/**
 * Runner hosts and whether they answer: each SSH target's port is tried every 30 s (a TCP
 * connect, no login), so a page load never waits on a host that is down.
 */
export class HostProbe {
  readonly #seen = new Map<
    string,
    { reachable: boolean; checked_utc: string; ms: number | null; error: string | null }
  >();
  #timer: NodeJS.Timeout | null = null;

  readonly config: HutConfig;

  constructor(config: HutConfig) {
    this.config = config;
  }

  start(): void {
    void this.#probeAll();
    this.#timer = setInterval(() => void this.#probeAll(), 30_000);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  view() {
    return Object.values(this.config.targets).map((t) => ({
      name: t.name,
      transport: t.transport,
      host: t.transport === 'local' ? hostname() : (t.host ?? null),
      user: t.user ?? null,
      ...(t.transport === 'local'
        ? { reachable: true, checked_utc: new Date().toISOString(), ms: 0, error: null }
        : (this.#seen.get(t.name) ?? {
            reachable: null,
            checked_utc: null,
            ms: null,
            error: null,
          })),
    }));
  }

  async #probeAll(): Promise<void> {
    await Promise.all(
      Object.values(this.config.targets)
        .filter((t) => t.transport === 'ssh' && t.host)
        .map(async (t) => {
          const began = performance.now();
          const error = await connectError(t.host!, t.port ?? 22, 3000);
          this.#seen.set(t.name, {
            reachable: error === null,
            checked_utc: new Date().toISOString(),
            ms: error === null ? Math.round(performance.now() - began) : null,
            error,
          });
        }),
    );
  }
}

function connectError(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (error: string | null) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer on port ${port} in ${timeoutMs / 1000} s`));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    socket.connect(port, host, () => done(null));
  });
}
