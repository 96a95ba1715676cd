// A synchronous tar writer for the hot path of sending a build context: headers and file bytes
// are written straight into large chunks (file data is read into the chunk with readSync, no
// copy), so packing thousands of small files costs a header and a read each, not the stream,
// promise and buffer churn of an entry-at-a-time writer (which made the berth CLI pack 3x slower
// than the docker CLI). ustar headers, with a PAX header first when a name, link target or size
// does not fit (as Go's archive/tar writes them).
import { closeSync, openSync, readSync } from 'node:fs';

export interface TarHeader {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  size?: number;
  linkname?: string;
}

const BLOCK = 512;
const CHUNK = 1 << 20;
const MAX_OCTAL_11 = 0o77777777777;

function octal(buf: Buffer, off: number, width: number, value: number): void {
  const s = Math.max(0, Math.floor(value))
    .toString(8)
    .padStart(width - 1, '0');
  buf.write(s, off, width - 1, 'latin1');
  buf[off + width - 1] = 0;
}

/** The ustar name/prefix split of `name`, or undefined when only a PAX path fits. */
function splitName(name: string): { name: string; prefix: string } | undefined {
  const len = Buffer.byteLength(name);
  if (len <= 100) return { name, prefix: '' };
  if (len > 256) return undefined;
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { name: rest, prefix };
  }
  return undefined;
}

/** One PAX record: "<len> key=value\n", len counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let n = Buffer.byteLength(body);
  let len = n + String(n).length;
  if (String(len).length !== String(n).length) len = n + String(len).length;
  n = len;
  return `${n}${body}`;
}

export class TarWriter {
  private chunk = Buffer.allocUnsafe(CHUNK);
  private off = 0;
  private ready: Buffer[] = [];

  /** Chunks complete so far (the caller sends them); the writer keeps the one being filled. */
  take(): Buffer[] {
    const r = this.ready;
    this.ready = [];
    return r;
  }

  /** Appends an entry's header; a regular file's data must follow (file() or data()). */
  header(h: TarHeader): void {
    const name = h.type === 'directory' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
    const split = splitName(name);
    const size = h.type === 'file' ? (h.size ?? 0) : 0;
    const link = h.linkname ?? '';
    let pax = '';
    if (!split) pax += paxRecord('path', name);
    if (Buffer.byteLength(link) > 100) pax += paxRecord('linkpath', link);
    if (size > MAX_OCTAL_11) pax += paxRecord('size', String(size));
    if (pax) {
      const data = Buffer.from(pax);
      this.block({ name: 'PaxHeaders/entry', prefix: '' }, 'x', 0o644, h.mtime, data.length, '');
      this.data(data);
    }
    this.block(split ?? { name: name.slice(0, 100), prefix: '' }, h.type === 'file' ? '0' : h.type === 'directory' ? '5' : '2', h.mode, h.mtime, size, link);
  }

  /** Appends `size` bytes of the file at `path` (and the padding); throws if it is shorter now. */
  file(path: string, size: number): void {
    const fd = openSync(path, 'r');
    try {
      let left = size;
      while (left > 0) {
        if (this.off === CHUNK) this.flush();
        const n = readSync(fd, this.chunk, this.off, Math.min(left, CHUNK - this.off), null);
        if (n === 0) throw new Error(`${path}: file changed size while being sent`);
        this.off += n;
        left -= n;
      }
    } finally {
      closeSync(fd);
    }
    this.pad(size);
  }

  /** Appends bytes (and the padding). */
  data(b: Buffer): void {
    for (let i = 0; i < b.length; ) {
      if (this.off === CHUNK) this.flush();
      const n = b.copy(this.chunk, this.off, i);
      this.off += n;
      i += n;
    }
    this.pad(b.length);
  }

  /** The two zero blocks that end an archive; all of it is then in take(). */
  end(): void {
    this.zeros(2 * BLOCK);
    this.flush();
  }

  private pad(size: number): void {
    const rem = size % BLOCK;
    if (rem) this.zeros(BLOCK - rem);
  }

  private zeros(n: number): void {
    while (n > 0) {
      if (this.off === CHUNK) this.flush();
      const k = Math.min(n, CHUNK - this.off);
      this.chunk.fill(0, this.off, this.off + k);
      this.off += k;
      n -= k;
    }
  }

  private flush(): void {
    if (this.off === 0) return;
    this.ready.push(this.off === CHUNK ? this.chunk : this.chunk.subarray(0, this.off));
    this.chunk = Buffer.allocUnsafe(CHUNK);
    this.off = 0;
  }

  private block(n: { name: string; prefix: string }, type: string, mode: number, mtime: number, size: number, link: string): void {
    if (CHUNK - this.off < BLOCK) this.flush();
    const b = this.chunk.subarray(this.off, this.off + BLOCK);
    b.fill(0);
    b.write(n.name, 0, 100, 'utf8');
    octal(b, 100, 8, mode & 0o7777);
    octal(b, 108, 8, 0);
    octal(b, 116, 8, 0);
    octal(b, 124, 12, size > MAX_OCTAL_11 ? 0 : size);
    octal(b, 136, 12, mtime);
    b.write(type, 156, 1, 'latin1');
    if (Buffer.byteLength(link) <= 100) b.write(link, 157, 100, 'utf8');
    b.write('ustar\u000000', 257, 8, 'latin1');
    if (n.prefix) b.write(n.prefix, 345, 155, 'utf8');
    b.fill(0x20, 148, 156); // the checksum counts its own field as spaces
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += b[i]!;
    octal(b, 148, 7, sum);
    b[155] = 0x20;
    this.off += BLOCK;
  }
}
