/**
 * A step's output shown live on hutctl's own stdout or stderr, when hutctl copies it (the keeper
 * shows what it starts itself). Written synchronously, like everything hutctl prints, so it
 * keeps its place among hutctl's own lines; a reader that went away ends the showing, never the
 * job: the log has everything.
 */
import { writeSync } from 'node:fs';
import { Writable } from 'node:stream';

const pause = new Int32Array(new SharedArrayBuffer(4));

export class ShownOutput extends Writable {
  private fd: number | null;

  constructor(fd: 1 | 2) {
    super();
    this.fd = fd;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.show(chunk);
    callback();
  }

  private show(data: Buffer): void {
    let offset = 0;
    while (offset < data.length && this.fd !== null) {
      try {
        offset += writeSync(this.fd, data, offset);
      } catch (error) {
        // A full non-blocking pipe or terminal: wait a moment for its reader.
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
        else this.fd = null; // EPIPE (the reader went away), EBADF (closed): stop showing
      }
    }
  }
}
