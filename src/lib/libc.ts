// The few libc calls Node lacks, through the koffi FFI: device nodes (overlay whiteouts are
// char devices 0/0, fifos come from tars), extended attributes on links (opaque dirs), and the
// mount syscalls (an overlay mount costs one syscall instead of an exec of /bin/mount).
//
// koffi is loaded on first use, so modules that import this file but never call it (the CLI)
// do not pay for loading a native addon. Every call is synchronous: each is a single short
// syscall. Failures throw an Error shaped like Node's fs errors: `code` ('ENOENT'), negative
// `errno`, `syscall` and `path`.
import { createRequire } from 'node:module';
import { getSystemErrorMap } from 'node:util';

type Fn = (...args: unknown[]) => number;
type KoffiFn = Fn & { async(...args: unknown[]): void };
interface Koffi {
  load(path: string): { func(decl: string): KoffiFn };
  errno(): number;
}

let fns: Record<string, Fn> | undefined;
let raw: Record<string, KoffiFn> = {};

function libc(): Record<string, Fn> {
  if (fns) return fns;
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const lib = koffi.load('libc.so.6');
  const decls: Record<string, string> = {
    mknod: 'int mknod(const char *path, uint32_t mode, uint64_t dev)',
    lsetxattr: 'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
    lgetxattr: 'long lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)',
    llistxattr: 'long llistxattr(const char *path, _Out_ void *list, size_t size)',
    lremovexattr: 'int lremovexattr(const char *path, const char *name)',
    mount: 'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
    umount2: 'int umount2(const char *target, int flags)',
    syncfs: 'int syncfs(int fd)',
    sync_file_range: 'int sync_file_range(int fd, int64_t offset, int64_t nbytes, unsigned int flags)',
    fsopen: 'int fsopen(const char *fsname, unsigned int flags)',
    fsconfig: 'int fsconfig(int fd, unsigned int cmd, const char *key, const char *value, int aux)',
    fsmount: 'int fsmount(int fd, unsigned int flags, unsigned int attrFlags)',
    move_mount: 'int move_mount(int fromDirfd, const char *fromPath, int toDirfd, const char *toPath, unsigned int flags)',
    malloc_trim: 'int malloc_trim(size_t pad)',
    mallopt: 'int mallopt(int param, int value)',
    statx: 'int statx(int dirfd, const char *path, int flags, unsigned int mask, _Out_ void *buf)',
  };
  const out: Record<string, Fn> = {};
  raw = {};
  for (const [name, decl] of Object.entries(decls)) {
    const f = lib.func(decl);
    raw[name] = f;
    // Read errno right after the call, before any other native code can overwrite it.
    out[name] = (...args: unknown[]) => {
      const r = Number(f(...args));
      return r < 0 ? -koffi.errno() : r;
    };
  }
  fns = out;
  return out;
}

/** Builds an Error like Node's fs errors from a positive errno value. */
export function errnoError(errno: number, syscall: string, path?: string): NodeJS.ErrnoException {
  const [code, desc] = getSystemErrorMap().get(-errno) ?? [`E${errno}`, 'unknown error'];
  const err: NodeJS.ErrnoException = new Error(`${code}: ${desc}, ${syscall}${path !== undefined ? ` '${path}'` : ''}`);
  err.code = code;
  err.errno = -errno;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  return err;
}

function call(name: string, path: string | undefined, ...args: unknown[]): number {
  const r = libc()[name]!(...args);
  if (r < 0) throw errnoError(-r, name, path);
  return r;
}

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** glibc's makedev(): the 64-bit dev_t for a major/minor pair. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** mknod(2): creates a device node or fifo; `mode` includes the type bits (S_IFCHR|0o600). Does not follow a final symlink (it fails with EEXIST). */
export function mknod(path: string, mode: number, dev: bigint | number = 0): void {
  call('mknod', path, path, mode >>> 0, BigInt(dev));
}

/** Creates an overlayfs whiteout (char device 0/0) at `path`. */
export function mkWhiteout(path: string): void {
  mknod(path, S_IFCHR | 0o000, 0);
}

/** mkfifo(3) via mknod(2). The mode is subject to the umask; chmod afterwards for exact bits. */
export function mkfifo(path: string, mode = 0o644): void {
  mknod(path, S_IFIFO | (mode & 0o7777), 0);
}

