// Filesystem access for cp, archive and commit: the container's merged filesystem, mounted for
// the call if it is not running, seen with its bind mounts and volumes overlaid.
import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { LayerChange } from '../store/layers/overlay-changes.js';
import { packLayerDir } from '../store/layers/pack-layer.js';
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

/** Mount points the runtime makes in every container: their placeholders in the upper dir are no change of the user's. */
const RUNTIME_MOUNT_POINTS = ['/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/sys', '/dev'];

/** `docker diff`: the container's upper dir against its image, without the mount points the runtime and its volumes own. */
export function containerChanges(core: ContainerCore, ref: string): Promise<LayerChange[]> {
  const { id } = core.index.get(ref);
  const owned = [...RUNTIME_MOUNT_POINTS, ...core.deps.volumes.mountPoints(id).map((m) => posix.normalize(`/${m.destination}`))];
  const skip = (p: string) => owned.some((o) => p === o || p.startsWith(`${o}/`));
  return core.lock.run(id, () => core.deps.layers.changes(id, { skip }));
}

/**
 * `docker export`: the merged filesystem as a tar, streamed. A container that is not running is
 * mounted read-only for the export and unmounted after it; the container's lock is held until
 * the stream ends, so it cannot start or go away under the reader. Volumes are not included
 * (Docker exports the container's layer stack only).
 */
export function exportContainer(core: ContainerCore, ref: string): Readable {
  const { id } = core.index.get(ref);
  const { paths, layers, mounter } = core.deps;
  const out = new PassThrough();
  void core.lock
    .run(id, async () => {
      const rootfs = paths.rootfs(id);
      const mounted = await mounter.isMounted(rootfs);
      if (!mounted) {
        await mkdir(rootfs, { recursive: true });
        const ro = (await layers.mounts(id)).map((m) => (m.type === 'overlay' && !m.options.includes('ro') ? { ...m, options: ['ro', ...m.options] } : m));
        await mounter.mount(ro, rootfs);
      }
      try {
        await pipeline(packLayerDir(rootfs), out);
      } finally {
        if (!mounted) await mounter.unmount(rootfs).catch((e) => log.warn('unmount after export', { id, error: messageOf(e) }));
      }
    })
    .catch((e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))));
  return out;
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
    container: { image: rec.config.image, config: rec.config },
  });
  core.emitEvent(rec, 'commit', { comment: opts.comment });
  return id;
}
