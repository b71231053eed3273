/**
 * `mkdir -p` that always ends: Node's own recursive mkdir spins forever on a path it can never
 * create (under /proc, for one, every level reports ENOENT again), so a bad --evidence-dir hung
 * hutctl at full CPU. This walks up to the first directory that exists, then creates each level
 * once; any error is thrown as it is.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Creates `dir` and its missing parents; returns the first one it created, as mkdirSync does. */
export function makeDirs(dir: string, mode = 0o777): string | undefined {
  const missing: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      if (statSync(d).isDirectory()) break;
      // As mkdir -p says it: the directory itself is a file (EEXIST), or a parent is (ENOTDIR).
      const code = d === resolve(dir) ? 'EEXIST' : 'ENOTDIR';
      throw Object.assign(new Error(`${code}: not a directory, mkdir '${d}'`), {
        code,
        syscall: 'mkdir',
        path: d,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (dirname(d) === d) throw error;
      missing.push(d);
    }
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return missing[0];
}
