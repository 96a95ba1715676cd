// Writing a stream of small chunks to a file in ~1 MiB writev calls: every write through a
// FileHandle is a thread-pool round trip, and network and decompressor chunks are 16-64 KiB,
// so a 100 MiB blob written chunk by chunk costs thousands of round trips.
import type { FileHandle } from 'node:fs/promises';
import { startWriteback } from './libc.js';

export const WRITE_BATCH = 1 << 20;

/** writev until every byte is written (a short write is legal, if rare, on a regular file). */
export async function writeAll(fh: FileHandle, bufs: Buffer[]): Promise<void> {
  let rest = bufs;
  while (rest.length) {
    let { bytesWritten: n } = await fh.writev(rest);
    const left: Buffer[] = [];
    for (const b of rest) {
      if (n >= b.length) n -= b.length;
      else {
        left.push(n ? b.subarray(n) : b);
        n = 0;
      }
    }
    rest = left;
  }
}

/** Written bytes after which writeback of a file is started (see done()). */
export const WRITE_BEHIND = 8 << 20;

export class BatchedWriter {
  private batch: Buffer[] = [];
  private batched = 0;
  private sinceWriteback = 0;
  private writeback: Promise<void> | undefined;

  constructor(
    private readonly fh: FileHandle,
    private readonly limit = WRITE_BATCH,
    /** Start writeback every WRITE_BEHIND bytes; off for a file nobody will fsync (a pulled layer's), where it is only cost. */
    private readonly writeBehind = true,
  ) {}

  /**
   * Writes what is queued and waits for any writeback this writer started (it uses the fd: the
   * caller may close it after this). Large files are sent towards the disk every WRITE_BEHIND
   * bytes while they are written, so the caller's final fsync or syncfs waits for the last few
   * MiB instead of the whole file.
   */
  async done(): Promise<void> {
    await this.flush();
    await this.writeback;
  }

  /** Queues `b` (the caller must not reuse it); writes the batch once it reaches the limit. */
  async write(b: Buffer): Promise<void> {
    this.batch.push(b);
    this.batched += b.length;
    if (this.batched >= this.limit) await this.flush();
  }

  /** Writes whatever is queued. */
  async flush(): Promise<void> {
    if (!this.batch.length) return;
    const bufs = this.batch;
    this.sinceWriteback += this.batched;
    this.batch = [];
    this.batched = 0;
    await writeAll(this.fh, bufs);
    if (this.writeBehind && this.sinceWriteback >= WRITE_BEHIND && !this.writeback) {
      this.sinceWriteback = 0;
      // One at a time, never awaited here: it runs beside the next writes.
      this.writeback = startWriteback(this.fh.fd)
        .catch(() => {}) // only a head start: the caller's fsync reports a real I/O error
        .finally(() => (this.writeback = undefined));
    }
  }
}
