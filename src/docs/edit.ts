/** Read-modify-write of a coordination document under a lock, written atomically. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { localTarget } from '../config/index.ts';
import { writeFileAtomic } from '../files/index.ts';
import { acquireLock } from '../locks/index.ts';
import { LocalTransport } from '../transport/index.ts';

/** Two writers never interleave: `change` sees the file as it is under the lock. */
export async function editDocument(
  path: string,
  change: (text: string) => string,
): Promise<string> {
  await using _lock = await acquireLock(new LocalTransport(localTarget()), `${path}.lock`, {
    owner: { pid: process.pid, host: hostname(), since: new Date().toISOString() },
  });
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  if (after !== before) await writeFileAtomic(path, after);
  return after;
}
