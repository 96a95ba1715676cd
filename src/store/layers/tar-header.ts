// The bytes tar-stream's pack writes before an entry's body, computed synchronously: a layer's
// diffID (pack-layer.ts digestLayerDir) hashes the tar a snapshot packs to without streaming it
// through tar-stream, whose per-entry stream machinery cost more than the hashing itself on a
// 2000-file layer. A diffID names the exact bytes save and push later stream through tar-stream
// (packLayerDir), so this mirrors tar-stream 3.3's pack.js (entry() defaults, _encode, the PAX
// fallback) and headers.js (encode, encodePax) byte for byte; tar-header.test.ts holds the two to
// the same bytes over names, links, modes, ids, sizes, times and PAX records.

/** The header fields pack-layer.ts gives an entry (tar-stream's Headers, as used there). */
export interface TarHeaderInput {
  name: string;
  type: 'file' | 'link' | 'symlink' | 'directory' | 'fifo';
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: Date;
  linkname?: string;
  pax?: Record<string, string>;
}

const ZEROS = '0000000000000000000';
const SEVENS = '7777777777777777777';
const DMODE = 0o755;
const FMODE = 0o644;
const TYPEFLAG: Record<string, number> = {
  file: 0,
  link: 1,
  symlink: 2,
  'character-device': 3,
  'block-device': 4,
  directory: 5,
  fifo: 6,
  'contiguous-file': 7,
  'pax-header': 72,
};

function encodeOct(val: number, n: number): string {
  const s = val.toString(8);
  if (s.length > n) return `${SEVENS.slice(0, n)} `;
  return `${ZEROS.slice(0, n - s.length)}${s} `;
}

function encodeSize(num: number, buf: Buffer, off: number): void {
  if (num < 0 || num.toString(8).length > 11) {
    buf[off] = num < 0 ? 0xff : 0x80;
    for (let i = 11; i > 0; i--) {
      buf[off + i] = num & 0xff;
      num = Math.floor(num / 0x100);
    }
  } else put(buf, encodeOct(num, 11), off);
}

function cksum(block: Buffer): number {
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += block[i]!;
  for (let j = 156; j < 512; j++) sum += block[j]!;
  return sum;
}

interface EncodeInput {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  linkname?: string | undefined;
}

/** ASCII `s` into `buf` at `off` (a header's numbers and names that passed the ASCII check). */
function put(buf: Buffer, s: string, off: number): void {
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
}

/**
 * tar-stream's headers.encode: a ustar header, or null when the name or link does not fit (then
 * PAX). Written into `buf` (512 bytes, zeroed here). The name is ASCII once checked, so its
 * UTF-8 length is its length.
 */
function encode(opts: EncodeInput, buf: Buffer): Buffer | null {
  let name = opts.name;
  let prefix = '';
  if (Buffer.byteLength(name) !== name.length) return null; // not ASCII
  while (name.length > 100) {
    const i = name.indexOf('/');
    if (i === -1) return null;
    prefix += prefix ? `/${name.slice(0, i)}` : name.slice(0, i);
    name = name.slice(i + 1);
  }
  if (name.length > 100 || prefix.length > 155) return null;
  if (opts.linkname && Buffer.byteLength(opts.linkname) > 100) return null;
  buf.fill(0);
  put(buf, name, 0);
  put(buf, encodeOct(opts.mode & 0o7777, 6), 100);
  put(buf, encodeOct(opts.uid, 6), 108);
  put(buf, encodeOct(opts.gid, 6), 116);
  encodeSize(opts.size, buf, 124);
  encodeSize(Math.floor(opts.mtime.getTime() / 1000) || 0, buf, 136);
  buf[156] = 48 + (TYPEFLAG[opts.type] ?? 0);
  if (opts.linkname) buf.write(opts.linkname, 157);
  put(buf, 'ustar\0', 257);
  put(buf, '00', 263);
  put(buf, '000000 ', 329);
  put(buf, '000000 ', 337);
  if (prefix) put(buf, prefix, 345);
  put(buf, encodeOct(cksum(buf), 6), 148);
  return buf;
}

/** The head of the common entry (one ustar header) is built here, valid until the next call. */
const scratch = Buffer.alloc(512);
const ZERO_BLOCK = Buffer.alloc(512);

function addLength(str: string): string {
  const len = Buffer.byteLength(str);
  let digits = Math.floor(Math.log(len) / Math.log(10)) + 1;
  if (len + digits >= 10 ** digits) digits++;
  return `${len + digits}${str}`;
}

function encodePax(name: string, linkname: string | undefined, pax: Record<string, string> | undefined): Buffer {
  let result = '';
  if (name) result += addLength(` path=${name}\n`);
  if (linkname) result += addLength(` linkpath=${linkname}\n`);
  if (pax) for (const key in pax) result += addLength(` ${key}=${pax[key]}\n`);
  return Buffer.from(result);
}

/** Zero bytes that pad `size` bytes of body to the next 512-byte block (shared: never written to). */
export function tarPadding(size: number): Buffer {
  const r = size % 512;
  return ZERO_BLOCK.subarray(0, r ? 512 - r : 0);
}

/** tar-stream's end of archive: two zero blocks. */
export const TAR_END = Buffer.alloc(1024);

/**
 * What pack.entry(header, ...) writes before the body, for a header pack-layer.ts makes: its
 * defaults applied (size 0 but for files, mode 0 becomes 0755/0644, ids 0), then the ustar header,
 * or a PAX header (its record padded) and the entry's header when the header carries PAX records
 * or does not fit ustar. `size` is the body's length (the entry's size for a file). The buffers
 * are valid until the next call (a digest hashes them at once).
 */
export function tarEntryHead(h: TarHeaderInput): { head: Buffer[]; size: number } {
  const size = !h.size || h.type === 'symlink' ? 0 : h.size;
  const mode = h.mode || (h.type === 'directory' ? DMODE : FMODE);
  const base = { name: h.name, type: h.type, mode, uid: h.uid || 0, gid: h.gid || 0, size, mtime: h.mtime ?? new Date(), linkname: h.linkname };
  if (!h.pax) {
    const b = encode(base, scratch);
    if (b) return { head: [b], size };
  }
  const paxRecord = encodePax(h.name, h.linkname, h.pax);
  const paxHeader = { ...base, name: 'PaxHeader', size: paxRecord.length, type: 'pax-header', linkname: h.linkname && 'PaxHeader' };
  const first = encode(paxHeader, Buffer.alloc(512));
  const second = encode({ ...paxHeader, size, type: h.type }, Buffer.alloc(512));
  if (!first || !second) throw new Error(`tar header of ${h.name} cannot be encoded`);
  return { head: [first, paxRecord, tarPadding(paxRecord.length), second], size };
}
