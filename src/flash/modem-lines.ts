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
  my ($set, $clear) = split ' ', $line;
  my $ok;
  if ($set eq 'G') { my $bits = pack('i', 0); $ok = ioctl($tty, 0x5415, $bits) }
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
    const answer = await this.ask('G 0');
    return answer === 'OK';
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
      child.stdin!.write(`${request}\n`);
    });
  }

  private start(): Promise<ChildProcess | null> {
    const child = spawn('perl', ['-e', SCRIPT], { stdio: ['pipe', 'pipe', 'ignore', this.fd] });
    child.stdin!.on('error', () => {});
    // Never what keeps hutctl running: the helper ends when our end of its stdin closes.
    child.unref();
    (child.stdin as unknown as { unref(): void }).unref();
    (child.stdout as unknown as { unref(): void }).unref();
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
            this.child = child;
            resolve(child);
          } else this.answers.shift()?.(line);
        }
      });
    });
  }
}
