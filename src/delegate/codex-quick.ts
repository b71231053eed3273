/**
 * The quick check of a role's codex, one remote command that starts codex once: `codex login
 * status`, plus the identity of the files its command names (path, device, inode, size, change
 * time). The version comes from `codex --version` only when those files are not the ones hutctl
 * last asked (state_dir/codex/): any reinstall or edit changes a file's change time.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nameHash, privateDir, randomHex, writeFileAtomic } from '../files/index.ts';
import type { Transport } from '../transport/index.ts';

export interface QuickCheck {
  installed: boolean;
  version: string | null;
  loggedIn: boolean;
  account: string | null;
}

// $1 the section marker, $2 the files hutctl knows the version of, then the codex command. The
// files are the command's words that are files (or programs on PATH), through symlinks.
const SCRIPT = `m=$1 known=$2; shift 2
files() {
  n=$#
  for w; do
    case $w in
      -* | *=*) ;;
      */*) [ -f "$w" ] && set -- "$@" "$w" ;;
      *) p=$(command -v "$w") && case $p in /*) set -- "$@" "$p" ;; esac ;;
    esac
  done
  shift "$n"
  [ $# -gt 0 ] && { stat -L -c '%n %d %i %s %z' -- "$@" || stat -L -f '%N %d %i %z %Fc' -- "$@"; } 2>/dev/null
}
fp=$(files "$@")
"$@" login status 2>&1; echo "$m login $?"
[ -n "$fp" ] && printf '%s\\n' "$fp"; echo "$m files"
[ -n "$fp" ] && [ "$fp" = "$known" ] && exit 0
"$@" --version 2>&1; echo "$m version $?"`;

interface Known {
  files: string;
  version: string;
}

export async function quickCheck(
  transport: Transport,
  codex: string[],
  workdir: string | undefined,
  stateDir: string,
): Promise<QuickCheck> {
  const where = transport.describe();
  const memo = join(stateDir, 'codex', `${nameHash(`${where}\0${codex.join('\0')}`)}.json`);
  const known = readKnown(memo);
  const marker = `::hutctl-${randomHex(8)}`;
  const child = transport.spawn(
    ['sh', '-c', SCRIPT, 'hutctl-codex', marker, known?.files ?? '', ...codex],
    { stdio: ['ignore', 'pipe', 'pipe'], ownGroup: true, ...(workdir ? { cwd: workdir } : {}) },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr!.resume();
  await new Promise((resolve) => {
    child.on('error', resolve);
    child.on('close', resolve);
  });
  const part = sections(out, marker);
  const login = (part.login?.text ?? '')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('WARNING: proceeding'))
    .join(' ');
  const files = part.files?.text.replace(/\n$/, '') ?? '';
  let version: string | null = null;
  let installed = false;
  if (part.version) {
    version = /codex-cli (\S+)/.exec(part.version.text)?.[1] ?? null;
    installed = part.version.code === 0 && version !== null;
    if (installed && files && files !== known?.files)
      await remember(memo, { files, version: version! });
  } else if (known && files === known.files) {
    version = known.version;
    installed = true;
  }
  return {
    installed,
    version,
    loggedIn: installed && part.login?.code === 0 && !/Not logged in/.test(login),
    account: /ChatGPT/i.test(login)
      ? 'chatgpt'
      : /API key/i.test(login)
        ? 'apiKey'
        : login
          ? 'other'
          : null,
  };
}

/** The script's output cut at its marker lines: each section's text and exit status. */
function sections(
  out: string,
  marker: string,
): Partial<Record<'login' | 'files' | 'version', { text: string; code: number | null }>> {
  const found: ReturnType<typeof sections> = {};
  // A marker ends its section's last line even when the output before it had no line break.
  const re = new RegExp(`${marker} (login|files|version)(?: (\\d+))?\\n`, 'g');
  let from = 0;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    found[m[1] as 'login'] = {
      text: out.slice(from, m.index),
      code: m[2] === undefined ? null : Number(m[2]),
    };
    from = re.lastIndex;
  }
  return found;
}

function readKnown(path: string): Known | null {
  try {
    const known = JSON.parse(readFileSync(path, 'utf8')) as Partial<Known>;
    if (typeof known.files === 'string' && known.files && typeof known.version === 'string')
      return { files: known.files, version: known.version };
  } catch {}
  return null;
}

/** A memo that cannot be written costs the next check a `codex --version`, nothing more. */
async function remember(path: string, known: Known): Promise<void> {
  try {
    privateDir(dirname(path));
    await writeFileAtomic(path, `${JSON.stringify(known, null, 2)}\n`, { durable: false });
  } catch {}
}
