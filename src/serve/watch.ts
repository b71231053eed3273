/**
 * What `serve` learns without asking: the evidence directory, the slot lock directory and the
 * state directory are watched (inotify through fs.watch), and every file that appears or
 * changes there becomes a change notification — a job started or ended, a slot taken or
 * freed, a hil result, a power event, a health decision, a job's log growing. The page re-reads
 * only what changed. Jobs in flight are kept as a set (their `.running` records), so nobody has
 * to list an evidence directory of a hundred thousand files to find them; a rescan every
 * minute repairs what a dropped notification would have missed.
 */
import { EventEmitter } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseEvidenceBaseName } from '../contract/ids.ts';
import type { RunningRecord } from '../jobs/evidence.ts';

export type ChangeKind =
  | 'slots'
  | 'jobs'
  | 'hil'
  | 'power'
  | 'health'
  | 'actions'
  | 'queue'
  | 'threads'
  | 'leases'
  | 'ledger'
  | 'log';

export interface Change {
  kind: ChangeKind;
  /** For `jobs`: the job that started or ended. */
  job_id?: string;
  /** For `log`: the evidence log that grew (its name without `.log`). */
  base?: string;
}

/** A hil run's log names its slot: `runner_hil_<test>_<slot>_<sha12>_<stamp>_utc`. */
const HIL_LOG = /^runner_hil_[a-z0-9-]+_(.+)_[0-9a-f]{12}_\d{8}_\d{6}_utc$/;

/** What the name of a file in the evidence directory says changed. */
export function changeOf(name: string): Change | null {
  const match = /^(.*)\.(log|json|running)$/.exec(name);
  if (!match) return null;
  const [, base, kind] = match as unknown as [string, string, string];
  const parsed = parseEvidenceBaseName(base);
  if (kind === 'log') return parsed ? { kind: 'log', base } : null;
  if (kind === 'running') return parsed ? { kind: 'jobs', job_id: parsed.jobId } : null;
  if (base.startsWith('runner_hil_')) return { kind: 'hil' };
  if (base.startsWith('runner_power_')) return { kind: 'power' };
  if (base.startsWith('runner_health_')) return { kind: 'health' };
  if (base.startsWith('runner_action_')) return { kind: 'actions' };
  return parsed ? { kind: 'jobs', job_id: parsed.jobId } : null;
}

export interface Running extends RunningRecord {
  base: string;
}

/** Watches the directories; emits `change` (Change), coalesced per kind and job for ~50 ms. */
export class FarmWatch extends EventEmitter {
  readonly running = new Map<string, Running>();
  /** The newest hil log of each slot (a hil run writes no running record). */
  readonly hilLogs = new Map<string, string>();
  readonly #watchers: FSWatcher[] = [];
  readonly #pending = new Map<string, Change>();
  #timer: NodeJS.Timeout | null = null;
  #rescan: NodeJS.Timeout | null = null;

  readonly dirs: { evidence: string; locks: string; state: string; ledger?: string | null };
  readonly coalesceMs: number;

  /** `ledger`: an SQLite ledger file, whose commits (by any process) are changes too. */
  constructor(
    dirs: { evidence: string; locks: string; state: string; ledger?: string | null },
    coalesceMs = 50,
  ) {
    super();
    this.dirs = dirs;
    this.coalesceMs = coalesceMs;
  }

  async start(): Promise<void> {
    await this.#scanRunning();
    this.#watch(this.dirs.evidence, false, (name) => {
      if (name.endsWith('.running')) void this.#readRunning(name);
      const hil = HIL_LOG.exec(name.replace(/\.log$/, ''));
      if (hil && name.endsWith('.log')) this.hilLogs.set(hil[1]!, name.slice(0, -4));
      const change = changeOf(name);
      if (change) this.#note(change);
    });
    this.#watch(this.dirs.locks, false, (name) => {
      if (/^hut-.*\.lock(\.owner)?$/.test(name)) {
        // At once (not coalesced): what is asked next must not be answered from before.
        this.emit('lock', name);
        this.#note({ kind: 'slots' });
      }
    });
    this.#watch(this.dirs.state, true, (name) => {
      const top = name.split('/')[0];
      if (top === 'power') this.#note({ kind: 'slots' });
      else if (top === 'threads') this.#note({ kind: 'threads' });
      else if (top === 'waiting') this.#note({ kind: 'queue' });
    });
    const ledger = this.dirs.ledger;
    if (ledger) {
      const name = basename(ledger);
      // A commit writes the WAL (or, without one, the file itself).
      this.#watch(dirname(ledger), false, (changed) => {
        if (changed === `${name}-wal` || changed === name) this.#note({ kind: 'ledger' });
      });
    }
    this.#rescan = setInterval(() => void this.#scanRunning(), 60_000);
    this.#rescan.unref();
  }

  /** Tells every listener about a change made by this process (an action, a lease). */
  note(change: Change): void {
    this.#note(change);
  }

  close(): void {
    for (const watcher of this.#watchers) watcher.close();
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#rescan) clearInterval(this.#rescan);
  }

  #watch(dir: string, recursive: boolean, onName: (name: string) => void): void {
    try {
      const watcher = watch(dir, { recursive, persistent: false }, (_event, name) => {
        if (typeof name === 'string') onName(name);
      });
      // A directory removed under us: the rescan and the next start see it again.
      watcher.on('error', () => watcher.close());
      this.#watchers.push(watcher);
    } catch {
      // Not there yet (no job ever ran here): nothing to watch, and the API reads what exists.
    }
  }

  #note(change: Change): void {
    this.#pending.set(`${change.kind}\0${change.job_id ?? change.base ?? ''}`, change);
    if (change.kind === 'jobs') this.#pending.set('slots\0', { kind: 'slots' });
    this.#timer ??= setTimeout(() => {
      this.#timer = null;
      const changes = [...this.#pending.values()];
      this.#pending.clear();
      for (const one of changes) this.emit('change', one);
    }, this.coalesceMs);
  }

  async #readRunning(name: string): Promise<void> {
    const base = name.slice(0, -'.running'.length);
    try {
      const record = JSON.parse(await readFile(join(this.dirs.evidence, name), 'utf8'));
      // A record that holds the final report is a job whose report could not be written: done.
      if (record.report) this.running.delete(base);
      else this.running.set(base, { ...(record as RunningRecord), base });
    } catch {
      this.running.delete(base);
    }
  }

  async #scanRunning(): Promise<void> {
    const names = await readdir(this.dirs.evidence).catch(() => [] as string[]);
    const seen = new Set<string>();
    for (const name of names) {
      if (!name.endsWith('.running')) continue;
      seen.add(name.slice(0, -'.running'.length));
      await this.#readRunning(name);
    }
    for (const base of this.running.keys()) if (!seen.has(base)) this.running.delete(base);
  }
}
