/** The thread_ref ↔ job_id ↔ goal/WS index: which Codex thread works on what, and what it last said. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkId } from '../contract/index.ts';
import { pathUnder, writeFileAtomic } from '../files/index.ts';
import { privateDir } from '../files/private.ts';

export interface ThreadRecord {
  thread_ref: string;
  job_id: string;
  role: string;
  goal: string | null;
  /** The `thread_ref=` label of the packet that started it (the team's name for the thread). */
  packet_ref?: string | null;
  status: string;
  last_message: string | null;
  updated_utc: string;
}

const dir = (stateDir: string) => join(stateDir, 'threads');

export async function recordThread(stateDir: string, record: ThreadRecord): Promise<void> {
  // What a thread said is the team's business only: private, as the state directory is.
  privateDir(stateDir);
  privateDir(dir(stateDir));
  await writeFileAtomic(
    pathUnder(dir(stateDir), `${checkId('thread_ref', record.thread_ref)}.json`),
    `${JSON.stringify(record, null, 2)}\n`,
  );
}

export async function listThreads(stateDir: string): Promise<ThreadRecord[]> {
  const names = await readdir(dir(stateDir)).catch(() => [] as string[]);
  const records: ThreadRecord[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    try {
      records.push(JSON.parse(await readFile(join(dir(stateDir), name), 'utf8')) as ThreadRecord);
    } catch {}
  }
  return records.sort((a, b) => b.updated_utc.localeCompare(a.updated_utc));
}

/**
 * The thread a `ref` names: a Codex thread id hutctl recorded, or the `thread_ref=` label of the
 * packet that started one (so two "continue" packets with the same label share a thread).
 */
export async function findThread(stateDir: string, ref: string): Promise<ThreadRecord | null> {
  const all = await listThreads(stateDir);
  return all.find((t) => t.thread_ref === ref) ?? all.find((t) => t.packet_ref === ref) ?? null;
}
