/**
 * The keeper: one small helper process per hutctl process, on this host, that
 *  - takes flock(2) locks for us without a process per lock: a free lock costs one line each
 *    way on a pipe, and a wait is a forked copy of the keeper blocked in flock(2) on the
 *    keeper's own open file, so the hand-off needs no new process either;
 *  - starts steps (its children, each in a session of its own, output appended to the job's
 *    log, and when shown live also copied to hutctl's stdout and stderr, each stream to its
 *    own), so hutctl's own, much larger process is never forked on the hot path, and reports
 *    how each ended;
 *  - never lets either outlive hutctl: when our end of its stdin closes (hutctl exited or was
 *    killed) it kills every step's process group, waits for them to go, and exits, which
 *    releases every lock it holds.
 *
 * It is a few lines of the system's perl (perl-base is part of every Debian and Ubuntu), in a
 * process group of its own so a Ctrl-C meant for hutctl does not reach it. Without perl, or
 * with HUTCTL_KEEPER=off, callers fall back to a flock(1) process per lock and a shell wrapper
 * per step, which behave the same and cost a few milliseconds more each.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants as fsConstants, fstatSync } from 'node:fs';
import { constants } from 'node:os';
import { HutError } from '../errors/index.ts';

/**
 * How a step's shell runs its command: from the environment (HUTCTL_STEP), never from argv, so
 * a secret written in a step is not on display in \`ps\` while it runs.
 */
export const RUN_FROM_ENV = 'c=$HUTCTL_STEP; unset HUTCTL_STEP; eval "$c"';

