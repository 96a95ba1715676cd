// Tar helpers for cp with docker's archive package semantics: entry names rebased from the
// source's base name to the destination's (RebaseArchiveEntries), extraction that never lets a
// non-directory replace a directory (NoOverwriteDirNonDir), modes and mtimes kept, no chown.
import {
  createReadStream,
  createWriteStream,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  lutimesSync,
  type Stats,
} from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

/** archive.SplitPathDirEntry: "/a/b/." → ["/a/b", "."], "/a/b/" → ["/a", "b"]. */
export function splitPathDirEntry(path: string): [string, string] {
  let clean = posix.normalize(path);
  if (clean.length > 1) clean = clean.replace(/\/+$/, '');
  if (path === '.' || path.endsWith('/.')) clean = `${clean === '/' ? '' : clean}/.`;
  return [posix.dirname(clean), posix.basename(clean)];
}

/** strings.Replace(name, oldBase, newBase, 1), as RebaseArchiveEntries does. */
export function rebaseName(name: string, from?: string, to?: string): string {
  if (from === undefined || to === undefined) return name;
  const i = name.indexOf(from);
  return i < 0 ? name : name.slice(0, i) + to + name.slice(i + from.length);
}

const isDir = (p: string) => {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * The archive is hostile (a container's content, or whatever answers on DOCKER_HOST): an entry
 * must never be written through a symlink, whether the archive made it earlier or it was there.
 */
function assertRealParents(root: string, target: string, name: string): void {
  const parts = relative(root, dirname(target)).split(sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const p = join(root, ...parts.slice(0, i));
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    } // missing: made as a real directory below
    if (st.isSymbolicLink()) throw new Error(`refusing to extract "${name}": its path goes through the symbolic link "${p}"`);
  }
}

/** Untar into dir with the entry names rebased; a file never overwrites a directory. */
export async function extractTo(src: Readable, dir: string, from?: string, to?: string): Promise<void> {
  const root = resolve(dir);
  const ex = tar.extract();
  const dirTimes: [string, Date][] = [];
  const done = new Promise<void>((res, rej) => {
    ex.on('finish', res);
    ex.on('error', rej);
  });
  ex.on('entry', (h, stream, next) => {
    stream.on('error', () => {}); // destroying the extractor errors the entry too: reported once, through `done`
    const target = resolve(root, rebaseName(h.name, from, to));
    const finish = (e?: unknown) => {
      if (e) ex.destroy(e as Error);
      else next();
    };
    const skip = () => {
      stream.resume();
      stream.on('end', () => finish());
    };
    if (target !== root && !target.startsWith(root + sep)) {
      skip();
      return;
    }
    try {
      assertRealParents(root, target, h.name);
      if (h.type === 'directory') {
        if (lstatSync(target, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(target);
        mkdirSync(target, { recursive: true, mode: h.mode });
        if (h.mtime) dirTimes.push([target, h.mtime]);
        skip();
        return;
      }
      if (isDir(target)) throw new Error(`cannot overwrite directory "${target}" with non-directory "${h.name}"`);
      mkdirSync(dirname(target), { recursive: true });
      rmSync(target, { force: true });
      if (h.type === 'symlink') {
        symlinkSync(h.linkname!, target);
        skip();
      } else if (h.type === 'file') {
        pipeline(stream, createWriteStream(target, { mode: h.mode })).then(() => {
          if (h.mtime) utimesSync(target, h.mtime, h.mtime);
          finish();
        }, finish);
      } else skip();
    } catch (e) {
      stream.resume();
      finish(e);
    }
  });
  src.pipe(ex);
  await done;
  for (const [p, t] of dirTimes.reverse()) {
    try {
      lutimesSync(p, t, t);
    } catch {
      /* best effort */
    }
  }
}

/** TarResource of a local path: entries named from `name` (the path's base, possibly "."). */
export function packPath(path: string, name: string, follow: boolean, rebase?: [string, string]): Readable {
  const pack = tar.pack();
  const add = async (abs: string, entry: string, st: Stats): Promise<void> => {
    const base = { name: rebaseName(entry, rebase?.[0], rebase?.[1]), mode: st.mode & 0o7777, mtime: st.mtime, uid: st.uid, gid: st.gid };
    if (st.isDirectory()) {
      pack.entry({ ...base, type: 'directory' });
      for (const n of readdirSync(abs).sort()) {
        const p = join(abs, n);
        await add(p, `${entry}/${n}`, lstatSync(p));
      }
    } else if (st.isSymbolicLink()) pack.entry({ ...base, type: 'symlink', linkname: readlinkSync(abs) });
    else if (st.isFile()) {
      await new Promise<void>((res, rej) => {
        const e = pack.entry({ ...base, size: st.size, type: 'file' }, (err) => (err ? rej(err) : res()));
        createReadStream(abs).on('error', rej).pipe(e);
      });
    }
  };
  add(path, name, follow ? statSync(path) : lstatSync(path)).then(
    () => pack.finalize(),
    (e: Error) => pack.destroy(e),
  );
  return pack as unknown as Readable;
}
