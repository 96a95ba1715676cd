// Copy-up: an empty volume mounted over a path that has content in the image starts with a copy
// of that content (Docker's copyExistingContents), keeping ownership, modes, times, symlinks,
// hard links, device nodes, fifos and xattrs. The image is untrusted: the source path is
// resolved inside the rootfs (symlinks are interpreted relative to it), and inside the tree
// symlinks are copied as links, never followed; files are opened with O_NOFOLLOW.
import { chmod, lchown, link, lstat, lutimes, mkdir, open, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { constants, type Stats } from 'node:fs';
import { join } from 'node:path';
import * as libc from '../lib/libc.js';
import { errnoCode } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { resolveInRoot } from '../lib/safe-path.js';

/**
 * Copies `<rootfs>/<destination>` into `target` if the source is a directory and `target` is
 * empty. Returns true if it copied. The target directory itself takes the source's owner and mode.
 * `pending` (a path outside `target`) marks a copy in progress: one a kill cut off left only part
 * of the content, which the next copy-up clears and copies again (a partial volume would otherwise
 * count as populated for good; found by the torture driver).
 */
export async function copyUp(rootfs: string, destination: string, target: string, pending?: string): Promise<boolean> {
  if (pending && (await lstat(pending).catch(() => undefined))) {
    log.info('copy-up: clearing what an interrupted copy left', { target });
    for (const name of await readdir(target)) await rm(join(target, name), { recursive: true, force: true });
    await rm(pending, { force: true });
  }
  const src = await resolveInRoot(rootfs, destination);
  let st: Stats;
  try {
    st = await lstat(src);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return false;
    throw e;
  }
  if (!st.isDirectory()) return false;
  if ((await readdir(target)).length > 0) return false;
  if (pending) await writeFile(pending, '');
  const links = new Map<string, string>();
  await copyChildren(src, target, links);
  await applyMeta(target, st, src);
  if (pending) await rm(pending, { force: true });
  return true;
}

async function copyChildren(srcDir: string, dstDir: string, links: Map<string, string>): Promise<void> {
  for (const name of await readdir(srcDir)) {
    const s = join(srcDir, name);
    const d = join(dstDir, name);
    const st = await lstat(s);
    if (!st.isDirectory() && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first) {
        await link(first, d);
        continue;
      }
      links.set(key, d);
    }
    if (st.isDirectory()) {
      await mkdir(d, { mode: 0o700 });
      await copyChildren(s, d, links);
    } else if (st.isSymbolicLink()) {
      await symlink(await readlink(s), d);
    } else if (st.isFile()) {
      await copyFileNoFollow(s, d);
    } else if (st.isFIFO()) {
      libc.mkfifo(d, st.mode & 0o7777);
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      libc.mknod(d, st.mode, BigInt(st.rdev));
    } else continue; // sockets are not copied
    await applyMeta(d, st, s);
  }
}

async function copyFileNoFollow(src: string, dst: string): Promise<void> {
  const input = await open(src, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const output = await open(dst, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      for (;;) {
        const { bytesRead } = await input.read(buf, 0, buf.length, null);
        if (bytesRead === 0) break;
        let off = 0;
        while (off < bytesRead) off += (await output.write(buf, off, bytesRead - off)).bytesWritten;
      }
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/** Owner, then mode (chown clears set-id bits), xattrs, times; symlinks get owner, xattrs and times only. */
async function applyMeta(dst: string, st: Stats, src: string): Promise<void> {
  await lchown(dst, st.uid, st.gid);
  if (!st.isSymbolicLink()) await chmod(dst, st.mode & 0o7777);
  copyXattrs(src, dst);
  await lutimes(dst, st.atime, st.mtime);
}

function copyXattrs(src: string, dst: string): void {
  let names: string[];
  try {
    names = libc.llistxattr(src);
  } catch {
    return;
  }
  for (const n of names) {
    try {
      const v = libc.lgetxattr(src, n);
      if (v !== undefined) libc.lsetxattr(dst, n, v);
    } catch (e) {
      log.debug('copy-up: xattr not copied', { path: dst, name: n, error: (e as Error).message });
    }
  }
}