// Requests, one line each:
//   T <id> <path>   take the lock if it is free now      A <id> <path>   take it, waiting if need be
//   U <id>          let go of it (or stop waiting)
//   S <id> <dir> <log> <login|plain> <live|log> <command>   start a step (strings hex-encoded, "-"
//                   for empty); live: its stdout and stderr are also shown on hutctl's own
//   K <id> <signal> signal the step's process group
//   Z 0 <hex>,<hex>…  the secrets to redact from the output of steps started from now on
// Answers: R 0 ready (once, first) · L <id> locked · B <id> busy (for A: now waiting) · U <id> let go
// · P <id> <pid> the step started · X <id> <wait status> the step ended (its output, redacted or
// not, in its log, and shown if live) · E <id> <why>.
// flock constants are the same everywhere (LOCK_EX 2, LOCK_NB 4, WNOHANG 1); a lock file is
// opened as flock(1) opens it (read-only, created when missing), so one we cannot write works.
// Errno is loaded only when a lock is busy: it costs start-up time that a free lock never needs.
// Children are reaped in the CHLD handler but handled in the main loop (woken through a
// self-pipe), after the request that started them is complete. Steps get the default
// signal dispositions back before they exec, and inherit none of the keeper's lock files (perl
// opens them close-on-exec). At the end, the keeper waits (at most 1 s) until no process of a
// killed group is left that is not a zombie (an init that reaps slowly keeps zombies in the
// group), so the next holder of a lock never overlaps with what the last one started.
const KEEPER_SCRIPT = `
my ($run, $open_existing, $open_new, $nonblock, $ENOENT, $EEXIST) = @ARGV;
my @quiet = qw(HUP INT TERM QUIT PIPE);
$SIG{$_} = 'IGNORE' for @quiet;
# hutctl's stdout and stderr, as fds 3 and 4 when it passed them: opened before anything else,
# so they are those or nothing, and close-on-exec (F_SETFD 2, FD_CLOEXEC 1) so no step has them.
my @shown = (undef, map { my $fh; open($fh, '>&=', $_) ? $fh : undef } 3, 4);
fcntl($_, 2, 1) for grep { defined } @shown;
$| = 1;
print "R 0\\n";
my (%lock, %waiter, %step, %out, @secrets, @reaped);
# The CHLD handler only notes what ended and wakes the main loop (a self-pipe): every step's
# output, and its X answer, is handled there, never inside the handler.
pipe(my $wake_r, my $wake_w) or die "pipe: $!";
my $woken = 0;
$SIG{CHLD} = sub {
  while ((my $pid = waitpid(-1, 1)) > 0) { push @reaped, [$pid, $?] }
  if (!$woken) { $woken = 1; syswrite($wake_w, 'x') }
};
sub ended {
  my ($pid, $status) = @_;
  if (defined(my $id = delete $step{$pid})) {
    kill 'TERM', -$pid;
    # All the step wrote is in its pipes by now; what a process it left in another session
    # writes later is read by the main loop, into the log only.
    for my $key (grep { $out{$_} } map { "$id:$_" } 0 .. 2) {
      drain($key, 64);
      $out{$key}{show} = 0 if $out{$key};
    }
    print "X $id $status\\n";
    return;
  }
  for (keys %waiter) { if ($waiter{$_} == $pid) { delete $waiter{$_}; return } }
}
sub text { $_[0] eq '-' ? '' : pack('H*', $_[0]) }
# put and show write the first $_[2] bytes of $_[1] where they are (step output can be large).
sub put { my ($fh, $len, $at) = ($_[0], $_[2], 0); while ($at < $len) { $at += syswrite($fh, $_[1], $len - $at, $at) // return } }
# Shown output waits while hutctl's stdout or stderr is full (EAGAIN, 11: it may be
# non-blocking); a reader that went away (EPIPE) ends the showing, never the step.
sub show {
  my ($n, $len, $at) = ($_[0], $_[2], 0);
  while ($at < $len) {
    my $fh = $shown[$n] // return;
    my $wrote = syswrite($fh, $_[1], $len - $at, $at);
    if (defined $wrote) { $at += $wrote; next }
    next if $! == 4;
    if ($! == 11) { my $bits = ''; vec($bits, fileno($fh), 1) = 1; select(undef, $bits, undef, undef); next }
    $shown[$n] = undef;
  }
}
# How much of the end of $_[0] could be the start of a secret that the next read completes.
sub held {
  my ($most, $length) = (0, length $_[0]);
  for my $secret (@secrets) {
    my $first = substr($secret, 0, 1);
    my $from = $length - length($secret) + 1;
    for (my $at = index($_[0], $first, $from < 0 ? 0 : $from); $at >= 0; $at = index($_[0], $first, $at + 1)) {
      last if $length - $at <= $most;
      if (substr($secret, 0, $length - $at) eq substr($_[0], $at)) { $most = $length - $at; last }
    }
  }
  $most;
}
# One pipe of a step ("<id>:0" both streams, ":1" its stdout, ":2" its stderr; its read end is
# non-blocking): up to $reads chunks of what is there are read, every secret is replaced, and all
# but what could be the start of a secret split across reads goes to the log, and to hutctl's
# stdout or stderr when shown (so output waits only when it ends like a secret begins). The log
# is closed with its last pipe. EAGAIN (11): nothing more there now; EINTR (4): a signal.
sub drain {
  my ($key, $reads) = @_;
  my $o = $out{$key};
  while ($reads-- > 0) {
    my $n = sysread($o->{r}, $o->{buf}, 262144, length $o->{buf});
    if (!defined $n) { return if $! == 11; redo if $! == 4; $n = 0 }
    $o->{buf} =~ s/\\Q$_\\E/[REDACTED]/g for @secrets;
    my $len = length($o->{buf}) - ($n && @secrets ? held($o->{buf}) : 0);
    put($o->{log}, $o->{buf}, $len);
    show($o->{show}, $o->{buf}, $len) if $o->{show};
    substr($o->{buf}, 0, $len, '');
    if (!$n) { close $o->{r}; delete $out{$key}; return }
  }
}
sub lockfile {
  my ($path) = @_;
  for (1 .. 3) {
    my $fh;
    if (sysopen($fh, $path, $open_existing)) { return $fh if -f $fh || -d $fh; $! = 0; return undef }
    return undef unless $! == $ENOENT;
    return $fh if sysopen($fh, $path, $open_new, 0644);
    return undef unless $! == $EEXIST;
  }
  return undef;
}
sub handle {
  my ($op, $id, $arg) = split / /, $_[0], 3;
  if ($op eq 'T' || $op eq 'A') {
    my $fh = lockfile($arg);
    if (!$fh) { print "E $id open ", $! + 0, "\\n"; return }
    if (flock($fh, 6)) { $lock{$id} = $fh; print "L $id\\n"; return }
    my $errno = $! + 0;
    require Errno;
    if ($errno != Errno::EWOULDBLOCK()) { $! = $errno; print "E $id flock: $!\\n"; return }
    print "B $id\\n";
    return if $op eq 'T';
    $lock{$id} = $fh;
    my $pid = fork;
    if (!defined $pid) { delete $lock{$id}; print "E $id fork: $!\\n"; return }
    if ($pid == 0) {
      close $lock{$_} for grep { $_ ne $id } keys %lock;
      close $_ for grep { defined } @shown;
      close STDIN;
      print flock($fh, 2) ? "L $id\\n" : "E $id flock: $!\\n";
      exit 0;
    }
    $waiter{$id} = $pid;
  } elsif ($op eq 'U') {
    if (my $pid = $waiter{$id}) { kill 'KILL', $pid }
    my $fh = delete $lock{$id};
    close $fh if $fh;
    print "U $id\\n";
  } elsif ($op eq 'S') {
    my ($dir, $log, $login, $live, $command) = split / /, $arg;
    ($dir, $log, $command) = map { text($_) } $dir, $log, $command;
    # Its stdout and stderr go straight into the log, or through one pipe (to be redacted), or
    # when shown live through one pipe each (so that each reaches hutctl's own).
    my @pipes = $live eq 'live' ? (1, 2) : @secrets ? (0) : ();
    my %w;
    if (@pipes) {
      my $logfh;
      if (!open($logfh, '>>', $log)) { print "E $id log: $!\\n"; return }
      for my $n (@pipes) {
        my $r;
        if (!pipe($r, $w{$n})) { delete $out{"$id:$_"} for @pipes; print "E $id pipe: $!\\n"; return }
        fcntl($r, 4, $nonblock); # F_SETFL
        fcntl($r, 1031, 1 << 20); # F_SETPIPE_SZ: larger, fewer reads (as the system allows)
        $out{"$id:$n"} = { r => $r, log => $logfh, buf => '', show => $n };
      }
    }
    my $pid = fork;
    if (!defined $pid) { delete $out{"$id:$_"} for @pipes; print "E $id fork: $!\\n"; return }
    if ($pid == 0) {
      $SIG{$_} = 'DEFAULT' for @quiet, 'CHLD';
      open(STDIN, '<', '/dev/null');
      if (@pipes) { open(STDOUT, '>&', $w{$pipes[0]}) or exit 126 } else { open(STDOUT, '>>', $log) or exit 126 }
      open(STDERR, '>&', @pipes ? $w{$pipes[-1]} : \\*STDOUT) or exit 126;
      chdir($dir eq '' ? '/' : $dir) or exit 97;
      $ENV{HUTCTL_STEP} = $command;
      exec('setsid', $login eq 'login' ? ('bash', '-lc') : ('sh', '-c'), $run);
      print STDERR "hutctl: cannot start the step: $!\\n";
      exit 127;
    }
    close $_ for values %w;
    $step{$pid} = $id;
    print "P $id $pid\\n";
  } elsif ($op eq 'Z') {
    @secrets = sort { length($b) <=> length($a) } map { pack('H*', $_) } grep { /^[0-9a-f]+$/ } split /,/, $arg // '';
  } elsif ($op eq 'K') {
    my %by_id = reverse %step;
    kill($arg, -$by_id{$id}) || kill($arg, $by_id{$id}) if $by_id{$id};
  }
}
# One loop for requests on stdin, the output of steps that come through pipes (a chunk per pipe
# and turn, so a step that never stops writing cannot hold up the requests), and the children
# that ended (EINTR, 4, is a signal arriving).
my $in = '';
while (1) {
  while (my $end = shift @reaped) { ended(@$end) }
  my $bits = '';
  vec($bits, 0, 1) = 1;
  vec($bits, fileno($wake_r), 1) = 1;
  vec($bits, fileno($out{$_}{r}), 1) = 1 for keys %out;
  next if select(my $ready = $bits, undef, undef, undef) < 0;
  if (vec($ready, fileno($wake_r), 1)) { sysread($wake_r, my $junk, 4096); $woken = 0; next }
  # Both of a step's pipes ready at once: their order is lost, stdout goes first.
  for my $key (sort keys %out) { drain($key, 1) if $out{$key} && vec($ready, fileno($out{$key}{r}), 1) }
  next unless vec($ready, 0, 1);
  my $n = sysread(STDIN, $in, 65536, length $in);
  next if !defined $n && $! == 4;
  last unless $n;
  while ((my $nl = index($in, "\\n")) >= 0) { my $line = substr($in, 0, $nl); substr($in, 0, $nl + 1) = ''; handle($line) }
}
kill 'KILL', values %waiter;
delete $step{$_->[0]} for @reaped;
my %groups = map { $_ => 1 } keys %step;
# A step forked a moment ago may not have reached setsid yet: it is then only its pid, in our
# group, and its group does not exist. Killing the pid first ends it before it can start
# anything; a step past setsid has its whole group killed next.
kill 'KILL', keys %groups;
kill 'KILL', -$_ for keys %groups;
sub alive {
  opendir(my $proc, '/proc') or return 0;
  for (readdir $proc) {
    next unless /^\\d+$/ && open(my $stat, '<', "/proc/$_/stat");
    my $line = <$stat> // '';
    return 1 if $line =~ /.*\\) (\\S) \\d+ (\\d+)/ && $1 ne 'Z' && $groups{$2};
  }
  return 0;
}
for (1 .. 200) { last unless alive(); select(undef, undef, undef, 0.005) }
$_->{show} = 0 for values %out;
drain($_, 64) for keys %out;
`;

