// Writing a stream of small chunks to a file in ~1 MiB writev calls: every write through a
// FileHandle is a thread-pool round trip, and network and decompressor chunks are 16-64 KiB,
// so a 100 MiB blob written chunk by chunk costs thousands of round trips.
import type { FileHandle } from 'node:fs/promises';

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

export class BatchedWriter {
  private batch: Buffer[] = [];
  private batched = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly limit = WRITE_BATCH,
  ) {}

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
    this.batch = [];
    this.batched = 0;
    await writeAll(this.fh, bufs);
  }
}
