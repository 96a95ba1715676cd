// Persistent network namespaces: an nsfs bind mount at <netnsDir>/<containerId>. The namespace
// outlives the container's processes, so networking is set up before the runtime creates the
// container and torn down after it exits; the runtime joins it (`netns: { path }`).
import { open, readFile, unlink } from 'node:fs/promises';
import { umount2, MNT_DETACH, UMOUNT_NOFOLLOW } from '../lib/libc.js';
import { errnoCode } from '../lib/errors.js';
import { run } from './exec.js';

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

/** Runs iproute2 batch lines inside an existing namespace. */
export async function inNetns(path: string, batch: string): Promise<void> {
  await run('nsenter', [`--net=${path}`, 'ip', '-batch', '-'], batch);
}

/** Unmounts (lazily: a process may still hold it) and unlinks; absent is fine. */
export async function removeNetns(path: string): Promise<void> {
  for (let i = 0; i < 4; i++) {
    try {
      umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW);
    } catch (e) {
      const c = errnoCode(e);
      if (c === 'EINVAL' || c === 'ENOENT') break; // not (or no longer) a mount point
      throw e;
    }
  }
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
