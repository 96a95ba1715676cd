// Persistent network namespaces: an nsfs bind mount at <netnsDir>/<containerId>. The namespace
// outlives the container's processes, so networking is set up before the runtime creates the
// container and torn down after it exits; the runtime joins it (`netns: { path }`).
import { open, readFile, unlink } from 'node:fs/promises';
import { openSync } from 'node:fs';
import { umount2Async, mount, errnoError, MNT_DETACH, UMOUNT_NOFOLLOW, MS_BIND } from '../lib/libc.js';
import { errnoCode } from '../lib/errors.js';
import { log } from '../lib/log.js';
import { run } from './exec.js';
import { Rtnl, type NetlinkSys } from './netlink.js';

const CLONE_NEWNET = 0x40000000;
/** The daemon's own namespace, to return to (opened before the first switch). */
let hostNs: number | undefined;

/**
 * Creates the namespace and runs `batch` (iproute2 batch lines) inside it, in one exec:
 * `unshare --net=PATH` makes the namespace, bind-mounts it at PATH and execs `ip` inside.
 */
export async function createNetns(path: string, batch: string): Promise<void> {
  await (await open(path, 'w', 0o444)).close();
  try {
    await run('unshare', [`--net=${path}`, 'ip', '-batch', '-'], batch);
  } catch (e) {
    await removeNetns(path);
    throw e;
  }
}

/**
 * Creates the namespace without an exec and returns an rtnetlink socket inside it. The main
 * thread enters a new namespace (unshare), opens the socket there (a socket keeps its namespace
 * for life), bind-mounts the namespace at `path` and goes back (setns), all synchronously, so no
 * other JavaScript ever runs in the container's namespace. Only this thread switches: libuv's
 * threads stay in the daemon's namespace throughout.
 */
export async function createNetnsSocket(path: string, s: NetlinkSys): Promise<Rtnl> {
  await (await open(path, 'w', 0o444)).close();
  hostNs ??= openSync('/proc/thread-self/ns/net', 'r');
  if (s.unshare(CLONE_NEWNET) < 0) {
    const e = errnoError(s.errno(), 'unshare', path);
    await removeNetns(path);
    throw e;
  }
  let rtnl: Rtnl | undefined;
  let failure: unknown;
  try {
    rtnl = Rtnl.open(s);
    mount('/proc/thread-self/ns/net', path, null, MS_BIND, null);
  } catch (e) {
    failure = e;
  } finally {
    if (s.setns(hostNs, CLONE_NEWNET) < 0) {
      // Every later socket of the daemon would be inside a container's namespace: stop now;
      // recovery at the next start removes the half-made namespace.
      log.error('cannot return to the daemon network namespace', { errno: s.errno() });
      process.exit(70);
    }
  }
  if (failure !== undefined) {
    rtnl?.close();
    await removeNetns(path);
    throw failure;
  }
  return rtnl!;
}

/** Runs iproute2 batch lines inside an existing namespace. */
export async function inNetns(path: string, batch: string): Promise<void> {
  await run('nsenter', [`--net=${path}`, 'ip', '-batch', '-'], batch);
}

/**
 * Drops the bind mount (lazily: a process may still hold it), keeping the file. Once nothing
 * else holds the namespace, the kernel destroys it in the background, and its veths with it.
 * On koffi's worker thread: the unmount waits for the kernel (milliseconds under load, longer
 * while other namespaces are being torn down), which would block the event loop.
 */
export async function unmountNetns(path: string): Promise<void> {
  for (let i = 0; i < 4; i++) {
    try {
      await umount2Async(path, MNT_DETACH | UMOUNT_NOFOLLOW);
    } catch (e) {
      const c = errnoCode(e);
      if (c === 'EINVAL' || c === 'ENOENT') break; // not (or no longer) a mount point
      throw e;
    }
  }
}

/** Unmounts and unlinks; absent is fine. */
export async function removeNetns(path: string): Promise<void> {
  await unmountNetns(path);
  await unlink(path).catch((e) => {
    if (errnoCode(e) !== 'ENOENT') throw e;
  });
}

/** Mount points of namespaces under `dir` (from /proc/self/mountinfo). */
export async function mountedNetns(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const prefix = dir.endsWith('/') ? dir : dir + '/';
  const out = new Set<string>();
  for (const line of info.split('\n')) {
    const f = line.split(' ');
    const target = f[4]?.replace(/\\040/g, ' ');
    const sep = f.indexOf('-');
    if (target && target.startsWith(prefix) && f[sep + 1] === 'nsfs') out.add(target);
  }
  return [...out];
}
