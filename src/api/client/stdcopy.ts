// Docker's multiplexed stream (non-TTY attach/logs/exec): frames of an 8-byte header
// [stream, 0, 0, 0, size uint32 BE] then `size` bytes. Stream 1 = stdout, 2 = stderr,
// 0 = stdin (written to stdout, as docker does), 3 = an error from the daemon.
import type { Readable, Writable } from 'node:stream';

export type StdStream = 0 | 1 | 2 | 3;

/** Incremental demultiplexer: push chunks in any split, get whole or partial frames out. */
export class StdcopyDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private stream: StdStream = 1;
  constructor(private readonly onData: (stream: StdStream, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (buf.length) {
      if (this.remaining === 0) {
        if (buf.length < 8) {
          this.pending = Buffer.from(buf);
          return;
        }
        const type = buf[0]!;
        if (type > 3) throw new Error(`Unrecognized input header: ${type}`);
        this.stream = type as StdStream;
        this.remaining = buf.readUInt32BE(4);
        buf = buf.subarray(8);
        continue;
      }
      const n = Math.min(this.remaining, buf.length);
      this.onData(this.stream, buf.subarray(0, n));
      this.remaining -= n;
      buf = buf.subarray(n);
    }
  }
}

/** Demultiplex `src` into stdout/stderr until it ends; a stream-3 frame rejects with its text. */
export function demuxStream(src: Readable | Iterable<Buffer> | AsyncIterable<Buffer>, stdout: Writable, stderr: Writable, head?: Buffer): Promise<void> {
  return (async () => {
    let sysErr = '';
    const d = new StdcopyDemuxer((s, data) => {
      if (s === 3) sysErr += data.toString('utf8');
      else if (s === 2) stderr.write(data);
      else stdout.write(data);
    });
    if (head?.length) d.push(head);
    for await (const chunk of src) d.push(chunk as Buffer);
    if (sysErr) throw new Error(sysErr);
  })();
}

/** Encode one frame (used by tests and fake servers). */
export function stdcopyFrame(stream: StdStream, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}
