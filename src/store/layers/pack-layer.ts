// Packs a directory in overlayfs format (an upper dir or a layer's diff dir) into a layer tar
// with Docker whiteouts: a whiteout char device 0/0 becomes `.wh.<name>`, an opaque directory
// (trusted.overlay.opaque=y) becomes the directory plus `<dir>/.wh..wh..opq`.
// The output is deterministic: names sorted, times from the files, no user/group names.
import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { containerOwner, type IdMap } from '../../lib/id-map.js';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import type { Digest } from '../../lib/digest.js';
import { canceled } from '../../lib/errors.js';
import { lgetxattr, llistxattr } from '../../lib/libc.js';
import { layerXattrAllowed } from './unpack-layer.js';
import { TAR_END, tarEntryHead, tarPadding, type TarHeaderInput } from './tar-header.js';

type PackHeader = Partial<Omit<tar.Header, 'pax'>> & { name: string; pax?: Record<string, string> };

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

function isOpaque(p: string): boolean {
  return lgetxattr(p, 'trusted.overlay.opaque')?.toString() === 'y';
}

/**
 * What a pack left out of the tar that the directory holds: a directory whose tar loses nothing
 * can itself serve as the layer that tar unpacks to (LayerStore.commitSnapshot).
 */
export interface PackReport {
  /** The first entry or attribute the tar could not carry, if any. */
  lossy?: string;
  /** Sum of the regular files' sizes, hard links counted once (LayerInfo.size, as an unpack counts it). */
  fileBytes: number;
  entries: number;
}

/** overlayfs's own bookkeeping on an upper dir: opaque becomes a whiteout entry, the others mean nothing in a lower layer. */
const isOverlayXattr = (name: string) => name.startsWith('trusted.overlay.');

/** PAX records for the xattrs a layer may carry; values that are not UTF-8 cannot go through tar-stream and are left out. */
function xattrPax(p: string, report?: PackReport): Record<string, string> | undefined {
  let pax: Record<string, string> | undefined;
  for (const name of llistxattr(p)) {
    if (!layerXattrAllowed(name)) {
      if (report && !report.lossy && !isOverlayXattr(name)) report.lossy = `${p}: xattr ${name}`;
      continue;
    }
    const v = lgetxattr(p, name);
    if (!v || !Buffer.from(v.toString('utf8')).equals(v)) {
      if (report && !report.lossy) report.lossy = `${p}: xattr ${name} is not UTF-8`;
      continue;
    }
    (pax ??= {})[`SCHILY.xattr.${name}`] = v.toString('utf8');
  }
  return pax;
}

/** Resolves on 'drain'; rejects when the sink is destroyed instead (the pack was torn down), so a walk never waits forever. */
function drained(sink: ReturnType<tar.Pack['entry']>): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      sink.off('error', done);
      if (e) reject(e);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('the layer tar was closed while being written'));
    sink.on('drain', onDrain);
    sink.on('close', onClose);
    sink.on('error', done);
  });
}

/** Files up to this size are read in one synchronous call: a stream costs four thread-pool round trips per file, which made a 2000-file layer slow on a busy machine. */
const READ_WHOLE_MAX = 1 << 20;

async function addEntry(pack: tar.Pack, header: PackHeader, file?: string): Promise<void> {
  let sink!: ReturnType<tar.Pack['entry']>;
  const whole = file && (header.size ?? 0) <= READ_WHOLE_MAX ? readFileSync(file) : undefined;
  if (whole && whole.length !== header.size) throw new Error(`${file} changed size while being packed`);
  const done = new Promise<void>((resolve, reject) => {
    const cb = (err?: Error | null) => (err ? reject(err) : resolve());
    // A 'file' entry without a body must still be ended: give it an empty buffer.
    if (whole) sink = pack.entry(header, whole, cb);
    else sink = file ? pack.entry(header, cb) : header.type === 'file' ? pack.entry(header, Buffer.alloc(0), cb) : pack.entry(header, cb);
  });
  if (whole) return done;
  done.catch(() => {}); // when feeding the body fails first, that error is the one thrown; this one must not go unhandled
  if (file) {
    // tar-stream's entry sink is a streamx Writable: feed it by hand, honouring backpressure.
    // When the consumer goes (a commit whose blob write hit ENOSPC destroys the tar), the file
    // stream is destroyed mid-read: its error belongs to this loop, never to the process.
    const rs = createReadStream(file, { highWaterMark: READ_WHOLE_MAX });
    rs.on('error', () => {});
    try {
      for await (const chunk of rs) {
        if (!sink.write(chunk)) await drained(sink);
      }
    } finally {
      rs.destroy();
    }
    sink.end(null);
  }
  await done;
}

/** One tar entry of a layer: its header, and the file holding its body (a regular file's). */
interface LayerEntry {
  header: PackHeader;
  file?: string;
}

/**
 * The layer tar's entries in order, each made when asked for (its lstat then). Both the packed
 * tar (packLayerDir) and its digest (digestLayerDir) walk this, so they name the same bytes.
 */