/** lsetxattr(2): sets an extended attribute on `path` itself (never through a final symlink). */
export function lsetxattr(path: string, name: string, value: Buffer | string, flags = 0): void {
  const buf = typeof value === 'string' ? Buffer.from(value) : value;
  call('lsetxattr', path, path, name, buf, buf.length, flags);
}

/** lgetxattr(2): an attribute's value, or undefined when it is absent (ENODATA). */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  for (let attempt = 0; attempt < 4; attempt++) {
    const size = libc().lgetxattr!(path, name, null, 0);
    if (size === -61 /* ENODATA */) return undefined;
    if (size < 0) throw errnoError(-size, 'lgetxattr', path);
    const buf = Buffer.alloc(size);
    if (size === 0) return buf;
    const n = libc().lgetxattr!(path, name, buf, size);
    if (n === -34 /* ERANGE: grew between the calls */) continue;
    if (n === -61) return undefined;
    if (n < 0) throw errnoError(-n, 'lgetxattr', path);
    return buf.subarray(0, n);
  }
  throw errnoError(34, 'lgetxattr', path);
}

/** llistxattr(2): names of all extended attributes of `path` itself (those this process may see). */
export function llistxattr(path: string): string[] {
  for (let attempt = 0; attempt < 4; attempt++) {
    const size = call('llistxattr', path, path, null, 0);
    if (size === 0) return [];
    const buf = Buffer.alloc(size);
    const n = libc().llistxattr!(path, buf, size);
    if (n === -34) continue;
    if (n < 0) throw errnoError(-n, 'llistxattr', path);
    return buf.subarray(0, n).toString('utf8').split('\0').filter(Boolean);
  }
  throw errnoError(34, 'llistxattr', path);
}

/** lremovexattr(2). */
export function lremovexattr(path: string, name: string): void {
  call('lremovexattr', path, path, name);
}

// mount(2) flags (linux/mount.h).
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_STRICTATIME = 0x1000000;
export const MNT_FORCE = 1;
export const MNT_DETACH = 2;
export const UMOUNT_NOFOLLOW = 8;

/** mount(2). `data` is the filesystem's option string; the kernel copies at most one page of it. */
export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  call('mount', target, source, target, fstype, flags, data);
}

/** umount2(2) with flags such as MNT_DETACH | UMOUNT_NOFOLLOW. */
export function umount2(target: string, flags = 0): void {
  call('umount2', target, target, flags);
}

/**
 * umount2(2) on koffi's worker thread: the unmount of an overlay waits for the kernel to tear the
 * mount down (milliseconds), which would otherwise block the event loop. errno is not readable
 * from that thread, so a failure is repeated synchronously to report the kernel's reason (a
 * failing unmount returns at once).
 */
export function umount2Async(target: string, flags = 0): Promise<void> {
  libc();
  return new Promise((resolve, reject) => {
    raw.umount2!.async(target, flags, (err: unknown, r: unknown) => {
      if (err) return reject(err);
      if (Number(r) >= 0) return resolve();
      try {
        umount2(target, flags);
        resolve();
      } catch (e) {
        reject(e);
      }
    });
  });
}

/**
 * mount(2) on koffi's worker thread: an overlay or tmpfs mount takes the kernel milliseconds (more
 * when other mounts and namespaces are being made or torn down beside it), which would otherwise
 * block the event loop. As umount2Async, a failure is repeated synchronously for its errno (a
 * mount that fails once fails again at once, and one that failed made nothing to undo).
 */
export function mountAsync(source: string, target: string, fstype: string | null, flags: number, data: string | null): Promise<void> {
  libc();
  return new Promise((resolve, reject) => {
    raw.mount!.async(source, target, fstype, flags, data, (err: unknown, r: unknown) => {
      if (err) return reject(err);
      if (Number(r) >= 0) return resolve();
      try {
        mount(source, target, fstype, flags, data);
        resolve();
      } catch (e) {
        reject(e);
      }
    });
  });
}

/**
 * syncfs(2) on koffi's worker thread: flushes the whole filesystem holding `fd` (one call instead
 * of an fsync per file) without blocking the event loop for the flush, which takes hundreds of
 * milliseconds after a large unpack. errno is not readable from that thread: a failure is EIO.
 */
