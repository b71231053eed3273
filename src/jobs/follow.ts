/**
 * Shows a step's output live by following the evidence log, as `tail -f` would: the step
 * writes into the log at kernel speed, and one reused buffer copies the new bytes out, so
 * memory stays flat however much the step prints.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

export class LogFollower {
  private readonly buffer = Buffer.allocUnsafe(256 * 1024);
  private readonly fd: number;
  private readonly out: number;
  private position: number;
  private timer: NodeJS.Timeout;

  constructor(logPath: string, from: number, out: number, pollMs = 100) {
    this.fd = openSync(logPath, 'r');
    this.out = out;
    this.position = from;
    this.timer = setInterval(() => this.copy(), pollMs);
    this.timer.unref();
  }

  /** Copies what is left up to `end` (the log's size when the step ended) and stops. */
  stop(end: number): void {
    clearInterval(this.timer);
    this.copy(end);
    closeSync(this.fd);
  }

  private copy(end = Number.POSITIVE_INFINITY): void {
    while (this.position < end) {
      const want = Math.min(this.buffer.length, end - this.position);
      const got = readSync(this.fd, this.buffer, 0, want, this.position);
      if (got === 0) return;
      writeAll(this.out, this.buffer.subarray(0, got));
      this.position += got;
    }
  }
}

function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // a non-blocking terminal or pipe that is full
      if (code === 'EPIPE') return; // the reader went away; the log still has everything
      throw error;
    }
  }
}
