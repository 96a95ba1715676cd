// Performs mount descriptions (from the layer store, volumes) with direct syscalls.
//
// Overlay and the one-page limit: mount(2) copies at most one page (4096 bytes) of option data,
// so an overlay with many lower layers does not fit even with short paths. When the data does
// not fit, the overlay is mounted with the new mount API instead: fsopen + one
// fsconfig("lowerdir+", path) per layer (Linux 6.8+) + fsmount + move_mount, which has no
// total-length limit. Paths therefore never depend on the process's cwd.
import { readFile } from 'node:fs/promises';
import { closeSync, realpathSync } from 'node:fs';
import * as libc from './libc.js';

export interface MountSpec {
  type: string;
  source: string;
  options: string[];
}

const PAGE = 4096;

const FLAGS: Record<string, { set?: number; clear?: number; attr?: number }> = {
  ro: { set: libc.MS_RDONLY, attr: libc.MOUNT_ATTR_RDONLY },
  rw: { clear: libc.MS_RDONLY },
  nosuid: { set: libc.MS_NOSUID, attr: libc.MOUNT_ATTR_NOSUID },
  suid: { clear: libc.MS_NOSUID },
  nodev: { set: libc.MS_NODEV, attr: libc.MOUNT_ATTR_NODEV },
  dev: { clear: libc.MS_NODEV },
  noexec: { set: libc.MS_NOEXEC, attr: libc.MOUNT_ATTR_NOEXEC },
  exec: { clear: libc.MS_NOEXEC },
  bind: { set: libc.MS_BIND },
  rbind: { set: libc.MS_BIND | libc.MS_REC },
  relatime: { set: libc.MS_RELATIME },
  noatime: { set: libc.MS_NOATIME },
  nodiratime: { set: libc.MS_NODIRATIME },
  strictatime: { set: libc.MS_STRICTATIME },
  remount: { set: libc.MS_REMOUNT },
};
const PROPAGATION: Record<string, number> = {
  private: libc.MS_PRIVATE,
  rprivate: libc.MS_PRIVATE | libc.MS_REC,
  slave: libc.MS_SLAVE,
  rslave: libc.MS_SLAVE | libc.MS_REC,
  shared: libc.MS_SHARED,
  rshared: libc.MS_SHARED | libc.MS_REC,
};

interface Parsed {
  flags: number;
  attrs: number;
  propagation: number;
  data: string[];
}

function parseOptions(options: string[]): Parsed {
  const p: Parsed = { flags: 0, attrs: 0, propagation: 0, data: [] };
  for (const o of options) {
    const f = FLAGS[o];
    if (f) {
      if (f.set) p.flags |= f.set;
      if (f.clear) p.flags &= ~f.clear;
      if (f.attr) p.attrs |= f.attr;
    } else if (PROPAGATION[o] !== undefined) p.propagation |= PROPAGATION[o]!;
    else p.data.push(o);
  }
  return p;
}

/** Splits an overlay lowerdir value on unescaped ':' (a literal colon is written '\:'). */
function splitLowerdirs(value: string): string[] {
  return value.split(/(?<!\\):/).map((s) => s.replace(/\\:/g, ':'));
}

function mountOverlayFsconfig(m: MountSpec, target: string, p: Parsed): void {
  const fd = libc.fsopen('overlay');
  let mfd = -1;
  try {
    libc.fsconfig(fd, libc.FSCONFIG_SET_STRING, 'source', m.source || 'overlay');
    for (const opt of p.data) {
      const eq = opt.indexOf('=');
      if (eq < 0) {
        libc.fsconfig(fd, libc.FSCONFIG_SET_FLAG, opt, null);
        continue;
      }
      const key = opt.slice(0, eq);
      const value = opt.slice(eq + 1);
      if (key === 'lowerdir') {
        for (const dir of splitLowerdirs(value)) libc.fsconfig(fd, libc.FSCONFIG_SET_STRING, 'lowerdir+', dir);
      } else libc.fsconfig(fd, libc.FSCONFIG_SET_STRING, key, value);
    }
    libc.fsconfig(fd, libc.FSCONFIG_CMD_CREATE, null, null);
    mfd = libc.fsmount(fd, libc.FSMOUNT_CLOEXEC, p.attrs);
    libc.moveMount(mfd, target);
  } finally {
    if (mfd >= 0) closeSync(mfd);
    closeSync(fd);
  }
}