export interface LockRequest {
  /** Wait while someone else holds it (otherwise answer null at once). */
  wait: boolean;
  /** Called once when the lock is busy and the wait begins. */
  onBusy?: () => void;
  signal?: AbortSignal;
}

export interface StepRequest {
  /** A shell command line, run by `sh -c` (or `bash -lc` with `loginShell`). */
  command: string;
  /** Where it runs; `/` when empty. A missing directory ends the step with exit 97. */
  workdir: string;
  loginShell: boolean;
  /** The file its output is appended to. */
  logPath: string;
  /** Secrets replaced by [REDACTED] on the way to the log (by a filter in the keeper). */
  redact?: readonly string[];
  /**
   * Also show its stdout on hutctl's stdout and its stderr on hutctl's stderr as they come (the
   * log gets both, in the order the keeper reads them).
   */
  live?: boolean;
}

export interface KeptStep {
  /** Signals the step's process group. */
  signal(name: NodeJS.Signals): void;
  /** How it ended; `lost` says why when the keeper could not see it to the end. */
  done: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; lost?: string }>;
}

export interface Keeper {
  readonly pid: number;
  /** Takes the lock at `path`: its release, or null when it is held and `wait` is false. */
  lock(path: string, request: LockRequest): Promise<(() => Promise<void>) | null>;
  /** Starts a step in a session of its own. */
  start(step: StepRequest): KeptStep;
}

