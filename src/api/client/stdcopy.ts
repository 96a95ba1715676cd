// Docker's multiplexed stream (non-TTY attach/logs/exec): frames of an 8-byte header
// [stream, 0, 0, 0, size uint32 BE] then `size` bytes. Stream 1 = stdout, 2 = stderr,
// 0 = stdin (written to stdout, as docker does), 3 = an error from the daemon.
import type { Readable, Writable } from 'node:stream';

export type StdStream = 0 | 1 | 2 | 3;

/**
 * Incremental demultiplexer: push chunks in any split, get each stream's bytes out in order.
 * Consecutive frames of one stream within a push come out as one piece: daemons send a frame
 * per line, and a callback (and a write) per 2-byte line of `yes` would cost more than all else.
 */
export class StdcopyDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private stream: StdStream = 1;
  /** Payload ranges [start, end, ...] of the run being gathered (reused across pushes). */
  private readonly ranges: number[] = [];
  constructor(private readonly onData: (stream: StdStream, data: Buffer) => void) {}

  push(chunk: Buffer): void {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    const ranges = this.ranges;
    let runStream = this.stream;
    let total = 0;
    let off = 0;
    while (off < buf.length) {
      if (this.remaining === 0) {
        if (buf.length - off < 8) {
          this.pending = Buffer.from(buf.subarray(off));
          break;
        }
        const type = buf[off]!;
        if (type > 3) {
          this.emit(buf, runStream, total);
          throw new Error(`Unrecognized input header: ${type}`);
        }
        this.stream = type as StdStream;
        this.remaining = ((buf[off + 4]! << 24) | (buf[off + 5]! << 16) | (buf[off + 6]! << 8) | buf[off + 7]!) >>> 0;
        off += 8;
        continue;
      }
      const n = this.remaining < buf.length - off ? this.remaining : buf.length - off;
      if (this.stream !== runStream) {
        this.emit(buf, runStream, total);
        runStream = this.stream;
        total = 0;
      }
      ranges.push(off, off + n);
      total += n;
      this.remaining -= n;
      off += n;
    }
    this.emit(buf, runStream, total);
  }

  private emit(buf: Buffer, stream: StdStream, total: number): void {
    const ranges = this.ranges;
    if (ranges.length === 0) return;
    const data = ranges.length === 2 ? buf.subarray(ranges[0], ranges[1]) : gather(buf, ranges, total);
    ranges.length = 0;
    this.onData(stream, data);
  }
}

/** Copies the ranges of `buf` into one buffer; short ranges byte by byte (cheaper than a copy call). */
function gather(buf: Buffer, ranges: number[], total: number): Buffer {
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    const s = ranges[i]!;
    const e = ranges[i + 1]!;
    if (e - s <= 32) for (let j = s; j < e; j++) out[o++] = buf[j]!;
    else {
      buf.copy(out, o, s, e);
      o += e - s;
    }
  }
  return out;
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

/**
 * A demultiplexer that writes each stream's bytes as they are pushed (synchronous writers, no
 * stream objects); `end()` throws the text of any stream-3 (system error) frames, as demuxStream.
 */
export function demuxWriter(out: (b: Buffer) => void, err: (b: Buffer) => void): { push(chunk: Buffer): void; end(): void } {
  let sysErr = '';
  const d = new StdcopyDemuxer((s, data) => {
    if (s === 3) sysErr += data.toString('utf8');
    else if (s === 2) err(data);
    else out(data);
  });
  return {
    push: (c) => d.push(c),
    end: () => {
      if (sysErr) throw new Error(sysErr);
    },
  };
}

/** Encode one frame (used by tests and fake servers). */
export function stdcopyFrame(stream: StdStream, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(body.length, 4);
  return Buffer.concat([h, body]);
}
