// A tiny tar reader and writer for the browser (no Node streams, no dependency): the file browser
// lists a directory from the archive API's tar (headers only; file bodies are skipped as they
// stream by), and the build view packs a Dockerfile and picked files into a build context.
// Reads ustar with PAX ('x') and GNU long-name ('L'/'K') extensions; writes ustar, with a PAX
// header for a name longer than ustar's 100 bytes.

export interface TarEntry {
  /** The entry's path as the archive names it ("etc/hostname", "etc/"). */
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  size: number;
  mode: number;
  mtime: number;
  linkName: string;
}

const BLOCK = 512;
const dec = new TextDecoder();
const enc = new TextEncoder();

function str(b: Uint8Array, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return dec.decode(nul >= 0 ? s.subarray(0, nul) : s);
}

/** A numeric field: octal text, or GNU base-256 when the top bit of the first byte is set. */
function num(b: Uint8Array, off: number, len: number): number {
  if (b[off]! & 0x80) {
    let n = b[off]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + b[off + i]!;
    return n;
  }
  const t = str(b, off, len).trim();
  return t ? parseInt(t, 8) : 0;
}

/** PAX records: "<len> key=value\n" repeated, where <len> counts the record's bytes. */
function paxRecords(b: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < b.length) {
    const sp = b.indexOf(0x20, i);
    if (sp < 0) break;
    const len = Number(dec.decode(b.subarray(i, sp)));
    if (!(len > 0) || i + len > b.length) break;
    const rec = dec.decode(b.subarray(sp + 1, i + len - 1)); // without the trailing newline
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

const TYPES: Record<string, TarEntry['type']> = { '0': 'file', '\0': 'file', '': 'file', '7': 'file', '5': 'dir', '2': 'symlink', '1': 'hardlink' };

/**
 * The entries of a tar as its bytes arrive. Bodies are skipped without being kept, so a large
 * archive costs its transfer, not its size in memory.
 */
export async function* readTarEntries(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  let buf: Uint8Array = new Uint8Array(0);
  let skip = 0; // body bytes (padded) still to drop
  let want: { kind: 'pax' | 'longname' | 'longlink'; size: number; padded: number } | undefined;
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for await (const chunk of chunks) {
    buf = buf.length ? concat(buf, chunk) : chunk;
    for (;;) {
      if (skip) {
        const n = Math.min(skip, buf.length);
        buf = buf.subarray(n);
        skip -= n;
        if (skip) break;
      }
      if (want) {
        if (buf.length < want.padded) break;
        const body = buf.subarray(0, want.size);
        if (want.kind === 'pax') pax = { ...pax, ...paxRecords(body) };
        else if (want.kind === 'longname') longName = str(body, 0, body.length);
        else longLink = str(body, 0, body.length);
        buf = buf.subarray(want.padded);
        want = undefined;
        continue;
      }
      if (buf.length < BLOCK) break;
      const h = buf.subarray(0, BLOCK);
      buf = buf.subarray(BLOCK);
      if (h.every((x) => x === 0)) continue; // the end-of-archive blocks
      const size = num(h, 124, 12);
      const padded = Math.ceil(size / BLOCK) * BLOCK;
      const flag = String.fromCharCode(h[156]!);
      if (flag === 'x') {
        want = { kind: 'pax', size, padded };
        continue;
      }
      if (flag === 'g') {
        skip = padded; // global PAX headers carry nothing the listing needs
        continue;
      }
      if (flag === 'L' || flag === 'K') {
        want = { kind: flag === 'L' ? 'longname' : 'longlink', size, padded };
        continue;
      }
      const prefix = str(h, 257, 6).startsWith('ustar') ? str(h, 345, 155) : '';
      const base = str(h, 0, 100);
      const name = pax.path ?? longName ?? (prefix ? `${prefix}/${base}` : base);
      const entry: TarEntry = {
        name,
        type: TYPES[flag] ?? 'other',
        size: pax.size !== undefined ? Number(pax.size) : size,
        mode: num(h, 100, 8),
        mtime: pax.mtime !== undefined ? Number(pax.mtime) : num(h, 136, 12),
        linkName: pax.linkpath ?? longLink ?? str(h, 157, 100),
      };
      pax = {};
      longName = longLink = undefined;
      skip = entry.type === 'file' ? Math.ceil(entry.size / BLOCK) * BLOCK : padded;
      yield entry;
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export interface TarInput {
  name: string;
  data: Uint8Array;
  mode?: number;
}

function header(name: string, size: number, mode: number, flag: string, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (off: number, len: number, s: string) => h.set(enc.encode(s).subarray(0, len), off);
  const oct = (off: number, len: number, n: number) => put(off, len, `${n.toString(8).padStart(len - 1, '0')}\0`);
  put(0, 100, name);
  oct(100, 8, mode);
  oct(108, 8, 0);
  oct(116, 8, 0);
  oct(124, 12, size);
  oct(136, 12, mtime);
  put(148, 8, '        '); // the checksum counts its own field as spaces
  put(156, 1, flag);
  put(257, 8, 'ustar\x0000');
  let sum = 0;
  for (const x of h) sum += x;
  put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

function padded(data: Uint8Array): Uint8Array[] {
  const rest = data.length % BLOCK;
  return rest ? [data, new Uint8Array(BLOCK - rest)] : [data];
}

/** One PAX record, whose length prefix counts itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bytes = enc.encode(body).length;
  let len = bytes + String(bytes).length;
  if (String(len).length !== String(len - bytes).length) len++;
  return `${len}${body}`;
}

/** A tar of regular files (owned by root, the current time), ending with the two zero blocks. */
export function writeTar(files: TarInput[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const mtime = Math.floor(Date.now() / 1000);
  for (const f of files) {
    const name = f.name.replace(/^\/+/, '');
    if (enc.encode(name).length > 100) {
      const rec = enc.encode(paxRecord('path', name));
      parts.push(header('PaxHeader', rec.length, 0o644, 'x', mtime), ...padded(rec));
    }
    parts.push(header(name, f.data.length, f.mode ?? 0o644, '0', mtime), ...padded(f.data));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
