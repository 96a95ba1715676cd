// The slow half of a sandbox teardown, off the caller's path. Deleting a veth costs the kernel
// ~20 ms (RCU grace periods), which would sit between a container's exit and its removal
// (`docker run --rm` waits for that). Instead the exit path only unmounts the namespace and
// forgets the sandbox; the kernel then destroys the namespace in the background, and the veth
// pair with it. The reaper waits for the host ends to vanish, deletes them itself if something
// else still holds the namespace (a `container:` joiner, a stray nsenter), and unlinks the netns
// file last: a file under netnsDir is the mark of a teardown not yet finished.
//
// Crash safety: nothing here is recorded. After kill -9, recover() removes netns files and tagged
// links that no sandbox record names, which is exactly what a pending reap leaves.
import { log } from '../lib/log.js';
import { messageOf } from '../lib/errors.js';
import { deleteLinks, linkExists } from './link.js';
import { removeNetns } from './netns.js';

/** How long the kernel may take to destroy an unreferenced namespace before links are deleted by hand. */
const KERNEL_GRACE_MS = 1000;
const POLL_MS = 10;

export class Reaper {
  private readonly pending = new Map<string, Promise<void>>();

  /** Starts finishing a teardown whose namespace is already unmounted; `key` is the container id. */
  reap(key: string, veths: string[], netnsPath: string): void {
    const prev = this.pending.get(key) ?? Promise.resolve();
    const p: Promise<void> = prev
      .then(() => finish(veths, netnsPath))
      .catch((e) => log.warn('finishing a network teardown', { key, error: messageOf(e) }))
      .finally(() => {
        if (this.pending.get(key) === p) this.pending.delete(key);
      });
    this.pending.set(key, p);
  }

  /** Resolves when the teardown for `key` (if any) is done: before reusing its names. */
  async wait(key: string): Promise<void> {
    await this.pending.get(key);
  }

  /** Resolves when every pending teardown is done. */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending.values());
  }
}

async function finish(veths: string[], netnsPath: string): Promise<void> {
  const deadline = Date.now() + KERNEL_GRACE_MS;
  let left = veths;
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    left = (await Promise.all(left.map(async (v) => ((await linkExists(v)) ? v : '')))).filter(Boolean);
  }
  if (left.length) await deleteLinks(left);
  await removeNetns(netnsPath);
}
