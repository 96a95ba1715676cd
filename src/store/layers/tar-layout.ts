// A layer tar's layout, so a pulled layer can give back its exact tar without keeping the
// compressed blob (Docker's tar-split idea; this code is our own). While a layer unpacks, the
// recorder sees the tar's bytes and keeps everything that is not a regular file's body: header
// blocks (PAX and GNU long-name records included), padding, the end-of-archive blocks and
// anything after them. A body is kept as "the next N bytes come from file X of the layer". The
// unpacker names the files (the k-th body is the k-th regular file it wrote). Replaying the
// record over the committed layer directory yields the same bytes, so the diffID still names
// them; exportLayer's readers check that (image/layer-blob.ts), so a layout that cannot
// reproduce the tar is an error, never a wrong blob.
//
// File: gzip(4-byte LE index length, JSON index, raw bytes). The index is a list of segments:
// a number n (the next n raw bytes) or [path, size] (a file body from `diff/<path>`).
import { constants } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { invalidArgument } from '../../lib/errors.js';
import { escapesRoot } from '../../lib/safe-path.js';

export const LAYOUT_FILE = 'tar-layout.gz';

type Segment = number | [string, number];

const BLOCK = 512;
/** Bytes of headers, padding and trailer a layout may keep in memory (a 100k-file layer's headers are ~50-100 MiB). */
const MAX_KEPT = 128 << 20;

/** A tar number field: octal text, or GNU base-256 when the high bit of its first byte is set. */
function tarNumber(b: Buffer): number {
  if (b[0]! & 0x80) {
    let n = b[0]! & 0x7f;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i]!;
    return n;
  }
  const s = b
    .toString('latin1')
    .replace(/[\0 ].*$/s, '')
    .trim();
  return s ? parseInt(s, 8) : 0;
}

/** The `size` record of a PAX extended header's body, if it has one (it overrides the header's size field). */
function paxSize(body: Buffer): number | undefined {
  let at = 0;
  let size: number | undefined;
  while (at < body.length) {
    const sp = body.indexOf(0x20, at);
    if (sp < 0) break;
    const len = parseInt(body.toString('latin1', at, sp), 10);
    if (!(len > 0)) break;
    const rec = body.toString('utf8', sp + 1, at + len - 1);
    const eq = rec.indexOf('=');
    if (rec.slice(0, eq) === 'size') size = Number(rec.slice(eq + 1));
    at += len;
  }
  return size;
}

/**
 * Records a tar's layout from its bytes, fed in order. Bodies of regular files are counted, not
 * kept; every other byte is kept. `bodies()` lists the body sizes in order for the pairing check.
 */
export class TarLayoutRecorder {
  private readonly segments: Segment[] = [];
  private readonly raw: Buffer[] = [];
  private rawLen = 0;
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Bytes still to come of the current entry's body, and whether they are kept (metadata) or a file body. */
  private left = 0;
  private keepBody = false;
  private padding = 0;
  /** The current body is a PAX extended header's: parsed for a size record. */
  private paxBody = false;
  private meta: Buffer[] = [];
  private paxSizeNext: number | undefined;
  private trailer = false;
  private readonly sizes: number[] = [];
  private tooBig = false;

