/**
 * Named locks with flock(2) semantics, taken on the target host through its transport. On a
 * remote host a held lock is a util-linux `flock(1)` process that waits on our stdin (on this
 * host, the keeper holds it: local.ts). Closing stdin releases it;
 * so does our death (the pipe closes), so a lock never outlives its holder, and the runner's
 * own `flock(1)` scripts on the same file exclude us and we them. The holder's identity goes to
 * a side file `<lock>.owner` for diagnostics only.
 */
import { HutError } from '../errors/index.ts';
import type { Transport } from '../transport/index.ts';
import { heldLock, releaseByStdin } from './held.ts';
import { acquireLocalLock } from './local.ts';

export { readLockHolder } from './local.ts';

export interface LockOwner {
  job_id?: string;
  /** Who the holder works for, when it is not its job: an MCP lease's agent. */
  by?: string;
  pid: number;
  host: string;
  since: string;
}

export interface HeldLock {
  path: string;
  /** The host and user that hold the lock (where the target's commands run). */
  host: string;
  user: string;
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface AcquireOptions {
  owner: LockOwner;
  /** Fail at once with LOCK_HELD when another holder has it. */
  noWait?: boolean;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: (holder: LockOwner | null) => void;
  signal?: AbortSignal;
  /**
   * Write the `<lock>.owner` record (default). Off for a lock on a directory that belongs to
   * someone else (a team's repository), where the record would be litter.
   */
  ownerRecord?: boolean;
}

// One process per acquisition: try at once; if busy, say who holds it ("busy <record>") and,
// unless told not to wait, wait. Who we are is read before any wait (no fork on the hand-off
// path); the holder's record is written after "locked" is announced, with the holding shell's
// pid first so a record left by a holder that is gone can be told from a live one. The lock
// file must be a plain file (never a planted symlink or FIFO), created without following
// anything; the record goes through mktemp and rename, and is removed again on release.
const LOCK_SCRIPT = `lock=$1; owner=$2; record=$3
host=; read -r host < /proc/sys/kernel/hostname 2>/dev/null || host=$(uname -n)
me="$host \${USER:-$(id -un)}"
[ -d "\${lock%/*}" ] || mkdir -p -- "\${lock%/*}" 2>/dev/null
if [ -L "$lock" ] || { [ -e "$lock" ] && [ ! -f "$lock" ]; }; then
  echo "$lock is a symbolic link or not a plain file; refused (remove it if nobody put it there on purpose)" >&2; exit 3
fi
[ -e "$lock" ] || (set -C; : > "$lock") 2>/dev/null
held() {
  flock -x "$@" -E 75 -F -- "$lock" sh -c 'echo "locked $3"
tmp=$(mktemp "$1.XXXXXX") && chmod 644 "$tmp" && printf "%s\\n%s\\n" "$$" "$2" > "$tmp" && mv -f -- "$tmp" "$1"
cat >/dev/null
{ read -r pid < "$1" && [ "$pid" = "$$" ] && rm -f -- "$1"; } 2>/dev/null' hutctl-lock "$owner" "$record" "$me"
}
held -n; st=$?
[ "$st" = 75 ] || exit $st
# A holder that has just taken the lock may not have written its record yet: look twice.
rec=
for try in 1 2; do
  rec=$({ read -r pid && [ -d "/proc/$pid" ] && cat; } < "$owner" 2>/dev/null) && [ -n "$rec" ] && break
  sleep 0.05
done
printf 'busy %s\\n' "$rec"
[ "$4" = nowait ] && exit 75
held; exit $?`;

export function ownerPathOf(lockPath: string): string {
  return `${lockPath}.owner`;
}

/** Takes the lock at `path` on the transport's host. */
export function acquireLock(
  transport: Transport,
  path: string,
  options: AcquireOptions,
): Promise<HeldLock> {
  if (transport.target.transport === 'local') {
    return acquireLocalLock(path, ownerPathOf(path), options, describeHolder);
  }
  const argv = [
    'sh',
    '-c',
    LOCK_SCRIPT,
    'hutctl-lock',
    path,
    ownerPathOf(path),
    JSON.stringify(options.owner),
    options.noWait ? 'nowait' : 'wait',
  ];
  const child = transport.spawn(argv, {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: '/',
    ownGroup: true,
  });
  return new Promise<HeldLock>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let holder: LockOwner | null = null;
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      // The whole group: a flock(1) still waiting must not take the lock later. Closing stdin
      // makes one that got it in the meantime let go at once.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdin?.destroy();
      finish(() => reject(options.signal?.reason ?? new Error('aborted')));
    };
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.stdout!.on('data', (chunk: string) => {
      stdout += chunk;
      for (let nl = stdout.indexOf('\n'); nl >= 0 && !settled; nl = stdout.indexOf('\n')) {
        const line = stdout.slice(0, nl);
        stdout = stdout.slice(nl + 1);
        if (line.startsWith('busy ')) {
          holder = parseOwner(line.slice(5));
          if (!options.noWait) options.onWait?.(holder);
        } else {
          const match = /^locked (\S+) (\S+)$/.exec(line);
          if (match)
            finish(() => resolve(heldLock(path, match[1]!, match[2]!, releaseByStdin(child))));
        }
      }
    });
    child.on('error', (error) => finish(() => reject(error)));
    child.on('exit', (code) => {
      if (code === 75) {
        finish(() =>
          reject(
            new HutError('LOCK_HELD', `lock ${path} is held ${describeHolder(holder)}`, {
              hint: 'wait for it to finish (run without --no-wait), or cancel that job',
              details: holder,
            }),
          ),
        );
        return;
      }
      finish(() =>
        reject(
          new HutError(
            code === 255 && transport.target.transport === 'ssh' ? 'CONNECT' : 'IO',
            `cannot take lock ${path} on ${transport.describe()}: ${stderr.trim() || `exit ${code}`}`,
            {
              hint: 'check that the lock directory exists and is writable, and that util-linux flock is installed',
            },
          ),
        ),
      );
    });
  });
}

export function describeHolder(holder: LockOwner | null): string {
  if (!holder) return 'by a process that left no hutctl record (a flock(1) script?)';
  const job = holder.job_id ? `job ${holder.job_id}` : 'hutctl';
  // The agent's name is what its client said it is: shown without control characters.
  const by = holder.by
    ? ` for ${String(holder.by)
        .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
        .slice(0, 120)}`
    : '';
  return `by ${job}${by} (pid ${holder.pid} on ${holder.host}, since ${holder.since})`;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const value = JSON.parse(text.trim()) as LockOwner;
    return typeof value.pid === 'number' ? value : null;
  } catch {
    return null;
  }
}
