/**
 * DTR and RTS of a serial port, which Node cannot set: a few lines of the system's perl (as the
 * keeper uses, src/keeper) doing ioctl(TIOCMGET/TIOCMSET/TIOCMBIS/TIOCMBIC) on the port's open
 * file, one request per line. A pseudo-terminal has no modem lines: the ioctl fails with
 * ENOTTY, which `set` reports as `false`, as esptool does before it carries on without a reset.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';

// Linux's asm-generic values (x86, ARM, RISC-V): TIOCMGET/BIS/BIC/SET, TIOCM_DTR, TIOCM_RTS.
const SCRIPT = `
$| = 1;
open(my $tty, '+<&=', 3) or do { print "E ", $! + 0, "\\n"; exit 1 };
print "R\\n";
while (my $line = <STDIN>) {
  # Numbers, not strings: Perl's ~ on a string negates its characters.
  my ($set, $clear) = map { 0 + $_ } split ' ', $line;
  my $ok;
  if ($line =~ /^G/) {
    my $bits = pack('i', 0);
    if (ioctl($tty, 0x5415, $bits)) { print "OK ", unpack('i', $bits), "\\n"; next }
  }
  elsif ($set && $clear) {
    my $bits = pack('i', 0);
    $ok = ioctl($tty, 0x5415, $bits) && ioctl($tty, 0x5418, pack('i', (unpack('i', $bits) | $set) & ~$clear));
  } elsif ($set) { $ok = ioctl($tty, 0x5416, pack('i', $set)) }
  elsif ($clear) { $ok = ioctl($tty, 0x5417, pack('i', $clear)) }
  else { $ok = 1 }
  print $ok ? "OK\\n" : "E " . ($! + 0) . "\\n";
}
`;
export const TIOCM_DTR = 0x002;
export const TIOCM_RTS = 0x004;

export class ModemLines {
  private child: ChildProcess | null = null;
  private answers: ((line: string) => void)[] = [];
  private buffered = '';
  private chain: Promise<unknown> = Promise.resolve();

  private readonly fd: number;

  /** `fd` is the port's open file; the helper gets its own copy of it. */
  constructor(fd: number) {
    this.fd = fd;
  }

  /**
   * Sets the bits in `set` and clears those in `clear` (both at once when both are given).
   * Resolves true when done, false when the port has no modem lines (ENOTTY, EINVAL).
   */
  set(set: number, clear: number): Promise<boolean> {
    const next = this.chain.then(() => this.ask(`${set} ${clear}`));
    this.chain = next.catch(() => {});
    return next.then((answer) => {
      if (answer === 'OK') return true;
      const errno = Number(answer.slice(2));
      if (errno === constants.errno.ENOTTY || errno === constants.errno.EINVAL) return false;
      throw new Error(`setting DTR/RTS failed (errno ${errno})`);
    });
  }

  /** Whether the port has modem lines at all (TIOCMGET works). */
  async present(): Promise<boolean> {
    return (await this.get()) !== null;
  }

  /** The modem bits (TIOCM_*) as the driver reports them; null when the port has none. */
  async get(): Promise<number | null> {
    const answer = await this.ask('G 0');
    return answer.startsWith('OK ') ? Number(answer.slice(3)) : null;
  }

  close(): void {
    this.child?.stdin?.end();
    this.child = null;
  }

  private async ask(request: string): Promise<string> {
    if (process.platform !== 'linux') return `E ${constants.errno.ENOTTY}`;
    const child = this.child ?? (await this.start());
    if (!child) return `E ${constants.errno.ENOTTY}`;
    return new Promise((resolve) => {
      this.answers.push(resolve);
      // Awaited answers keep Node running (an idle helper never does).
      (child.stdout as unknown as { ref(): void }).ref();
      child.stdin!.write(`${request}\n`);
    });
  }

  private start(): Promise<ChildProcess | null> {
    const child = spawn('perl', ['-e', SCRIPT], { stdio: ['pipe', 'pipe', 'ignore', this.fd] });
    child.stdin!.on('error', () => {});
    // Only a pending answer keeps hutctl running (its start counts as one): an idle helper never
    // does, and it ends when our end of its stdin closes.
    child.unref();
    (child.stdin as unknown as { unref(): void }).unref();
    return new Promise((resolve) => {
      const gone = () => {
        for (const answer of this.answers.splice(0)) answer('E 5');
        if (this.child === child) this.child = null;
        resolve(null);
      };
      child.once('error', gone).once('exit', gone);
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        this.buffered += chunk;
        for (let nl = this.buffered.indexOf('\n'); nl >= 0; nl = this.buffered.indexOf('\n')) {
          const line = this.buffered.slice(0, nl);
          this.buffered = this.buffered.slice(nl + 1);
          if (line === 'R') {
            (child.stdout as unknown as { unref(): void }).unref();
            this.child = child;
            resolve(child);
          } else {
            this.answers.shift()?.(line);
            if (this.answers.length === 0) (child.stdout as unknown as { unref(): void }).unref();
          }
        }
      });
    });
  }
}
