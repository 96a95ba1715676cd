// Reads the incremental context's upload (docs/build-context.md): a tar of regular files only,
// `manifest.json` then `blobs/<sha256>`, as the berth CLI's TarWriter writes it (ustar headers; a
// PAX header before a body over 8 GiB). Thousands of small blobs arrive in one upload, and
// tar-stream's per-entry stream machinery cost more CPU than writing them, so this reads the
// headers straight from the request's chunks and hands each body on as slices of them (no copy).
// Anything else a tar may hold (links, directories, GNU long names, PAX records other than path
// and size) is given back as an entry of type `other`, which the caller refuses (400).
import { invalidArgument } from '../../lib/errors.js';

export interface UploadEntry {
  name: string;
  type: 'file' | 'other';
  size: number;
  /** The body, which must be read to its end (or not at all) before the next entry is asked for. */
  body: AsyncIterable<Buffer>;
}

const BLOCK = 512;
const ZERO_BLOCK = Buffer.alloc(BLOCK);
const bad = (why: string) => invalidArgument(`invalid build context upload: ${why}`);

/** Pulls exact byte counts out of a chunked stream. */
class ChunkReader {
  private buf: Buffer = Buffer.alloc(0);
  private ended = false;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  /** The next chunk into `buf`, which must be empty; false at the end of the stream. */
  private async fill(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done) {
      this.ended = true;
      return false;
    }
    this.buf = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    return true;
  }

  /**
   * Exactly `n` bytes, or fewer only at the end of the stream. Bytes split across chunks (a
   * header at a chunk's end) are copied out, never the chunk they continue in.
   */
  async read(n: number): Promise<Buffer> {
    if (this.buf.length >= n) {
      const out = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let have = this.buf.copy(out, 0);
    this.buf = Buffer.alloc(0);
    while (have < n && (await this.fill())) {
      const k = Math.min(n - have, this.buf.length);
      this.buf.copy(out, have, 0, k);
      this.buf = this.buf.subarray(k);
      have += k;
    }
    return out.subarray(0, have);
  }

  /** `n` bytes as they come, as slices of the chunks read; throws when the stream ends first. */
  async *take(n: number): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (!this.buf.length && !(await this.fill())) throw bad('unexpected end of data');
      const out = this.buf.subarray(0, Math.min(n, this.buf.length));
      this.buf = this.buf.subarray(out.length);
      n -= out.length;
      yield out;
    }
  }

  /** The next `n` bytes when they are already read: a body that fits is handed on as one slice. */
  peekWhole(n: number): Buffer | undefined {
    if (this.buf.length < n) return undefined;
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Reads the stream to its end (what follows the end-of-archive blocks), so the request is read whole. */
  async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (await this.fill()) this.buf = Buffer.alloc(0);
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n));
  }
}

function octal(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    // base-256 (GNU): only positive sizes below 2^53 make sense here
    if (f[0] !== 0x80) throw bad('negative size');
    let v = 0;
    for (let i = 1; i < f.length; i++) v = v * 256 + f[i]!;
    if (!Number.isSafeInteger(v)) throw bad('size too large');
    return v;
  }
  const s = f.toString('latin1').replace(/\0.*$/s, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw bad('malformed header number');
  return Number.parseInt(s, 8);
}

function cstring(b: Buffer, off: number, len: number): string {
  const f = b.subarray(off, off + len);
  const z = f.indexOf(0);
  return f.subarray(0, z < 0 ? f.length : z).toString('utf8');
}

function checksumOk(h: Buffer): boolean {
  const stored = octal(h, 148, 8);
  let unsigned = 8 * 32;
  let signed = 8 * 32;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    unsigned += h[i]!;
    signed += (h[i]! << 24) >> 24;
  }
  return stored === unsigned || stored === signed;
}

/** PAX records (`<len> key=value\n`): only path and size are taken, any other key makes the entry `other`. */
function paxRecords(data: Buffer): { path?: string; size?: number; other: boolean } {
  const out: { path?: string; size?: number; other: boolean } = { other: false };
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) throw bad('malformed PAX header');
    const len = Number.parseInt(data.subarray(off, sp).toString('latin1'), 10);
    if (!Number.isSafeInteger(len) || len <= sp - off || off + len > data.length) throw bad('malformed PAX header');
    const rec = data.subarray(sp + 1, off + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    if (eq < 0) throw bad('malformed PAX header');
    const key = rec.slice(0, eq);
    const value = rec.slice(eq + 1);
    if (key === 'path') out.path = value;
    else if (key === 'size') {
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw bad('malformed PAX size');
      out.size = Number(value);
    } else out.other = true;
    off += len;
  }
  return out;
}

/** The upload's entries in order; the reader stops at the end-of-archive block or the end of the stream. */
export async function* uploadEntries(body: AsyncIterable<Buffer>, maxPaxBytes = 1 << 20): AsyncGenerator<UploadEntry> {
  const it = body[Symbol.asyncIterator]();
  try {
    yield* entriesOf(new ChunkReader(it), maxPaxBytes);
  } finally {
    // Ended early (the caller refused an entry): the source is let go, so an HTTP request body
    // given as `req.iterator({ destroyOnReturn: false })` stays whole for the error answer to drain.
    await it.return?.();
  }
}

async function* entriesOf(r: ChunkReader, maxPaxBytes: number): AsyncGenerator<UploadEntry> {
  let pax: ReturnType<typeof paxRecords> | undefined;
  for (;;) {
    const h = await r.read(BLOCK);
    if (h.length === 0) return; // the stream ended between entries
    if (h.length < BLOCK) throw bad('unexpected end of data');
    if (h[0] === 0 && h.equals(ZERO_BLOCK)) {
      await r.drain(); // end of archive
      return;
    }
    if (!checksumOk(h)) throw bad('invalid tar header checksum');
    const flag = h[156]!;
    let size = octal(h, 124, 12);
    const prefix = h.subarray(257, 263).toString('latin1') === 'ustar\0' ? cstring(h, 345, 155) : ''; // POSIX ustar, not GNU's
    let name = cstring(h, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    const padded = size + ((BLOCK - (size % BLOCK)) % BLOCK);
    if (flag === 0x78 /* x */) {
      if (pax || size > maxPaxBytes) throw bad('PAX header too large or repeated');
      pax = paxRecords(await r.read(padded).then((b) => (b.length < padded ? Promise.reject(bad('unexpected end of data')) : b.subarray(0, size))));
      continue;
    }
    const regular = flag === 0x30 /* 0 */ || flag === 0;
    if (pax) {
      if (pax.path !== undefined) name = pax.path;
      if (pax.size !== undefined) size = pax.size;
    }
    const other = !regular || !!pax?.other;
    pax = undefined;
    const bodySize = regular ? size : 0;
    const pad = (BLOCK - (bodySize % BLOCK)) % BLOCK;
    let consumed = false;
    const whole = r.peekWhole(bodySize);
    const bodyIt: AsyncIterable<Buffer> = whole
      ? (async function* () {
          consumed = true;
          if (whole.length) yield whole;
        })()
      : (async function* () {
          consumed = true;
          yield* r.take(bodySize);
        })();
    yield { name, type: other ? 'other' : 'file', size: bodySize, body: bodyIt };
    // A body not read (or only partly: the caller then stops) is skipped.
    if (!consumed && !whole) await r.skip(bodySize);
    await r.skip(pad);
  }
}
