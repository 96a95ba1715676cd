// gzip for layer pushes, fast where it can be: the input is cut into fixed chunks, each chunk
// becomes its own gzip member (concatenated members are one valid gzip stream: RFC 1952, and
// Go's gzip.Reader, Node's gunzip, pigz and containerd all read them), and the members are
// compressed on libuv's thread pool a few at a time, so compression runs beside hashing and
// uploading. A chunk whose leading sample does not shrink at level 1 (random or already
// compressed data) is stored: written here as deflate "stored" blocks with zlib's crc32,
// because deflating it costs seconds per 100 MiB for nothing and even zlib's level 0 costs
// several times more than this.
// The output depends only on the input bytes (fixed chunk size, fixed rule, gzip header with
// mtime 0), so compressing the same layer again gives the same digest.
import { Transform, type TransformCallback } from 'node:stream';
import { availableParallelism } from 'node:os';
import { crc32, deflateRaw, gzip, type ZlibOptions } from 'node:zlib';

export const GZIP_CHUNK = 1 << 20;
const SAMPLE = 16 << 10;
const STORED_BLOCK = 65535;
// ID1 ID2, CM=deflate, no flags, MTIME 0, XFL 0, OS unix.
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
/** A sample that keeps more than this fraction of its size at level 1 is called incompressible. */
const STORE_ABOVE = 0.97;

const run = (fn: typeof gzip | typeof deflateRaw, b: Buffer, o: ZlibOptions) =>
  new Promise<Buffer>((resolve, reject) => fn(b, o, (e, out) => (e ? reject(e) : resolve(out))));

/** A gzip member of deflate stored blocks. */
export function storedMember(chunk: Buffer): Buffer {
  const parts: Buffer[] = [GZIP_HEADER];
  let off = 0;
  do {
    const len = Math.min(STORED_BLOCK, chunk.length - off);
    const final = off + len === chunk.length ? 1 : 0;
    parts.push(Buffer.from([final, len & 0xff, len >> 8, ~len & 0xff, (~len >> 8) & 0xff]), chunk.subarray(off, off + len));
    off += len;
  } while (off < chunk.length);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(chunk) >>> 0, 0);
  trailer.writeUInt32LE(chunk.length >>> 0, 4);
  parts.push(trailer);
  // One buffer per member (one copy): thousands of 64 KiB pieces would each cost a write downstream.
  return Buffer.concat(parts);
}

/** One chunk as a gzip member: stored when a level-1 sample says compression would not pay. */
export async function gzipMember(chunk: Buffer, level = 6): Promise<Buffer> {
  const sample = chunk.subarray(0, SAMPLE);
  const incompressible = sample.length >= 4096 && (await run(deflateRaw, sample, { level: 1 })).length > sample.length * STORE_ABOVE;
  return incompressible ? storedMember(chunk) : run(gzip, chunk, { level });
}

export interface ParallelGzipOptions {
  level?: number;
  /** Chunks compressed at once (default: the number of CPUs, at most 4: the thread pool's size). */
  concurrency?: number;
}

export class ParallelGzip extends Transform {
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private readonly jobs: Promise<Buffer>[] = [];
  private readonly level: number;
  private readonly concurrency: number;
  private sawInput = false;

  constructor(o: ParallelGzipOptions = {}) {
    super();
    this.level = o.level ?? 6;
    this.concurrency = Math.max(1, o.concurrency ?? Math.min(4, availableParallelism()));
  }

  private enqueue(chunk: Buffer): void {
    const job = gzipMember(chunk, this.level);
    job.catch(() => {}); // awaited in order below; this only keeps an early failure from being "unhandled"
    this.jobs.push(job);
  }

  /** Pushes finished members in order until at most `keep` jobs remain in flight. */
  private async drainTo(keep: number): Promise<void> {
    while (this.jobs.length > keep) this.push(await this.jobs.shift()!);
  }

  override _transform(data: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.sawInput = true;
    let b = data;
    while (b.length) {
      const take = Math.min(b.length, GZIP_CHUNK - this.pendingSize);
      this.pending.push(b.subarray(0, take));
      this.pendingSize += take;
      b = b.subarray(take);
      if (this.pendingSize === GZIP_CHUNK) {
        this.enqueue(this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending));
        this.pending = [];
        this.pendingSize = 0;
      }
    }
    this.drainTo(this.concurrency - 1).then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    // An empty input still makes one (empty) member: a valid gzip file.
    if (this.pendingSize || !this.sawInput) this.enqueue(Buffer.concat(this.pending));
    this.pending = [];
    this.drainTo(0).then(() => cb(), cb);
  }
}
