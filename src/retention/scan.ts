/**
 * What lies in the directories `store gc` owns: the evidence directory (flat: each run's files
 * share a base name), the artifact store (`<sha>/<profile>/`) and hil's per-slot firmware copies
 * (`<state>/hil/<sha>-<slot>/`). Every entry is looked at with lstat and every path is built
 * under its root: a symbolic link is reported, never followed, and nothing outside is reached.
 */
import { type Dirent, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { EVIDENCE_FILE as EVIDENCE, isValidId } from '../contract/ids.ts';
import { pathUnder, readTextFile } from '../files/index.ts';

export interface FoundFile {
  path: string;
  bytes: number;
  mtimeMs: number;
}

/** One run's evidence: `<base>.log`, `.json`, `.running`, and what a killed write left. */
export interface EvidenceGroup {
  base: string;
  files: FoundFile[];
  newestMs: number;
  report: string | null;
  running: string | null;
  log: string | null;
}

/** A directory gc may remove whole: a stored artifact, a leftover of one, a firmware copy. */
export interface FoundTree {
  path: string;
  name: string;
  /** The newest modification in it (an artifact: when it was stored, from its manifest). */
  newestMs: number;
  files: number;
  bytes: number;
}

export interface Odd {
  path: string;
  why: string;
  /** The link's own time (lstat), to tell an old one from a new one. */
  mtimeMs: number;
}

/** `<role>_…_utc.{log,json,running}`, and the hidden temp file of an atomic write of one. */
const EVIDENCE_TEMP = /^\.([a-z][a-z0-9-]*_.+_utc)\.(?:log|json|running)\.\d+\.[0-9a-f]+\.tmp$/;
/** What gc itself renames a directory to before it deletes it. */
export const TRASH_PREFIX = '.gc-';

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Why an entry that looks like ours is not a regular file (or directory), for the kept list. */
function notPlain(path: string, want: 'file' | 'directory'): string | null {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) {
    let target = '?';
    try {
      target = readlinkSync(path);
    } catch {}
    return `a symbolic link (to ${target}): never followed or removed`;
  }
  if (want === 'file' ? stat.isFile() : stat.isDirectory()) return null;
  return `not a ${want === 'file' ? 'regular file' : 'directory'}: left alone`;
}

export function scanEvidence(dir: string): { groups: EvidenceGroup[]; odd: Odd[] } {
  const groups = new Map<string, EvidenceGroup>();
  const odd: Odd[] = [];
  for (const entry of entries(dir)) {
    const match = EVIDENCE.exec(entry.name) ?? EVIDENCE_TEMP.exec(entry.name);
    if (!match) continue;
    const path = pathUnder(dir, entry.name);
    const problem = notPlain(path, 'file');
    if (problem) {
      odd.push({ path, why: problem, mtimeMs: lstatSync(path).mtimeMs });
      continue;
    }
    const stat = lstatSync(path);
    const base = match[1]!;
    const group = groups.get(base) ?? {
      base,
      files: [],
      newestMs: 0,
      report: null,
      running: null,
      log: null,
    };
    group.files.push({ path, bytes: stat.size, mtimeMs: stat.mtimeMs });
    group.newestMs = Math.max(group.newestMs, stat.mtimeMs);
    if (!entry.name.startsWith('.')) {
      const kind = match[2] as 'log' | 'json' | 'running';
      group[kind === 'json' ? 'report' : kind] = path;
    }
    groups.set(base, group);
  }
  return { groups: [...groups.values()], odd };
}

/** Regular files and their bytes in a tree, and its newest change; links are counted, not followed. */
function measure(path: string): { files: number; bytes: number; newestMs: number } {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return { files: 1, bytes: stat.size, newestMs: stat.mtimeMs };
  const total = { files: 0, bytes: 0, newestMs: stat.mtimeMs };
  for (const entry of entries(path)) {
    const inner = measure(pathUnder(path, entry.name));
    total.files += inner.files;
    total.bytes += inner.bytes;
    total.newestMs = Math.max(total.newestMs, inner.newestMs);
  }
  return total;
}

function tree(path: string, name: string, newestMs?: number): FoundTree {
  const measured = measure(path);
  return { path, name, ...measured, newestMs: newestMs ?? measured.newestMs };
}

