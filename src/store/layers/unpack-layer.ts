// Unpacks one (hostile) layer tar into an empty directory in overlayfs format, hashing the
// uncompressed stream on the way to get the diffId.
//
// Safety model: the directory is ours and nothing else writes into it, so checking with lstat
// and then acting is race-free. Every path is built from cleaned components, each parent
// component is verified to be a real directory (never a symlink) before use, files are created
// with O_EXCL|O_NOFOLLOW, and metadata calls never follow links (lchown, lutimes, lsetxattr).
// Symlink targets are stored verbatim and never followed. Anything doubtful is rejected with
// invalid-argument naming the entry; the caller discards the whole directory.
import { hostOwner, toHostId, type IdMap } from '../../lib/id-map.js';
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import type { Digest } from '../../lib/digest.js';
import { errnoCode, invalidArgument, isBerthError } from '../../lib/errors.js';
import { cleanInRoot, escapesRoot } from '../../lib/safe-path.js';
import { decompressed } from '../../lib/tar-input.js';
import { lsetxattr, mkfifo, mkWhiteout } from '../../lib/libc.js';
import { BatchedWriter } from '../../lib/batched-writer.js';
import { TarLayoutRecorder, writeTarLayout } from './tar-layout.js';

export interface UnpackResult {
  diffId: Digest;
  /** Sum of regular file sizes (hard links counted once). */
  size: number;
  /** A layout was asked for and written: the tar can be replayed from the layer (tar-layout.ts). */
  layout?: boolean;
}

