/**
 * `creds check`: the GitLab credential contract — root
 * `${XDG_CONFIG_HOME:-$HOME/.config}/codex/credentials/gitlab/<host>/` mode 0700, role files
 * `<role>.env` mode 0600, GITLAB_HOST, GITLAB_USER and GITLAB_PAT present and non-empty,
 * GITLAB_PASSWORD flagged as bootstrap-only. Names and states only; never a value.
 */
import { readdirSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvText } from '../config/index.ts';
import { FileReadError, readReason, readTextFile } from '../files/index.ts';
import { credsRoot } from '../secrets/index.ts';

export interface CredCheck {
  subject: string;
  ok: boolean;
  state: string;
}

const REQUIRED = ['GITLAB_HOST', 'GITLAB_USER', 'GITLAB_PAT'];
/** GOAL-001's expected role files (`<role>.env`). */
const ROLE_FILES = ['codex', 'arch', 'infra', 'runner'];
/** A few variables: like `.lxd.env`, far more than a role file holds, and a FIFO is not waited on. */
const ROLE_FILE_MAX_BYTES = 64 * 1024;

export { credsRoot };

export function checkCreds(options: { role?: string; env?: NodeJS.ProcessEnv } = {}): CredCheck[] {
  const root = credsRoot(options.env);
  const out: CredCheck[] = [];
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [{ subject: root, ok: false, state: 'missing (create it with mode 0700)' }];
  }
  const hosts: Array<{ dir: string; stat: Stats }> = [];
  for (const name of names) {
    // An entry that cannot even be looked at (a loop of links) may be a host's: said, not skipped.
    const dir = join(root, name);
    const stat = statOf(dir);
    if (typeof stat === 'string') out.push(unreadable(dir, stat));
    else if (stat.isDirectory()) hosts.push({ dir, stat });
  }
  if (hosts.length === 0) out.push({ subject: root, ok: false, state: 'no host directories' });
  for (const { dir, stat } of hosts) {
    out.push(modeCheck(dir, stat, 0o700));
    // The contract's role files, or the one asked for; any other .env there is checked too.
    const expected = (options.role ? [options.role] : ROLE_FILES).map((r) => `${r}.env`);
    let present: string[];
    try {
      present = readdirSync(dir).filter((f) => f.endsWith('.env'));
    } catch (error) {
      out.push(unreadable(dir, readReason(error)));
      continue;
    }
    for (const file of expected.filter((f) => !present.includes(f)))
      out.push({
        subject: join(dir, file),
        ok: false,
        state: options.role
          ? 'missing'
          : 'missing (each role host needs only its own: check there with --role)',
      });
    const files = present.filter((f) => !options.role || f === `${options.role}.env`);
    for (const file of files) {
      const path = join(dir, file);
      const stat = statOf(path);
      // One that cannot be looked at has no mode to check, and would not read either.
      if (typeof stat === 'string') {
        out.push(unreadable(path, stat));
        continue;
      }
      out.push(modeCheck(path, stat, 0o600));
      let text: string;
      try {
        text = readTextFile(path, ROLE_FILE_MAX_BYTES);
      } catch (error) {
        if (!(error instanceof FileReadError)) throw error;
        out.push(unreadable(path, error.reason));
        continue;
      }
      const { values } = parseEnvText(text, path);
      for (const name of REQUIRED) {
        const value = values.get(name)?.value ?? '';
        out.push({
          subject: `${file} ${name}`,
          ok: value !== '',
          state: value === '' ? (values.has(name) ? 'empty' : 'missing') : 'set',
        });
      }
      if (values.get('GITLAB_PASSWORD')?.value)
        out.push({
          subject: `${file} GITLAB_PASSWORD`,
          ok: true,
          state: 'set (bootstrap only: automation uses GITLAB_PAT)',
        });
    }
  }
  return out;
}

/** The file's stat, or why it cannot be had (`too many levels of symbolic links (a loop)`). */
function statOf(path: string): Stats | string {
  try {
    return statSync(path);
  } catch (error) {
    return readReason(error);
  }
}

const unreadable = (path: string, reason: string): CredCheck => ({
  subject: path,
  ok: false,
  state: `cannot read: ${reason}`,
});

function modeCheck(path: string, stat: Stats, expected: number): CredCheck {
  const mode = stat.mode & 0o777;
  const ok = mode === expected;
  return {
    subject: path,
    ok,
    state: `mode ${mode.toString(8)}${ok ? '' : ` (expected ${expected.toString(8)})`}`,
  };
}
