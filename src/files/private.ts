/**
 * Directories that hold evidence and state: private to their user (0700) when hutctl creates
 * them, or shared with one team group (02750, setgid so what is made inside keeps the group).
 * Files inside keep ordinary modes; the directory is the gate.
 */

import { accessSync, chmodSync, chownSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { HutError, quoteValue } from '../errors/index.ts';
import { makeDirs } from './dirs.ts';

const made = new Set<string>();

/** Creates `dir` (and missing parents) private to this user, or shared with `group`; returns it. */
export function privateDir(dir: string, group: number | null = null): string {
  const key = `${dir}\0${group}`;
  if (made.has(key)) return dir;
  const mode = group === null ? 0o700 : 0o2750;
  const first = makeDirs(dir, mode);
  if (first !== undefined && group !== null) {
    // Each directory this call created gets the group (mkdir's mode is filtered by the umask).
    for (let d = dir; d.length >= first.length; d = d.slice(0, d.lastIndexOf('/')) || '/') {
      chownSync(d, -1, group);
      chmodSync(d, mode);
      if (d === first) break;
    }
  }
  made.add(key);
  return dir;
}

/** The gid of a group given by name or number (from /etc/group), or an error that says so. */
export function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  let text = '';
  try {
    text = readFileSync('/etc/group', 'utf8');
  } catch {}
  for (const line of text.split('\n')) {
    const [group, , gid] = line.split(':');
    if (group === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new HutError(
    'CONFIG',
    `paths.share_group: there is no group ${quoteValue(name)} on this host`,
    {
      hint: 'create it (groupadd) and add the team to it, or give its number',
    },
  );
}

/** What is unsafe about a directory hutctl keeps things in, or null. */
export function unsafeDirMode(
  dir: string,
  use: 'private' | 'shared',
): { mode: string; problem: string } | null {
  let mode: number;
  try {
    mode = statSync(dir).mode & 0o7777;
  } catch {
    return null;
  }
  const octal = mode.toString(8);
  if (mode & 0o002 && !(mode & 0o1000))
    return {
      mode: octal,
      problem: `is writable by every user without the sticky bit (mode ${octal}): anyone can replace what hutctl keeps there`,
    };
  if (use === 'private' && mode & 0o004)
    return {
      mode: octal,
      problem: `is readable by every user (mode ${octal}): evidence and state are private by default (chmod 700, or set paths.share_group for a team)`,
    };
  return null;
}

/**
 * Throws the error that writing into `dir` would meet, without creating anything: the
 * directory, or the nearest existing one above it, must be a directory this user may write.
 */
export function checkWritableDir(dir: string): void {
  let at = dir;
  for (;;) {
    try {
      if (!statSync(at).isDirectory())
        throw Object.assign(new Error(`ENOTDIR: not a directory, ${at}`), {
          code: 'ENOTDIR',
          path: at,
        });
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || dirname(at) === at) throw error;
      at = dirname(at);
    }
  }
  accessSync(at, constants.W_OK);
}