function* layerEntries(root: string, rel: string, links: Map<string, string>, o: PackOptions): Generator<LayerEntry> {
  const { report, idMap } = o;
  // Synchronous metadata calls: each awaited one was a thread-pool round trip per file, which a
  // loaded machine stretched; the consumers give the event loop its turns.
  const names = readdirSync(rel ? join(root, rel) : root).sort();
  for (const name of names) {
    const r = rel ? `${rel}/${name}` : name;
    const p = join(root, r);
    const st = lstatSync(p);
    const base = { ...containerOwner(idMap, st.uid, st.gid), mtime: st.mtime, mode: st.mode & 0o7777 };
    if (report) report.entries++;
    if (isWhiteout(st)) {
      // Checked before hard links: overlayfs shares one whiteout inode between many names.
      const wh = rel ? `${rel}/.wh.${name}` : `.wh.${name}`;
      yield { header: { ...base, name: wh, type: 'file', size: 0, mode: 0o600 } };
    } else if (st.isDirectory()) {
      const pax = xattrPax(p, report);
      yield { header: { ...base, name: `${r}/`, type: 'directory', ...(pax ? { pax } : {}) } };
      if (isOpaque(p)) yield { header: { ...base, name: `${r}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o600 } };
      yield* layerEntries(root, r, links, o);
    } else if (st.isSymbolicLink()) {
      yield { header: { ...base, name: r, type: 'symlink', linkname: readlinkSync(p) } };
    } else if (st.isFile() || st.isFIFO()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        yield { header: { ...base, name: r, type: 'link', linkname: first, size: 0 } };
        continue;
      }
      if (st.nlink > 1) links.set(key, r);
      const pax = xattrPax(p, report);
      if (st.isFIFO()) yield { header: { ...base, name: r, type: 'fifo', ...(pax ? { pax } : {}) } };
      else {
        yield { header: { ...base, name: r, type: 'file', size: st.size, ...(pax ? { pax } : {}) }, ...(st.size ? { file: p } : {}) };
        if (report) report.fileBytes += st.size;
      }
    } else if (report && !report.lossy) {
      report.lossy = `${p}: ${st.isSocket() ? 'socket' : 'device node'}`;
    }
    // Sockets and device nodes are left out: layers may not carry them.
  }
}

/** Gives the event loop a turn when the walk has held it for YIELD_EVERY_MS; throws once `signal` aborted. */
async function turn(o: PackOptions, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) throw canceled();
  if (performance.now() - o.turnAt! > YIELD_EVERY_MS) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    o.turnAt = performance.now();
  }
}

const YIELD_EVERY_MS = 5;

export interface PackOptions {
  /** When the walk last gave the event loop a turn (set by packLayerDir). */
  turnAt?: number;
  /** Filled in as the walk goes (whole once the stream has ended). */
  report?: PackReport;
  /** --userns-remap: files on disk carry host ids, the tar carries the container's. */
  idMap?: IdMap;
}

/** Streams `root` as a layer tar. Errors (e.g. a missing root) surface as stream errors. */
export function packLayerDir(root: string | (() => Promise<string>), signal?: AbortSignal, o: PackOptions = {}): Readable {
  const pack = tar.pack();
  (async () => {
    const dir = typeof root === 'string' ? root : await root();
    const opts = { ...o, turnAt: performance.now() };
    for (const e of layerEntries(dir, '', new Map(), opts)) {
      await turn(opts, signal);
      await addEntry(pack, e.header, e.file);
    }
    pack.finalize();
  })().catch((e: unknown) => pack.destroy(e instanceof Error ? e : new Error(String(e))));
  // A plain Node Readable for callers (tar-stream's own streams are streamx). A consumer that
  // stops iterating (its own write failed: ENOSPC) destroys it with an AbortError nobody listens
  // for any more; that must not become an uncaught exception. Readers still get errors through
  // iteration or pipeline().
  const out = Readable.from(pack, { objectMode: false });
  out.on('error', () => {});
  return out;
}

/**
 * The diffID of the layer tar `root` packs to, without writing the tar anywhere, and what the pack
 * left out. The same entries as packLayerDir, their headers encoded as tar-stream encodes them
 * (tar-header.ts) and fed to the hash with the bodies, without a stream: this was a third of a
 * 2000-file COPY's CPU through tar-stream.
 */
export async function digestLayerDir(root: string, signal?: AbortSignal, idMap?: IdMap): Promise<{ diffId: Digest; report: PackReport }> {
  const report: PackReport = { fileBytes: 0, entries: 0 };
  const hash = createHash('sha256');
  const o: PackOptions = { report, turnAt: performance.now(), ...(idMap ? { idMap } : {}) };
  let buf: Buffer | undefined;
  for (const e of layerEntries(root, '', new Map(), o)) {
    await turn(o, signal);
    const { head, size } = tarEntryHead(e.header as TarHeaderInput);
    for (const b of head) hash.update(b);
    if (!e.file) continue;
    buf ??= Buffer.allocUnsafe(READ_WHOLE_MAX);
    hashFile(hash, e.file, size, buf);
    hash.update(tarPadding(size));
  }
  hash.update(TAR_END);
  return { diffId: `sha256:${hash.digest('hex')}`, report };
}

/** Feeds exactly `size` bytes of `file` to `hash`; a file that changed size meanwhile is an error, as in addEntry. */
function hashFile(hash: Hash, file: string, size: number, buf: Buffer): void {
  const fd = openSync(file, 'r');
  try {
    let left = size;
    while (left > 0) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, left), null);
      if (n === 0) break;
      hash.update(n === buf.length ? buf : buf.subarray(0, n));
      left -= n;
    }
    if (left !== 0 || readSync(fd, buf, 0, 1, null) !== 0) throw new Error(`${file} changed size while being packed`);
  } finally {
    closeSync(fd);
  }
}
