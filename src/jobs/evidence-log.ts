/**
 * A job's evidence log: opened once (never over an existing file), appended to by hutctl's own
 * lines and by step output — either written straight into the file by the step's process, or
 * copied through a stream when it must also reach the terminal or be redacted.
 */
import {
  closeSync,
  constants,
  createWriteStream,
  fstatSync,
  openSync,
  readSync,
  statSync,
  type WriteStream,
  writeSync,
} from 'node:fs';

export class EvidenceLog {
  readonly path: string;
  readonly fd: number;
  /** The first write error, if any; the report says the log is incomplete. */
  error: Error | null = null;
  private stream: WriteStream | null = null;
  private queue: Promise<void> = Promise.resolve();
  /**
   * Once closed, its descriptor's number may already be another file's (the run's result, opened
   * next): a line that comes late (a flasher stopped by Ctrl-C still logging) is dropped, never
   * written there.
   */
  private closed = false;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /** Creates the log; throws EEXIST when a file of that name is already there. */
  static create(path: string): EvidenceLog {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_APPEND;
    return new EvidenceLog(path, openSync(path, flags, 0o644));
  }

  /** A stream into the log for copied step output (shares the file's append position). */
  sink(): WriteStream {
    if (!this.stream) {
      this.stream = createWriteStream('', { fd: this.fd, autoClose: false });
      this.stream.on('error', (error) => {
        this.error ??= error;
      });
    }
    return this.stream;
  }

  /** Appends one line after everything already queued or streamed. */
  line(text: string): Promise<void> {
    this.queue = this.queue.then(async () => {
      await this.drained();
      if (this.closed) return;
      try {
        writeSync(this.fd, `${text}\n`);
      } catch (error) {
        this.error ??= error as Error;
      }
    });
    return this.queue;
  }

  /** The log's size once everything queued so far is written. */
  async size(): Promise<number> {
    await this.queue;
    await this.drained();
    return this.closed ? statSync(this.path).size : fstatSync(this.fd).size;
  }

  /** Bytes [from, to) of the log as text. */
  async read(from: number, to: number): Promise<string> {
    const buffer = Buffer.alloc(Math.max(0, to - from));
    const fd = openSync(this.path, 'r');
    try {
      const got = readSync(fd, buffer, 0, buffer.length, from);
      return buffer.subarray(0, got).toString('utf8');
    } finally {
      closeSync(fd);
    }
  }

  async close(): Promise<void> {
    await this.queue;
    await this.drained();
    if (this.closed) return;
    this.closed = true;
    // Its stream shares the descriptor: ended, so a late write is an error, never a write to the
    // number (destroying it would close the descriptor a second time, whoever has it by then).
    this.stream?.end();
    closeSync(this.fd);
  }

  /** Resolves once every chunk written to the stream so far is in the file (writes are in order). */
  private async drained(): Promise<void> {
    const stream = this.stream;
    if (!stream || stream.writableLength === 0) return;
    await new Promise<void>((resolve) => stream.write(Buffer.alloc(0), () => resolve()));
  }
}
