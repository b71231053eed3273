/**
 * The queue: a job waiting for a slot leaves a small record under `<state_dir>/waiting/` while
 * it waits — what it wants, since when, and why it is not running (who holds what it wants) —
 * so `serve` can show the queue. The record goes when the wait ends however it ends; one left
 * by a waiter that was killed is ignored (its process is gone) and removed by the next reader.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomHex, writeFileAtomic } from '../files/index.ts';
import { privateDir } from '../files/private.ts';

export interface WaitingRecord {
  job_id: string | null;
  pid: number;
  host: string;
  since: string;
  /** The slots it would take, any one of them. */
  wants: string[];
  /** Why it is not running: what holds the slots it wants. */
  why: string;
}

const dirOf = (stateDir: string) => join(stateDir, 'waiting');

/** Writes the record; the returned function removes it. A record that cannot be written is skipped. */
export async function noteWaiting(
  stateDir: string,
  record: Omit<WaitingRecord, 'pid' | 'host' | 'since'>,
): Promise<() => Promise<void>> {
  const path = join(dirOf(stateDir), `${process.pid}-${randomHex(6)}.json`);
  try {
    privateDir(stateDir);
    privateDir(dirOf(stateDir));
    const full: WaitingRecord = {
      ...record,
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
    };
    await writeFileAtomic(path, `${JSON.stringify(full)}\n`, { durable: false });
  } catch {
    // The queue is a view: a job never fails or waits longer because it cannot be shown.
    return async () => {};
  }
  return () => rm(path, { force: true }).catch(() => {});
}

export async function listWaiting(stateDir: string): Promise<WaitingRecord[]> {
  const dir = dirOf(stateDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  const records: WaitingRecord[] = [];
  for (const name of names) {
    if (!/^\d+-[0-9a-f]+\.json$/.test(name)) continue;
    try {
      const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as WaitingRecord;
      if (record.host === hostname() && !alive(record.pid)) {
        await rm(join(dir, name), { force: true }).catch(() => {});
        continue;
      }
      records.push(record);
    } catch {}
  }
  return records.sort((a, b) => a.since.localeCompare(b.since));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