export function syncfs(fd: number): Promise<void> {
  libc();
  return new Promise((resolve, reject) => {
    raw.syncfs!.async(fd, (err: unknown, r: unknown) => {
      if (err) reject(err);
      else if (Number(r) < 0) reject(errnoError(5, 'syncfs'));
      else resolve();
    });
  });
}

const SYNC_FILE_RANGE_WRITE = 2;

/**
 * sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) on koffi's worker thread: starts writeback of
 * the file's dirty pages without waiting for it, so a large file being written reaches the disk
 * while more of it arrives and the fsync at its end has less left to wait for. No durability
 * by itself (the fsync still decides); a failure is only reported (EIO), never fatal to callers.
 */
export function startWriteback(fd: number): Promise<void> {
  libc();
  return new Promise((resolve, reject) => {
    raw.sync_file_range!.async(fd, 0, 0, SYNC_FILE_RANGE_WRITE, (err: unknown, r: unknown) => {
      if (err) reject(err);
      else if (Number(r) < 0) reject(errnoError(5, 'sync_file_range'));
      else resolve();
    });
  });
}

/**
 * malloc_trim(0): gives the free pages of every malloc arena back to the kernel. glibc returns
 * freed memory on its own only from the top of the main arena, so what a burst of work freed in
 * the middle of an arena (a parser's zones, a thread's arena, libnftables' cache) stays resident.
 * About 1 ms; false when nothing could be released.
 */
export function mallocTrim(): boolean {
  return libc().malloc_trim!(0) === 1;
}

const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_ATTR_MOUNT_ROOT = 0x2000n;

/**
 * Whether `path` (itself, never through a final symlink) is the root of a mount, from statx(2)'s
 * STATX_ATTR_MOUNT_ROOT (Linux 5.8+): one syscall, where a scan of /proc/self/mountinfo reads
 * every mount of the host (~1 ms on a host with many containers). Undefined when the kernel does
 * not report the attribute.
 */
export function isMountRoot(path: string): boolean | undefined {
  const buf = Buffer.alloc(256); // struct statx
  call('statx', path, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, buf);
  const attributes = buf.readBigUInt64LE(8); // stx_attributes
  const known = buf.readBigUInt64LE(56); // stx_attributes_mask
  if ((known & STATX_ATTR_MOUNT_ROOT) === 0n) return undefined;
  return (attributes & STATX_ATTR_MOUNT_ROOT) !== 0n;
}

/** glibc's mallopt parameters (malloc.h). */
export const M_TRIM_THRESHOLD = -1;
export const M_ARENA_MAX = -8;

/** glibc's mallopt(); false when glibc refused the value. */
export function mallopt(param: number, value: number): boolean {
  return libc().mallopt!(param, value) === 1;
}

// The new mount API (Linux 5.2+): options are passed one by one, so no one-page limit applies.
export const FSCONFIG_SET_FLAG = 0;
export const FSCONFIG_SET_STRING = 1;
export const FSCONFIG_CMD_CREATE = 6;
export const FSOPEN_CLOEXEC = 1;
export const FSMOUNT_CLOEXEC = 1;
export const MOUNT_ATTR_RDONLY = 0x1;
export const MOUNT_ATTR_NOSUID = 0x2;
export const MOUNT_ATTR_NODEV = 0x4;
export const MOUNT_ATTR_NOEXEC = 0x8;
export const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
export const AT_FDCWD = -100;

/** fsopen(2): a filesystem context fd for `fsname` (e.g. 'overlay'). */
export function fsopen(fsname: string, flags = FSOPEN_CLOEXEC): number {
  return call('fsopen', undefined, fsname, flags);
}

/** fsconfig(2): sets one option (SET_STRING key=value, SET_FLAG key) or runs CMD_CREATE. */
export function fsconfig(fd: number, cmd: number, key: string | null, value: string | null, aux = 0): void {
  call('fsconfig', key ?? undefined, fd, cmd, key, value, aux);
}

/** fsmount(2): turns a created context into a detached mount fd. */
export function fsmount(fd: number, flags = FSMOUNT_CLOEXEC, attrFlags = 0): number {
  return call('fsmount', undefined, fd, flags, attrFlags);
}

/** move_mount(2) of a detached mount fd onto `target`. */
export function moveMount(fromFd: number, target: string): void {
  call('move_mount', target, fromFd, '', AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
}