let current: Promise<Keeper | null> | null = null;
let running: PerlKeeper | null = null;

/** This process's keeper, started on first use; null when it cannot run here (no perl, or off). */
export function localKeeper(env: NodeJS.ProcessEnv = process.env): Promise<Keeper | null> {
  if (env.HUTCTL_KEEPER === 'off') return Promise.resolve(null);
  current ??= startKeeper();
  return current;
}

function startKeeper(): Promise<Keeper | null> {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_CREAT, O_EXCL } = fsConstants;
  // Lock files sit in shared directories (/tmp, /var/lock): never follow a planted symlink,
  // never block on a planted FIFO, create only what is not there.
  const openExisting = O_RDONLY | O_NOFOLLOW | O_NONBLOCK;
  const openNew = O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK;
  const { ENOENT, EEXIST } = constants.errno;
  const args = [RUN_FROM_ENV, openExisting, openNew, O_NONBLOCK, ENOENT, EEXIST].map(String);
  // Our stdout and stderr go along as its fds 3 and 4, for the steps shown live.
  const shown = [1, 2].map((fd) => (isOpen(fd) ? fd : 'ignore'));
  const child = spawn('perl', ['-e', KEEPER_SCRIPT, '--', ...args], {
    stdio: ['pipe', 'pipe', 'ignore', ...shown],
    detached: true,
  });
  // Ready once it says so: a perl that cannot run the script counts as no keeper.
  return new Promise((resolve) => {
    const out = child.stdout!.setEncoding('utf8');
    let said = '';
    const fail = () => {
      out.off('data', onData);
      resolve(null);
    };
    const onData = (chunk: string) => {
      said += chunk;
      if (!said.includes('\n')) return;
      out.off('data', onData);
      child.off('exit', fail).off('error', fail);
      running = new PerlKeeper(child, said.slice(said.indexOf('\n') + 1));
      resolve(running);
    };
    out.on('data', onData);
    child.once('error', fail).once('exit', fail);
  });
}

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

