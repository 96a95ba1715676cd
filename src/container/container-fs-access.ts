// Filesystem access for cp, archive and commit: the container's merged filesystem, mounted for
// the call if it is not running, seen with its bind mounts and volumes overlaid.
import { mkdir } from 'node:fs/promises';
import { messageOf } from '../lib/errors.js';
import { log } from '../lib/log.js';
import type { Digest } from '../lib/digest.js';
import type { ContainerRecord, ContainerSnapshot } from './container-record.js';
import { isLive, type ContainerCore } from './container-core.js';
import { writeEtcFiles } from './etc-files.js';
import { ContainerFs, type MountOverlay } from './archive.js';

/** Host files that appear inside the container through bind mounts and volumes. */
function overlaysFor(core: ContainerCore, rec: ContainerSnapshot): MountOverlay[] {
  const p = core.deps.paths;
  const out: MountOverlay[] = [
    { destination: '/etc/hostname', source: p.hostname(rec.id) },
    { destination: '/etc/hosts', source: p.hosts(rec.id) },
    { destination: '/etc/resolv.conf', source: p.resolvConf(rec.id) },
  ];
  for (const m of core.deps.volumes.mountPoints(rec.id)) if (m.type !== 'tmpfs' && m.source) out.push({ destination: m.destination, source: m.source });
  return out;
}

/** Runs fn with the container's merged filesystem mounted (temporarily if it is not running), under its lock. */
export async function withContainerFs<T>(core: ContainerCore, ref: string, fn: (fs: ContainerFs, rec: ContainerSnapshot) => Promise<T>): Promise<T> {
  const { id } = core.index.get(ref);
  const { paths, layers, mounter } = core.deps;
  return core.lock.run(id, async () => {
    const rec = core.index.get(id);
    const rootfs = paths.rootfs(id);
    const mounted = await mounter.isMounted(rootfs);
    if (!mounted) {
      await mkdir(rootfs, { recursive: true });
      await mounter.mount(await layers.mounts(id), rootfs);
      if (!isLive(rec)) await writeEtcFiles(paths, rec).catch(() => {});
    }
    try {
      return await fn(new ContainerFs(rootfs, overlaysFor(core, rec)), rec);
    } finally {
      if (!mounted) await mounter.unmount(rootfs).catch((e) => log.warn('unmount after fs access', { id, error: messageOf(e) }));
    }
  });
}

export async function commitContainer(
  core: ContainerCore,
  ref: string,
  opts: { ref?: string; author: string; comment: string; changes: string[]; config?: Partial<ContainerRecord['config']> },
): Promise<Digest> {
  const rec = core.index.get(ref);
  const c = { ...rec.config, ...(opts.config ?? {}) };
  const id = await core.deps.images.commit({
    imageId: rec.imageId,
    diff: core.deps.layers.diff(rec.id),
    config: {
      cmd: c.cmd,
      entrypoint: c.entrypoint,
      env: c.env,
      workingDir: c.workingDir,
      user: c.user,
      labels: c.labels,
      exposedPorts: c.exposedPorts,
      volumes: c.volumes,
      stopSignal: c.stopSignal,
      healthcheck: c.healthcheck,
      onBuild: c.onBuild,
      shell: c.shell,
      hostname: c.hostname,
      domainname: c.domainname,
      tty: c.tty,
      openStdin: c.openStdin,
    },
    author: opts.author,
    comment: opts.comment,
    ref: opts.ref,
    changes: opts.changes,
    containerId: rec.id,
  });
  core.emitEvent(rec, 'commit', { comment: opts.comment });
  return id;
}
