/** Reads `.lxd.env` (the old lxd_remote.sh settings) as data, never as shell, into an ssh target. */
import { existsSync } from 'node:fs';
import { expandHome, FileReadError, readTextFile } from '../files/index.ts';
import type { ConfigProblem, Target } from './types.ts';

export const LXD_KEYS = [
  'LXD_HOST',
  'LXD_SSH_USER',
  'LXD_SSH_PORT',
  'LXD_SSH_AUTH',
  'LXD_SSH_PRIVATE_KEY_PATH',
  'LXD_WORKDIR',
] as const;

/** Parses KEY=VALUE lines: `export`, comments, single and double quotes; no expansion. */
export function parseEnvText(
  text: string,
  file: string,
): { values: Map<string, { value: string; line: number }>; problems: ConfigProblem[] } {
  const values = new Map<string, { value: string; line: number }>();
  const problems: ConfigProblem[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    if (!match) {
      problems.push({
        file,
        line,
        path: '',
        message: `expected KEY=VALUE, got ${JSON.stringify(trimmed)}`,
      });
      return;
    }
    const key = match[1]!;
    const value = unquote(match[2]!);
    if (value === null) {
      problems.push({ file, line, path: key, message: 'unterminated quote' });
      return;
    }
    if (/[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(value)) {
      problems.push({ file, line, path: key, message: 'holds a control character' });
      return;
    }
    if (values.has(key)) {
      problems.push({
        file,
        line,
        path: key,
        message: `${key} is set twice (first on line ${values.get(key)!.line})`,
      });
      return;
    }
    values.set(key, { value, line });
  });
  return { values, problems };
}

function unquote(rest: string): string | null {
  const first = rest[0];
  if (first === "'") {
    const end = rest.indexOf("'", 1);
    return end < 0 ? null : rest.slice(1, end);
  }
  if (first === '"') {
    let out = '';
    for (let i = 1; i < rest.length; i++) {
      const ch = rest[i]!;
      if (ch === '\\' && i + 1 < rest.length) out += rest[++i];
      else if (ch === '"') return out;
      else out += ch;
    }
    return null;
  }
  // Unquoted: a ` #` starts a comment, as in a shell.
  return rest.replace(/\s+#.*$/, '').trim();
}

/** The `infra` target described by a `.lxd.env` file, or null when the file does not exist. */
export function readLxdEnv(
  file: string,
  home?: string,
): { target: Target | null; problems: ConfigProblem[] } {
  if (!existsSync(file)) return { target: null, problems: [] };
  let text: string;
  try {
    text = readTextFile(file, 64 * 1024);
  } catch (error) {
    const reason = error instanceof FileReadError ? error.reason : String(error);
    return { target: null, problems: [{ file, path: '', message: `cannot read: ${reason}` }] };
  }
  const { values, problems } = parseEnvText(text, file);
  const get = (key: string) => values.get(key)?.value;
  for (const key of ['LXD_HOST', 'LXD_SSH_USER']) {
    if (!get(key)) problems.push({ file, path: key, message: `missing ${key} (required)` });
    else if (/^[-\s]/.test(get(key)!))
      problems.push({
        file,
        line: values.get(key)!.line,
        path: key,
        message: 'may not start with "-" or a space (ssh would read it as an option)',
      });
  }
  const port = get('LXD_SSH_PORT');
  if (port !== undefined && !/^\d{1,5}$/.test(port)) {
    problems.push({
      file,
      line: values.get('LXD_SSH_PORT')!.line,
      path: 'LXD_SSH_PORT',
      message: `expected a port number, got ${JSON.stringify(port)}`,
    });
  }
  const auth = get('LXD_SSH_AUTH') ?? 'key';
  const keyPath = get('LXD_SSH_PRIVATE_KEY_PATH');
  if (auth === 'key' && !keyPath) {
    problems.push({
      file,
      path: 'LXD_SSH_PRIVATE_KEY_PATH',
      message: 'required when LXD_SSH_AUTH=key',
    });
  }
  if (keyPath?.includes('$')) {
    problems.push({
      file,
      line: values.get('LXD_SSH_PRIVATE_KEY_PATH')!.line,
      path: 'LXD_SSH_PRIVATE_KEY_PATH',
      message: '.lxd.env is read as data and $VARIABLES are not expanded; write ~/... instead',
    });
  }
  if (problems.length > 0) return { target: null, problems };
  const target: Target = {
    name: 'infra',
    transport: 'ssh',
    host: get('LXD_HOST')!,
    user: get('LXD_SSH_USER')!,
    sshOptions: {},
    loginShell: false,
    source: file,
  };
  if (port) target.port = Number(port);
  if (auth === 'key' && keyPath) target.identityFile = expandHome(keyPath, home);
  const workdir = get('LXD_WORKDIR');
  if (workdir) target.workdir = workdir;
  return { target, problems };
}
