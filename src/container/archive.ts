// docker cp: reading a path of a container as a tar, and extracting a tar into it. Paths are
// resolved as the container sees them: symlinks inside the rootfs are followed relative to the
// rootfs (never out of it), and files Berth bind-mounts in (/etc/hosts, binds) are served from
// their host source. Incoming tars are hostile: every entry is resolved the same way.
import { lstat, mkdir, readlink, readdir, open, symlink, link, lchown, lutimes, rm, stat } from 'node:fs/promises';
import { constants, createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { invalidArgument, notFound, errnoCode, isBerthError, messageOf } from '../lib/errors.js';
import { cleanInRoot } from '../lib/safe-path.js';
import { containerOwner, hostOwner, rootOwnerOf, type IdMap } from '../lib/id-map.js';
import { mkdirOwned } from '../lib/mkdir-owned.js';

export interface PathStat {
  name: string;
  size: number;
  mode: number; // Go os.FileMode bits, as the docker CLI expects
  mtime: string;
  linkTarget: string;
}

/** A host path that shows up at `destination` inside the container. */
export interface MountOverlay {
  destination: string;
  source: string;
}

/** Converts a unix st_mode to Go's os.FileMode (type bits are not the same). */
export function goFileMode(mode: number): number {
  let m = mode & 0o777;
  const type = mode & 0o170000;
  if (type === 0o040000)
    m |= 0x80000000; // ModeDir
  else if (type === 0o120000)
    m |= 0x08000000; // ModeSymlink
  else if (type === 0o010000)
    m |= 0x02000000; // ModeNamedPipe
  else if (type === 0o140000)
    m |= 0x01000000; // ModeSocket
  else if (type === 0o020000)
    m |= 0x04000000 | 0x00200000; // ModeDevice | ModeCharDevice
  else if (type === 0o060000) m |= 0x04000000;
  if (mode & 0o4000) m |= 0x00800000;
  if (mode & 0o2000) m |= 0x00400000;
  if (mode & 0o1000) m |= 0x00100000;
  return m >>> 0;
}

export class ContainerFs {
  constructor(
    private readonly rootfs: string,
    private readonly overlays: MountOverlay[],
    /** The daemon's --userns-remap maps: files carry host ids, archives container ids (absent: the same ids). */
    private readonly idMap?: IdMap,
  ) {}

  /** The mount whose destination holds a (clean, absolute) container path, the deepest first. */
  private overlayOf(containerPath: string): MountOverlay | undefined {
    let best: MountOverlay | undefined;
    for (const o of this.overlays) {
      const dst = '/' + cleanInRoot(o.destination);
      if (containerPath === dst || containerPath.startsWith(dst === '/' ? '/' : dst + '/'))
        if (!best || dst.length > ('/' + cleanInRoot(best.destination)).length) best = o;
    }
    return best;
  }

  /** True if the container path is a mount point (a bind or an etc file): never replaced. */
  isMountPoint(containerPath: string): boolean {
    const clean = '/' + cleanInRoot(containerPath);
    return this.overlays.some((o) => '/' + cleanInRoot(o.destination) === clean);
  }

  /** Where a resolved (symlink-free, clean, absolute) container path lives on the host. */
  private hostOf(containerPath: string): string {
    const o = this.overlayOf(containerPath);
    if (!o) return posix.join(this.rootfs, containerPath);
    return posix.join(o.source, containerPath.slice(('/' + cleanInRoot(o.destination)).length));
  }

  /**
   * Resolves a container path as the container sees it: each component is looked up where it
   * lives (the rootfs or a mount's source) and every symlink is interpreted in the container's
   * view (absolute targets from the container's root, `..` never above it), including
   * symlinks inside bind-mounted directories. A mount point itself is never read as a link:
   * the mount covers it. The last component is followed only if followLast.
   */
  async resolveView(containerPath: string, followLast = true): Promise<string> {
    if (containerPath.includes('\0')) throw invalidArgument(`invalid path ${JSON.stringify(containerPath.slice(0, 200))}: it contains a NUL byte`);
    const pending = cleanInRoot(containerPath).split('/').filter(Boolean);
    const done: string[] = [];
    let hops = 0;
    while (pending.length) {
      const part = pending.shift()!;
      if (part === '.') continue;
      if (part === '..') {
        done.pop();
        continue;
      }
      done.push(part);
      if (pending.length === 0 && !followLast) break;
      const here = '/' + done.join('/');
      if (this.isMountPoint(here)) continue;
      let link: string | undefined;
      try {
        const st = await lstat(this.hostOf(here));
        if (st.isSymbolicLink()) link = await readlink(this.hostOf(here));
      } catch (e) {
        if (errnoCode(e) === 'ENAMETOOLONG') throw invalidArgument(`file name too long: ${containerPath.slice(0, 200)}`, e);
        if (errnoCode(e) !== 'ENOENT' && errnoCode(e) !== 'ENOTDIR') throw e;
      }
      if (link === undefined) continue;
      if (++hops > 255) throw invalidArgument(`too many levels of symbolic links: ${containerPath}`);
      done.pop();
      if (link.startsWith('/')) done.length = 0;
      pending.unshift(...link.split('/').filter((p) => p && p !== '.'));
    }
    return '/' + done.join('/');
  }

  /** Host path for a container path, following symlinks within the container (see resolveView). */
  async resolve(containerPath: string, followLast = true): Promise<string> {
    return this.hostOf(await this.resolveView(containerPath, followLast));
  }

  async stat(containerPath: string): Promise<PathStat> {
    const host = await this.resolve(containerPath, followsLast(containerPath));
    let st;
    try {
      st = await lstat(host);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') throw notFound(`Could not find the file ${containerPath} in container`);
      if (errnoCode(e) === 'ENAMETOOLONG') throw invalidArgument(`file name too long: ${containerPath.slice(0, 200)}`, e);
      throw e;
    }
    return {
      name: posix.basename(cleanInRoot(containerPath)) || '/',
      size: st.size,
      mode: goFileMode(st.mode),
      mtime: st.mtime.toISOString(),
      linkTarget: st.isSymbolicLink() ? await readlink(host) : '',
    };
  }

  /** A tar of the path, its entries named from the path's base name, as Docker does. */
  archive(containerPath: string): Readable {
    const pack = tar.pack();
    const base = posix.basename(cleanInRoot(containerPath)) || '.';
    const addTree = async (host: string, name: string): Promise<void> => {
      const st = await lstat(host);
      const header = { name, mode: st.mode & 0o7777, ...containerOwner(this.idMap, st.uid, st.gid), mtime: st.mtime };
      if (st.isDirectory()) {
        pack.entry({ ...header, type: 'directory' });
        for (const child of (await readdir(host)).sort()) await addTree(posix.join(host, child), `${name}/${child}`);
      } else if (st.isSymbolicLink()) {
        pack.entry({ ...header, type: 'symlink', linkname: await readlink(host) });
      } else if (st.isFile()) {
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...header, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(host).on('error', reject).pipe(entry);
        });
      }
      // sockets and devices are skipped: they cannot be copied meaningfully
    };
    (async () => {
      const host = await this.resolve(containerPath, followsLast(containerPath));
      const st = await lstat(host).catch(() => undefined);
      if (!st) throw notFound(`Could not find the file ${containerPath} in container`);
      // A trailing "/." copies the directory's contents (docker cp src/. dst).
      if (containerPath.endsWith('/.') && st.isDirectory()) {
        pack.entry({ name: '.', type: 'directory', mode: st.mode & 0o7777, mtime: st.mtime });
        for (const child of (await readdir(host)).sort()) await addTree(posix.join(host, child), `./${child}`);
      } else await addTree(host, base);
      pack.finalize();
    })().catch((e) => pack.destroy(e));
    return pack as unknown as Readable;
  }

  /**
   * Extracts a (hostile) tar into a directory of the container. Every entry is resolved in the
   * container's view (resolveView), so names with `..`, absolute names and symlinks (from the
   * tar or planted by the container) all land inside the container. Mount points are never
   * replaced (that would delete a bind's host directory), devices are refused, and anything the
   * archive gets wrong is invalid-argument.
   */
  async extract(containerDir: string, source: Readable, opts: { keepOwnership: boolean; noOverwriteDirNonDir: boolean }): Promise<void> {
    const destHost = await this.resolve(containerDir);
    const st = await stat(destHost).catch(() => undefined);
    if (!st) throw notFound(`Could not find the file ${containerDir} in container`);
    if (!st.isDirectory()) throw invalidArgument(`extraction point is not a directory`);
    const dest = await this.resolveView(containerDir);
    const extract = tar.extract();
    // Both settle before we return: a failed entry must not leave a rejection unhandled.
    const feeding = pipeline(source, extract);
    const consuming = (async () => {
      for await (const entry of extract) {
        try {
          await this.extractEntry(dest, entry as unknown as AsyncIterable<Buffer>, entry.header, opts);
        } catch (e) {
          throw badEntry(entry.header.name, e);
        } finally {
          entry.resume();
        }
      }
    })();
    const [fed, consumed] = await Promise.allSettled([feeding, consuming]);
    if (consumed.status === 'rejected') {
      source.destroy();
      throw badArchive(consumed.reason);
    }
    if (fed.status === 'rejected') throw badArchive(fed.reason);
  }

  private async extractEntry(
    dest: string,
    entry: AsyncIterable<Buffer>,
    h: tar.Header,
    opts: { keepOwnership: boolean; noOverwriteDirNonDir: boolean },
  ): Promise<void> {
    const rel = cleanInRoot(h.name);
    if (rel === '') return;
    const view = await this.resolveView(posix.join(dest, rel), false);
    const target = this.hostOf(view);
    const existing = await lstat(target).catch(() => undefined);
    if (this.isMountPoint(view) && !(h.type === 'directory' && existing?.isDirectory()))
      throw invalidArgument(`cannot overwrite mount point ${view} in container`);
    if (h.type !== 'directory' && h.type !== 'file' && h.type !== 'contiguous-file' && h.type !== 'symlink' && h.type !== 'link')
      throw invalidArgument(`unsupported entry type ${h.type} in archive: ${h.name}`);
    await mkdirOwned(posix.dirname(target), 0o755, rootOwnerOf(this.idMap));
    if (existing && opts.noOverwriteDirNonDir && existing.isDirectory() !== (h.type === 'directory'))
      throw invalidArgument(
        `cannot overwrite ${existing.isDirectory() ? 'directory' : 'non-directory'} "${view}" with ${existing.isDirectory() ? 'non-directory' : 'directory'}`,
      );
    if (existing && h.type !== 'directory') await rm(target, { recursive: true, force: true });
    const mode = (h.mode ?? 0o644) & 0o7777;
    switch (h.type) {
      case 'directory':
        if (!existing) await mkdir(target, { mode });
        else if (!existing.isDirectory()) throw invalidArgument(`cannot overwrite non-directory with directory: ${h.name}`);
        break;
      case 'file':
      case 'contiguous-file': {
        // O_EXCL|O_NOFOLLOW: never through a symlink that appeared at the last component.
        const fh = await open(target, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
        try {
          for await (const chunk of entry) await fh.write(chunk);
          await fh.chmod(mode);
        } finally {
          await fh.close();
        }
        break;
      }
      case 'symlink':
        await symlink(h.linkname ?? '', target);
        break;
      case 'link': {
        // Hard link names are archive paths under the extraction point (as Docker's), resolved
        // in the container; link(2) links a symlink itself, never its target.
        const from = await this.resolve(posix.join(dest, cleanInRoot(h.linkname ?? '')), false);
        await link(from, target);
        break;
      }
    }
    if (h.type !== 'link') {
      // Without -a the container's root owns what is copied in (the remapped root under --userns-remap).
      const { uid, gid } = hostOwner(this.idMap, opts.keepOwnership ? (h.uid ?? 0) : 0, opts.keepOwnership ? (h.gid ?? 0) : 0);
      await lchown(target, uid, gid).catch(() => {});
      if (h.mtime) await lutimes(target, h.mtime, h.mtime).catch(() => {});
    }
  }
}

/** As Docker: a trailing "/" or "/." means the directory a symlink names, not the link itself. */
function followsLast(containerPath: string): boolean {
  return containerPath.endsWith('/') || containerPath.endsWith('/.');
}

/** errno codes that mean the archive asked for something impossible, not that the host failed. */
const INPUT_ERRNOS = new Set(['ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'EXDEV', 'ELOOP', 'EPERM', 'EMLINK', 'ENAMETOOLONG', 'EINVAL']);

function badEntry(name: string, e: unknown): unknown {
  if (isBerthError(e)) return e;
  const code = errnoCode(e);
  if (code && INPUT_ERRNOS.has(code)) return invalidArgument(`cannot extract ${JSON.stringify(name)}: ${messageOf(e)}`, e);
  return badArchive(e);
}

/** A stream error with no errno is the tar parser's or the stream's (a corrupt or truncated archive). */
function badArchive(e: unknown): unknown {
  if (isBerthError(e) || /^E[A-Z0-9]+$/.test(errnoCode(e) ?? '')) return e;
  return invalidArgument(`invalid tar archive: ${messageOf(e)}`, e);
}