/** Performs one mount description onto `target`. */
export function mountOne(m: MountSpec, target: string): void {
  const p = parseOptions(m.options);
  const data = p.data.join(',');
  if (p.flags & libc.MS_BIND) {
    libc.mount(m.source, target, null, p.flags & (libc.MS_BIND | libc.MS_REC), null);
    // A bind mount ignores other flags on creation: apply them with a remount.
    const rest = p.flags & ~(libc.MS_BIND | libc.MS_REC | libc.MS_REMOUNT);
    if (rest) {
      try {
        libc.mount('', target, null, libc.MS_REMOUNT | libc.MS_BIND | rest, null);
      } catch (e) {
        libc.umount2(target, libc.MNT_DETACH);
        throw e;
      }
    }
  } else if (m.type === 'overlay' && Buffer.byteLength(data) >= PAGE) {
    mountOverlayFsconfig(m, target, p);
  } else {
    libc.mount(m.source, target, m.type, p.flags, data || null);
  }
  if (p.propagation) libc.mount('', target, null, p.propagation, null);
}

/**
 * mountOne, with a plain filesystem mount (a container's overlay rootfs, a tmpfs) made on koffi's
 * worker thread, off the event loop; bind mounts and long overlay option lists stay synchronous.
 */
async function mountOneOffLoop(m: MountSpec, target: string): Promise<void> {
  const p = parseOptions(m.options);
  const data = p.data.join(',');
  if (p.flags & libc.MS_BIND || (m.type === 'overlay' && Buffer.byteLength(data) >= PAGE)) return mountOne(m, target);
  await libc.mountAsync(m.source, target, m.type, p.flags, data || null);
  if (p.propagation) libc.mount('', target, null, p.propagation, null);
}

/**
 * Performs the mounts in order onto `target` (as containerd's mount.All). If one fails, the
 * ones already made are detached again, so the caller sees all or nothing.
 */
export async function mountAll(mounts: MountSpec[], target: string): Promise<void> {
  let done = 0;
  try {
    for (const m of mounts) {
      await mountOneOffLoop(m, target);
      done++;
    }
  } catch (e) {
    for (; done > 0; done--) {
      try {
        libc.umount2(target, libc.MNT_DETACH | libc.UMOUNT_NOFOLLOW);
      } catch {
        /* best effort rollback; the original error matters */
      }
    }
    throw e;
  }
}

/**
 * Unmounts `target` (never following a final symlink). With `detach`, the mount is lazily
 * detached even while busy. Fails with code EINVAL if `target` is not a mount point.
 */
export async function unmount(target: string, opts: { detach?: boolean } = {}): Promise<void> {
  // A lazy unmount cannot block on a busy mount, so it is safe on the worker thread; a plain one
  // stays synchronous (it fails at once with EBUSY instead).
  if (opts.detach) await libc.umount2Async(target, libc.UMOUNT_NOFOLLOW | libc.MNT_DETACH);
  else libc.umount2(target, libc.UMOUNT_NOFOLLOW);
}

/** Unescapes a mountinfo path field (\040 for space, \011 tab, \012 newline, \134 backslash). */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * All mount points of this process's mount namespace, in mount order. Read through the pool: on a
 * host with many mounts the kernel spends ~0.6 ms making the text, which a synchronous read put on
 * berthd's loop (bench/README.md, session 21).
 */
export async function listMountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => unescapeMountinfo(line.split(' ')[4]!));
}

/**
 * True if `path` (after resolving symlinks) is a mount point; false if it does not exist. Asked at
 * every container start and removal: statx's mount-root attribute answers it in one syscall;
 * the mountinfo scan is the fallback for kernels without it.
 */
export async function isMountPoint(path: string): Promise<boolean> {
  let real: string;
  try {
    real = realpathSync.native(path);
  } catch {
    return false;
  }
  try {
    const root = libc.isMountRoot(real);
    if (root !== undefined) return root;
  } catch {
    // gone meanwhile, or no statx: the scan below decides
  }
  return (await listMountPoints()).includes(real);
}

/** Mount points at or below `prefix`, deepest first (the order to unmount them in). */
export async function mountPointsUnder(prefix: string): Promise<string[]> {
  const base = prefix.replace(/\/+$/, '');
  const all = await listMountPoints();
  return all.filter((m) => m === base || m.startsWith(base + '/')).reverse();
}