  private keep(b: Buffer): void {
    if (!b.length || this.tooBig) return;
    if (this.rawLen + b.length > MAX_KEPT) {
      // Junk after the archive, or headers beyond any real layer's: no layout (the caller keeps the blob instead).
      this.tooBig = true;
      this.raw.length = 0;
      return;
    }
    this.raw.push(Buffer.from(b)); // a copy: the caller's chunk may be reused
    this.rawLen += b.length;
    const last = this.segments.length - 1;
    if (last >= 0 && typeof this.segments[last] === 'number') (this.segments[last] as number) += b.length;
    else this.segments.push(b.length);
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.trailer) {
        this.keep(chunk.subarray(at));
        return;
      }
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - at);
        const part = chunk.subarray(at, at + n);
        if (this.keepBody) this.keep(part);
        if (this.paxBody) this.meta.push(Buffer.from(part));
        this.left -= n;
        at += n;
        if (this.left === 0 && this.paxBody) {
          const s = paxSize(Buffer.concat(this.meta));
          if (s !== undefined) this.paxSizeNext = s;
          this.meta = [];
        }
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, chunk.length - at);
        this.keep(chunk.subarray(at, at + n));
        this.padding -= n;
        at += n;
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - at);
      chunk.copy(this.header, this.headerFill, at, at + n);
      this.headerFill += n;
      at += n;
      if (this.headerFill < BLOCK) continue;
      this.headerFill = 0;
      this.startEntry();
    }
  }

  private startEntry(): void {
    const h = this.header;
    this.keep(h);
    if (h.every((x) => x === 0)) {
      this.trailer = true; // the end-of-archive blocks and whatever follows: kept as they are
      return;
    }
    const type = String.fromCharCode(h[156]!);
    let size = tarNumber(h.subarray(124, 136));
    const regular = type === '0' || type === '\0' || type === '7';
    const metaEntry = type === 'x' || type === 'g' || type === 'L' || type === 'K';
    if (!metaEntry) {
      if (this.paxSizeNext !== undefined) size = this.paxSizeNext;
      this.paxSizeNext = undefined;
    }
    this.left = size;
    this.keepBody = !regular || size === 0;
    if (regular && size > 0) {
      this.sizes.push(size);
      this.segments.push(['', size]); // named by finish()
    }
    this.paxBody = type === 'x' && size > 0;
    this.meta = [];
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.header = Buffer.alloc(BLOCK);
  }

  /** Body sizes of the regular files, in tar order. */
  bodies(): readonly number[] {
    return this.sizes;
  }

  /**
   * The record, the k-th body named by `files[k]` (the unpacker's relative path, or null when it
   * wrote no such file). Undefined when the pairing does not hold: the tar cannot be replayed.
   */
  finish(files: readonly { path: string | null; size: number }[]): Buffer | undefined {
    if (this.tooBig) return undefined;
    if (!this.trailer && (this.left > 0 || this.padding > 0 || this.headerFill > 0)) return undefined;
    if (files.length !== this.sizes.length) return undefined;
    let k = 0;
    const segments: Segment[] = [];
    for (const s of this.segments) {
      if (typeof s === 'number') {
        segments.push(s);
        continue;
      }
      const f = files[k]!;
      if (f.path === null || f.size !== this.sizes[k]) return undefined;
      segments.push([f.path, f.size]);
      k++;
    }
    const index = Buffer.from(JSON.stringify(segments));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(index.length);
    return gzipSync(Buffer.concat([len, index, ...this.raw], 4 + index.length + this.rawLen), { level: 1 });
  }
}

/** Writes a recorded layout next to the layer's diff/ (inside the staged dir, so the commit's rename carries it). */
export async function writeTarLayout(layerDir: string, record: Buffer): Promise<void> {
  await writeFile(join(layerDir, LAYOUT_FILE), record, { mode: 0o600 });
}

/** Reads a layer's layout file; undefined when the layer has none. */
export async function readTarLayout(layerDir: string): Promise<{ segments: Segment[]; raw: Buffer } | undefined> {
  let file: Buffer;
  try {
    file = await readFile(join(layerDir, LAYOUT_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const all = gunzipSync(file);
  const n = all.readUInt32LE(0);
  return { segments: JSON.parse(all.toString('utf8', 4, 4 + n)) as Segment[], raw: all.subarray(4 + n) };
}

const READ = 1 << 20;

/** The layer's original tar, rebuilt from its layout and the files under `diffDir`. */
export function replayTarLayout(layout: { segments: Segment[]; raw: Buffer }, diffDir: string): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    let at = 0;
    for (const s of layout.segments) {
      if (typeof s === 'number') {
        yield layout.raw.subarray(at, at + s);
        at += s;
        continue;
      }
      const [rel, size] = s;
      if (rel.startsWith('/') || escapesRoot(rel)) throw invalidArgument(`tar layout names a path outside the layer: ${JSON.stringify(rel)}`);
      // O_NOFOLLOW: the recorded name is a regular file the unpacker wrote; never follow a link.
      const fh = await open(join(diffDir, rel), constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        const st = await fh.stat();
        if (!st.isFile() || st.size !== size) throw invalidArgument(`layer file ${rel} is not the ${size}-byte file its tar held`);
        let left = size;
        while (left > 0) {
          const b = Buffer.allocUnsafe(Math.min(READ, left));
          const { bytesRead } = await fh.read(b, 0, b.length, size - left);
          if (bytesRead === 0) throw invalidArgument(`layer file ${rel} is shorter than its tar entry`);
          left -= bytesRead;
          yield b.subarray(0, bytesRead);
        }
      } finally {
        await fh.close();
      }
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}