/** A tar header as tar-stream reads and writes it, with `pax` holding the entry's PAX records. */
export type TarHeader = Partial<Omit<tar.Header, 'pax' | 'type'>> & {
  name: string;
  type?: tar.Header['type'] | 'pax-global-header' | null;
  pax?: Record<string, string>;
};

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Extended attributes a layer may carry; trusted.* (overlay's own control xattrs) never. */
export function layerXattrAllowed(name: string): boolean {
  return name.startsWith('user.') || name === 'security.capability' || name.startsWith('system.posix_acl_');
}

function reject(entry: string, why: string): never {
  throw invalidArgument(`invalid layer tar: entry ${JSON.stringify(entry)}: ${why}`);
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
}

class Unpacker {
  /** Relative paths of directories verified (or created) as real directories. */
  private realDirs = new Set<string>(['']);
  private dirTimes: Array<[string, Date]> = [];
  size = 0;
  /** Every regular file entry with a body, in tar order: the path written (null: none), for the tar layout. */
  readonly files: { path: string | null; size: number }[] = [];
  /** An entry replaced or removed something this tar had made: its earlier bodies may be gone. */
  replaced = false;

  constructor(
    private readonly root: string,
    /** --userns-remap: entries carry container ids, files get host ids. */
    private readonly idMap?: IdMap,
    /** The caller flushes the layer (syncfs): start each large file's writeback early (batched-writer.ts). */
    private readonly writeBehind = true,
  ) {}

  /** Makes sure every component of `parts` is a real directory, creating missing ones if `create`. */
  private async parentDir(entry: string, parts: string[], create: boolean): Promise<string> {
    let rel = '';
    for (const part of parts) {
      rel = rel ? `${rel}/${part}` : part;
      if (this.realDirs.has(rel)) continue;
      const p = join(this.root, rel);
      const st = await lstatOrUndefined(p);
      if (!st) {
        if (!create) reject(entry, `link target parent ${JSON.stringify(rel)} does not exist in the layer`);
        await mkdir(p, 0o755);
        await chmod(p, 0o755); // mkdir's mode is filtered by the umask
        if (this.idMap) await lchown(p, toHostId(this.idMap.uids, 0), toHostId(this.idMap.gids, 0));
      } else if (st.isSymbolicLink()) {
        reject(entry, `parent ${JSON.stringify(rel)} is a symlink; refusing to write through it`);
      } else if (!st.isDirectory()) {
        reject(entry, `parent ${JSON.stringify(rel)} is not a directory`);
      }
      this.realDirs.add(rel);
    }
    return join(this.root, ...parts);
  }

  /** Removes whatever is at `rel` (unless keepDir and it is a directory); true if a directory was kept. */
  private async clear(rel: string, keepDir: boolean): Promise<boolean> {
    const p = join(this.root, rel);
    const st = await lstatOrUndefined(p);
    if (!st) return false;
    if (keepDir && st.isDirectory()) return true;
    this.replaced = true;
    await rm(p, { recursive: true, force: true });
    for (const d of this.realDirs) if (d === rel || d.startsWith(`${rel}/`)) this.realDirs.delete(d);
    this.dirTimes = this.dirTimes.filter(([d]) => d !== p && !d.startsWith(`${p}/`));
    return false;
  }

  async entry(h: TarHeader, data: AsyncIterable<Buffer>): Promise<void> {
    const name = h.name;
    const type = h.type ?? 'file';
    if (type === 'pax-global-header') return;
    const body = (type === 'file' || type === 'contiguous-file') && (h.size ?? 0) > 0 ? { path: null as string | null, size: h.size ?? 0 } : undefined;
    if (body) this.files.push(body);
    if (name.includes('\0')) reject(name, 'NUL in name');
    if (name.startsWith('/')) reject(name, 'absolute path');
    if (escapesRoot(name)) reject(name, 'path climbs out of the layer with ".."');
    const rel = cleanInRoot(name);
    if (rel === '') return; // the layer root itself: its attributes are ours
    const parts = rel.split('/');
    const base = parts.pop()!;
    const mtime = h.pax?.mtime ? new Date(parseFloat(h.pax.mtime) * 1000) : (h.mtime ?? new Date(0));

    if (base.startsWith(WH)) {
      const dir = await this.parentDir(name, parts, true);
      if (base === OPAQUE) return lsetxattr(dir, 'trusted.overlay.opaque', 'y');
      if (base.startsWith(WH + WH)) return; // other AUFS metadata: meaningless here
      const hidden = base.slice(WH.length);
      if (hidden === '' || hidden === '.' || hidden === '..') reject(name, 'invalid whiteout');
      await this.clear([...parts, hidden].join('/'), false);
      mkWhiteout(join(dir, hidden));
      return;
    }

    if (type === 'character-device' || type === 'block-device') reject(name, 'device nodes are not allowed in layers');
    const dir = await this.parentDir(name, parts, true);
    const p = join(dir, base);
    const keptDir = await this.clear(rel, type === 'directory');
    const { uid, gid } = hostOwner(this.idMap, h.uid ?? 0, h.gid ?? 0);
    const mode = (h.mode ?? 0o644) & 0o7777;

    switch (type) {
      case 'file':
      case 'contiguous-file': {
        const fh = await open(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          const w = new BatchedWriter(fh, undefined, this.writeBehind); // the tar parser hands over the decompressor's small chunks
          for await (const chunk of data) await w.write(chunk as Buffer);
          await w.done();
          await fh.chown(uid, gid); // before chmod: chown clears set-id bits
          await fh.chmod(mode);
        } finally {
          await fh.close();
        }
        if (body) body.path = rel;
        this.size += h.size ?? 0;
        break;
      }
      case 'directory':
        if (!keptDir) await mkdir(p, 0o700);
        await lchown(p, uid, gid);
        await chmod(p, mode); // p is a real directory: checked or just made by us
        this.realDirs.add(rel);
        break;
      case 'symlink':
        if (!h.linkname) reject(name, 'symlink without a target');
        await symlink(h.linkname, p);
        await lchown(p, uid, gid);
        break;
      case 'link': {
        const target = h.linkname ?? '';
        if (target.startsWith('/') || escapesRoot(target)) reject(name, `hard link target ${JSON.stringify(target)} is outside the layer`);
        const tparts = cleanInRoot(target).split('/').filter(Boolean);
        if (!tparts.length) reject(name, 'hard link without a target');
        const tbase = tparts.pop()!;
        const tp = join(await this.parentDir(name, tparts, false), tbase);
        const st = await lstatOrUndefined(tp);
        if (!st) reject(name, `hard link target ${JSON.stringify(target)} is not in the layer`);
        if (st.isDirectory()) reject(name, 'hard link to a directory');
        await link(tp, p); // link(2) does not follow a symlink target: it links the symlink itself
        break;
      }
      case 'fifo':
        mkfifo(p, 0o600);
        await lchown(p, uid, gid);
        await chmod(p, mode);
        break;
      default:
        reject(name, `unsupported entry type ${type}`);
    }
    if (type !== 'link') {
      if (type !== 'symlink') await this.xattrs(p, h.pax);
      if (type === 'directory') this.dirTimes.push([p, mtime]);
      else await lutimes(p, mtime, mtime);
    }
  }

  private async xattrs(p: string, pax: Record<string, string> | undefined): Promise<void> {
    if (!pax) return;
    for (const [k, v] of Object.entries(pax)) {
      if (!k.startsWith('SCHILY.xattr.')) continue;
      const xname = k.slice('SCHILY.xattr.'.length);
      // tar-stream decodes PAX values as UTF-8, so a binary value may arrive damaged (U+FFFD):
      // dropping it is better than writing wrong bytes (e.g. wrong file capabilities).
      if (!layerXattrAllowed(xname) || v.includes('\uFFFD')) continue;
      try {
        lsetxattr(p, xname, v);
      } catch (e) {
        // A value the kernel refuses, or a filesystem without xattrs, must not fail the pull.
        if (!['EINVAL', 'EOPNOTSUPP', 'ENOTSUP', 'EPERM', 'ERANGE'].includes(errnoCode(e) ?? '')) throw e;
      }
    }
  }

  /** Directory times last: creating children changes a directory's mtime. */
  async finish(): Promise<void> {
    for (const [p, t] of this.dirTimes.reverse()) await lutimes(p, t, t);
  }
}

/**
 * Unpacks `input` (plain or gzip tar) into the existing empty directory `dir`.
 * Throws invalid-argument for hostile or malformed content, not-implemented for zstd.
 * With `layoutDir`, the tar's layout is recorded and written there when it can be replayed.
 * `flushed: false` says the caller will not flush the layer (a pulled one): no writeback is started early.
 */
export async function unpackLayer(
  input: Readable,
  dir: string,
  signal?: AbortSignal,
  idMap?: IdMap,
  layoutDir?: string,
  flushed = true,
): Promise<UnpackResult> {
  // The layer's root belongs to the container's root. Done before the tar is piped: tar-stream's
  // extract hands entries to 'entry' listeners, which its async iterator adds only when the loop
  // below starts, so an await between pipeline() and that loop loses the first entry and the
  // extract waits for its body to be read forever (the import hang of the first remap attempt).
  if (idMap) await lchown(dir, toHostId(idMap.uids, 0), toHostId(idMap.gids, 0));
  const { stream } = await decompressed(input);
  const hash = createHash('sha256');
  // The tar bytes are hashed by a listener beside the pipe (not a Transform stage: one hop less per chunk).
  const layout = layoutDir === undefined ? undefined : new TarLayoutRecorder();
  stream.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    layout?.push(chunk);
  });
  const extract = tar.extract();
  const feeding = pipeline(stream, extract, signal ? { signal } : {});
  const u = new Unpacker(dir, idMap, flushed);
  const unpacking = (async () => {
    for await (const e of extract) {
      await u.entry(e.header as TarHeader, e as unknown as AsyncIterable<Buffer>);
      e.resume(); // drain whatever the handler did not read
    }
    await u.finish();
  })();
  const [fed, unpacked] = await Promise.allSettled([feeding, unpacking]);
  // Report the cause: a rejection by the unpacker makes the feeder see a premature close, and a
  // broken input (bad gzip, abort) makes the unpacker see an aborted extract.
  if (unpacked.status === 'rejected') {
    stream.destroy();
    const feederCut = fed.status === 'fulfilled' || errnoCode(fed.reason) === 'ERR_STREAM_PREMATURE_CLOSE';
    if (isBerthError(unpacked.reason) || feederCut) throw unpacked.reason; // e.g. ENOSPC while writing a file
  }
  if (fed.status === 'rejected') throw fed.reason;
  const record = layout && !u.replaced ? layout.finish(u.files) : undefined;
  if (record && layoutDir !== undefined) await writeTarLayout(layoutDir, record);
  return { diffId: `sha256:${hash.digest('hex')}`, size: u.size, ...(layout ? { layout: record !== undefined } : {}) };
}