/** When an artifact was stored, from its manifest; null when that cannot be read. */
function storedAt(dir: string): number | null {
  try {
    // A manifest is at most 4 MiB (hil/manifest.ts); a link, a FIFO or a device is not one.
    const text = readTextFile(pathUnder(dir, 'manifest.json'), 4 * 1024 * 1024, {
      noFollow: true,
    });
    const created = (JSON.parse(text) as { created_utc?: unknown }).created_utc;
    const at = typeof created === 'string' ? Date.parse(created) : Number.NaN;
    return Number.isNaN(at) ? null : at;
  } catch {
    return null;
  }
}

export interface ArtifactScan {
  artifacts: Array<FoundTree & { sha: string; profile: string }>;
  /** What a killed `artifact put` left (`<profile>.staging-…`, `<profile>.old-…`). */
  leftovers: FoundTree[];
  /** What a killed gc left, renamed to `.gc-…`: removed whatever its age. */
  trash: FoundTree[];
  odd: Odd[];
}

export function scanArtifacts(store: string): ArtifactScan {
  const scan: ArtifactScan = { artifacts: [], leftovers: [], trash: [], odd: [] };
  for (const shaEntry of entries(store)) {
    if (!isValidId('sha', shaEntry.name) || shaEntry.name !== shaEntry.name.toLowerCase()) continue;
    const shaDir = pathUnder(store, shaEntry.name);
    const problem = notPlain(shaDir, 'directory');
    if (problem) {
      scan.odd.push({ path: shaDir, why: problem, mtimeMs: lstatSync(shaDir).mtimeMs });
      continue;
    }
    for (const entry of entries(shaDir)) {
      const path = pathUnder(shaDir, entry.name);
      if (entry.name.startsWith(TRASH_PREFIX)) {
        scan.trash.push(tree(path, entry.name));
        continue;
      }
      const leftover = /\.(staging|old)-\d+-\d+$/.test(entry.name);
      if (!leftover && !isValidId('profile', entry.name)) continue;
      const odd = notPlain(path, 'directory');
      if (odd) scan.odd.push({ path, why: odd, mtimeMs: lstatSync(path).mtimeMs });
      else if (leftover) scan.leftovers.push(tree(path, entry.name));
      else
        scan.artifacts.push({
          ...tree(path, entry.name, storedAt(path) ?? undefined),
          sha: shaEntry.name,
          profile: entry.name,
        });
    }
  }
  return scan;
}

export interface FirmwareScan {
  copies: Array<FoundTree & { sha: string; slot: string }>;
  trash: FoundTree[];
  odd: Odd[];
}

/** hil's copies of what it flashed, `<sha>-<slot>` (a SHA has no dash, so the first one splits). */
export function scanFirmware(dir: string): FirmwareScan {
  const scan: FirmwareScan = { copies: [], trash: [], odd: [] };
  for (const entry of entries(dir)) {
    const path = pathUnder(dir, entry.name);
    if (entry.name.startsWith(TRASH_PREFIX)) {
      scan.trash.push(tree(path, entry.name));
      continue;
    }
    const match = /^([0-9a-f]{7,64})-(.+)$/.exec(entry.name);
    if (!match || !isValidId('slot', match[2]!)) continue;
    const problem = notPlain(path, 'directory');
    if (problem) scan.odd.push({ path, why: problem, mtimeMs: lstatSync(path).mtimeMs });
    else scan.copies.push({ ...tree(path, entry.name), sha: match[1]!, slot: match[2]! });
  }
  return scan;
}

/**
 * Files under `roots` that a process of this user has open now (a log still being written), by
 * path, with the process: read from /proc, where the processes of others cannot be seen.
 */
export function openFiles(roots: readonly string[]): Map<string, number> {
  const open = new Map<string, number>();
  const inside = (path: string) => roots.some((root) => path.startsWith(`${root}/`));
  for (const pid of entries('/proc')) {
    if (!/^\d+$/.test(pid.name) || Number(pid.name) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid.name}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid.name}/fd/${fd}`);
        if (inside(target)) open.set(target, Number(pid.name));
      } catch {}
    }
  }
  return open;
}
