// docker cp: reading a path of a container as a tar, and extracting a tar into it. Paths are
// resolved as the container sees them: symlinks inside the rootfs are followed relative to the
// rootfs (never out of it), and files Berth bind-mounts in (/etc/hosts, binds) are served from
// their host source. Incoming tars are hostile: every entry is resolved the same way.
import { lstat, mkdir, readlink, readdir, open, symlink, link, chmod, lchown, lutimes, rm, stat } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { invalidArgument, notFound, errnoCode } from '../lib/errors.js';
import { cleanInRoot, resolveInRoot } from '../lib/safe-path.js';

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
  if (type === 0o040000) m |= 0x80000000; // ModeDir
  else if (type === 0o120000) m |= 0x08000000; // ModeSymlink
  else if (type === 0o010000) m |= 0x02000000; // ModeNamedPipe
  else if (type === 0o140000) m |= 0x01000000; // ModeSocket
  else if (type === 0o020000) m |= 0x04000000 | 0x00200000; // ModeDevice | ModeCharDevice
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
  ) {}

  /** Host path for a container path, following symlinks within the container. */
  async resolve(containerPath: string, followLast = true): Promise<string> {
    const clean = '/' + cleanInRoot(containerPath);
    const hostInRoot = await resolveInRoot(this.rootfs, clean, followLast);
    const rel = '/' + posix.relative(this.rootfs, hostInRoot);
    const hit = this.overlays
      .filter((o) => rel === o.destination || rel.startsWith(o.destination.replace(/\/$/, '') + '/'))
      .sort((a, b) => b.destination.length - a.destination.length)[0];
    if (!hit) return hostInRoot;
    return posix.join(hit.source, rel.slice(hit.destination.length));
  }

  async stat(containerPath: string): Promise<PathStat> {
    const host = await this.resolve(containerPath, false);
    let st;
    try {
      st = await lstat(host);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') throw notFound(`Could not find the file ${containerPath} in container`);
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
      const header = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
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
      const host = await this.resolve(containerPath, !containerPath.endsWith('/') ? false : true);
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

  /** Extracts a tar into a directory of the container. */
  async extract(containerDir: string, source: Readable, opts: { keepOwnership: boolean; noOverwriteDirNonDir: boolean }): Promise<void> {
    const destHost = await this.resolve(containerDir);
    const st = await stat(destHost).catch(() => undefined);
    if (!st) throw notFound(`Could not find the file ${containerDir} in container`);
    if (!st.isDirectory()) throw invalidArgument(`extraction point is not a directory`);
    const dest = posix.join('/', cleanInRoot(containerDir));
    const extract = tar.extract();
    const done = pipeline(source, extract);
    for await (const entry of extract) {
      const h = entry.header;
      const rel = cleanInRoot(h.name);
      if (rel === '') {
        entry.resume();
        continue;
      }
      const target = await this.resolve(posix.join(dest, rel), false);
      const parent = posix.dirname(target);
      await mkdir(parent, { recursive: true });
      const existing = await lstat(target).catch(() => undefined);
      if (existing && opts.noOverwriteDirNonDir && existing.isDirectory() !== (h.type === 'directory'))
        throw invalidArgument(`cannot overwrite ${existing.isDirectory() ? 'directory' : 'non-directory'} "${posix.join(dest, rel)}" with ${existing.isDirectory() ? 'non-directory' : 'directory'}`);
      if (existing && h.type !== 'directory') await rm(target, { recursive: true, force: true });
      const mode = (h.mode ?? 0o644) & 0o7777;
      switch (h.type) {
        case 'directory':
          if (!existing) await mkdir(target, { mode });
          else if (!existing.isDirectory()) throw invalidArgument(`cannot overwrite non-directory with directory: ${h.name}`);
          entry.resume();
          break;
        case 'file':
        case 'contiguous-file': {
          const fh = await open(target, 'wx', mode);
          try {
            for await (const chunk of entry) await fh.write(chunk as Buffer);
          } finally {
            await fh.close();
          }
          await chmod(target, mode);
          break;
        }
        case 'symlink':
          await symlink(h.linkname ?? '', target);
          entry.resume();
          break;
        case 'link': {
          const from = await this.resolve(posix.join(dest, cleanInRoot(h.linkname ?? '')), false);
          await link(from, target);
          entry.resume();
          break;
        }
        default:
          entry.resume();
          throw invalidArgument(`unsupported entry type ${h.type} in archive: ${h.name}`);
      }
      if (h.type !== 'link') {
        const uid = opts.keepOwnership ? (h.uid ?? 0) : 0;
        const gid = opts.keepOwnership ? (h.gid ?? 0) : 0;
        await lchown(target, uid, gid).catch(() => {});
        if (h.mtime) await lutimes(target, h.mtime, h.mtime).catch(() => {});
      }
    }
    await done;
  }
}
