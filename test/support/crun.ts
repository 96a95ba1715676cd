// For tests that run bundles under the real crun: the skip reason, a busybox root filesystem,
// and removal of the cgroups a test made (crun removes each container's own; the shared
// parent named after the test is the test's to remove).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './conformance.js';
import { requiresRoot } from './requires-root.js';

const CRUN = '/usr/bin/crun';

/** False when root with crun installed; otherwise why the test is skipped. */
export function requiresCrun(): string | false {
  return requiresRoot('real crun') || (!existsSync(CRUN) ? `needs crun at ${CRUN}` : false);
}

/** A minimal busybox root filesystem in `dir` (scripts/make-busybox-rootfs.sh). */
export async function makeBusyboxRootfs(dir: string): Promise<void> {
  await promisify(execFile)(join(repoRoot(), 'scripts/make-busybox-rootfs.sh'), [dir]);
}

/** Removes `/sys/fs/cgroup/<controller>/<name>` and its child groups in every hierarchy. */
export async function removeTestCgroups(name: string): Promise<void> {
  for (const ctl of await readdir('/sys/fs/cgroup').catch(() => [] as string[])) {
    const p = join('/sys/fs/cgroup', ctl, name);
    if (!existsSync(p)) continue;
    for (const child of await readdir(p, { withFileTypes: true })) if (child.isDirectory()) await rmdir(join(p, child.name)).catch(() => {});
    await rmdir(p).catch(() => {});
  }
}