const hex = (text: string) => (text === '' ? '-' : Buffer.from(text, 'utf8').toString('hex'));
const signalNames = new Map(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

/** A wait status: the exit code in the high byte, else the signal that ended it (as 128 + n). */
function fromWaitStatus(status: number): { exitCode: number; signal: NodeJS.Signals | null } {
  const signal = status & 0x7f;
  return signal === 0
    ? { exitCode: status >> 8, signal: null }
    : { exitCode: 128 + signal, signal: signalNames.get(signal) ?? null };
}

class PerlKeeper implements Keeper {
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, (answer: string) => void>();
  private next = 0;
  private buffer = '';
  private gone: string | null = null;
  /** The secrets last sent to the keeper (hex, comma-separated). */
  private secrets = '';

  constructor(child: ChildProcess, pending: string) {
    this.child = child;
    this.buffer = pending;
    this.pid = child.pid!;
    // The keeper never keeps hutctl alive by itself; only an unanswered request does.
    child.unref();
    (child.stdin as unknown as { unref(): void }).unref();
    const out = child.stdout!;
    (out as unknown as { unref(): void }).unref();
    out.on('data', (chunk: string) => this.read(chunk));
    child.stdin!.on('error', () => {});
    child.once('exit', (code, signal) => {
      this.gone = `the keeper (pid ${this.pid}) exited (${signal ?? `exit ${code}`})`;
      if (running === this) {
        running = null;
        current = null;
      }
      for (const answer of [...this.waiting.values()]) answer(`E ${this.gone}`);
    });
  }

  lock(path: string, request: LockRequest): Promise<(() => Promise<void>) | null> {
    if (path.includes('\n')) throw new HutError('INPUT', `lock path has a line break: ${path}`);
    const { signal } = request;
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    const id = this.newId();
    const release = () => this.ask(id, `U ${id}`, 'U').then(() => {});
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        // Stop waiting; a lock got in the meantime is let go by the same request.
        this.forgetAnswer(id);
        void release();
        reject(signal!.reason ?? new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (fn: () => void) => {
        signal?.removeEventListener('abort', onAbort);
        this.forgetAnswer(id);
        fn();
      };
      this.listen(id, (answer) => {
        if (answer === 'L') settle(() => resolve(release));
        else if (answer === 'B' && !request.wait) settle(() => resolve(null));
        else if (answer === 'B') request.onBusy?.();
        else {
          const errno = /^E open (\d+)$/.exec(answer)?.[1];
          settle(() =>
            reject(
              errno === undefined
                ? new HutError('IO', `cannot take lock ${path}: ${answer.replace(/^E /, '')}`, {
                    hint: 'check that the lock directory is writable',
                  })
                : lockFileError(path, Number(errno)),
            ),
          );
        }
      });
      this.send(`${request.wait ? 'A' : 'T'} ${id} ${path}`);
    });
  }

  start(step: StepRequest): KeptStep {
    const id = this.newId();
    const login = step.loginShell ? 'login' : 'plain';
    const secrets = step.redact ?? [];
    const wanted = secrets.map((s) => Buffer.from(s, 'utf8').toString('hex')).join(',');
    if (wanted !== this.secrets) {
      this.send(`Z 0 ${wanted || '-'}`);
      this.secrets = wanted;
    }
    let pid: number | null = null;
    const done = new Promise<Awaited<KeptStep['done']>>((resolve) => {
      this.listen(id, (answer) => {
        if (answer.startsWith('P ')) {
          pid = Number(answer.slice(2));
          return;
        }
        this.forgetAnswer(id);
        if (answer.startsWith('X ')) return resolve(fromWaitStatus(Number(answer.slice(2))));
        // The keeper is gone: end what it started rather than leave it unsupervised.
        if (pid !== null) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {}
        }
        resolve({
          exitCode: 127,
          signal: null,
          lost: `${answer.slice(2)}; its process group was killed`,
        });
      });
    });
    const shown = step.live ? 'live' : 'log';
    this.send(
      `S ${id} ${hex(step.workdir)} ${hex(step.logPath)} ${login} ${shown} ${hex(step.command)}`,
    );
    return {
      signal: (name) => this.send(`K ${id} ${name.replace(/^SIG/, '')}`),
      done,
    };
  }

  private newId(): string {
    this.next += 1;
    return String(this.next);
  }

  private send(line: string): void {
    if (!this.gone) this.child.stdin!.write(`${line}\n`);
  }

  /** Sends `line`; resolves with the answer of kind `expect` for `id`, or an "E …" answer. */
  private ask(id: string, line: string, expect: string): Promise<string> {
    return new Promise((resolve) => {
      this.listen(id, (answer) => {
        if (answer !== expect && !answer.startsWith('E ')) return;
        this.forgetAnswer(id);
        resolve(answer);
      });
      this.send(line);
    });
  }

  /** Routes answers for `id` to `handler` until forgotten; holds hutctl open meanwhile. */
  private listen(id: string, handler: (answer: string) => void): void {
    if (this.gone) {
      handler(`E ${this.gone}`);
      return;
    }
    if (this.waiting.size === 0) (this.child.stdout as unknown as { ref(): void }).ref();
    this.waiting.set(id, handler);
  }

  private forgetAnswer(id: string): void {
    if (this.waiting.delete(id) && this.waiting.size === 0) {
      (this.child.stdout as unknown as { unref(): void }).unref();
    }
  }

  private read(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      // "<kind> <id> [rest]" is handed on as "<kind>[ rest]".
      const [kind, id] = line.split(' ', 2);
      const rest = line.slice((kind?.length ?? 0) + (id?.length ?? 0) + 2);
      this.waiting.get(id ?? '')?.(rest ? `${kind} ${rest}` : kind!);
    }
  }
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** Why a lock file could not be opened, as the user should read it (errno 0: not a regular file). */
export function lockFileError(path: string, errno: number): HutError {
  const name = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  if (errno === 0 || name === 'ELOOP') {
    return new HutError(
      'IO',
      `lock ${path}: it is ${errno === 0 ? 'not a regular file' : 'a symbolic link'}, so hutctl will not open it (a lock in a shared directory must be a plain file or a directory)`,
      {
        hint: 'remove it if nobody put it there on purpose: it could make hutctl open or create another file',
      },
    );
  }
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'its directory does not exist',
    ENOTDIR: 'a part of its path is not a directory',
    ENOSPC: 'no space (or no free inodes) left on the device',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
  };
  const full = name === 'ENOSPC' || name === 'EDQUOT';
  return new HutError('IO', `cannot open lock ${path}: ${reasons[name] ?? name}`, {
    hint: full
      ? 'free some space (or inodes) on that file system, or set the lock directory elsewhere'
      : 'check that the lock directory exists and this user may create files there',
  });
}
