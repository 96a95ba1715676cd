// Filesystem access for cp, archive and commit: the container's merged filesystem, mounted for
// the call if it is not running, seen with its bind mounts and volumes overlaid.
import { randomBytes } from 'node:crypto';
import { mkdir, rmdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { LayerChange } from '../store/layers/overlay-changes.js';
import type { Mount } from '../store/layers/layer-store.js';
import { packLayerDir } from '../store/layers/pack-layer.js';
import { messageOf } from '../lib/errors.js';
import { log } from '../lib/log.js';
import type { Digest } from '../lib/digest.js';
import type { ContainerRecord, ContainerSnapshot } from './container-record.js';
import { isLive, type ContainerCore } from './container-core.js';
import { writeEtcFiles } from './etc-files.js';
import { containerUserns } from './spec-input-from-record.js';
import { rootOwnerOf } from '../lib/id-map.js';
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
      if (!isLive(rec)) await writeEtcFiles(paths, rec, undefined, [], [], rootOwnerOf(containerUserns(core.deps.spec, rec))).catch(() => {});
    }
    try {
      return await fn(new ContainerFs(rootfs, overlaysFor(core, rec), core.deps.spec.userns), rec);
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
 * A read-only view of a container's layer stack: its upper dir becomes the top lower dir, so the
 * view needs no work dir and can be mounted beside the container's own (running) mount.
 */
export function readOnlyView(mounts: Mount[]): Mount[] {
  return mounts.map((m) => {
    if (m.type !== 'overlay') return m;
    const upper = m.options.find((o) => o.startsWith('upperdir='))?.slice('upperdir='.length);
    const rest = m.options.filter((o) => o !== 'ro' && !o.startsWith('upperdir=') && !o.startsWith('workdir='));
    const lowerIdx = rest.findIndex((o) => o.startsWith('lowerdir='));
    if (upper && lowerIdx >= 0) rest[lowerIdx] = `lowerdir=${upper}:${rest[lowerIdx]!.slice('lowerdir='.length)}`;
    return { ...m, options: ['ro', ...rest] };
  });
}

/**
 * `docker export`: the merged filesystem as a tar, streamed from a read-only view of the
 * container's layers mounted for the export alone. The container's lock is held only while the
 * view is mounted, not for the stream: as with dockerd, a client that opens an export and does
 * not read it (dockerode's own tests do) must not block stop, start or commit. Volumes are not
 * included (Docker exports the container's layer stack only).
 */
export function exportContainer(core: ContainerCore, ref: string): Readable {
  const { id } = core.index.get(ref);
  const { paths, layers, mounter } = core.deps;
  const out = new PassThrough();
  const view = paths.exportView(id, randomBytes(6).toString('hex'));
  void core.lock
    .run(id, async () => {
      await mkdir(view, { recursive: true });
      await mounter.mount(readOnlyView(await layers.mounts(id)), view);
    })
    .then(async () => {
      try {
        await pipeline(packLayerDir(view, undefined, { idMap: core.deps.spec.userns }), out);
      } finally {
        await mounter.unmount(view).catch((e) => log.warn('unmount after export', { id, error: messageOf(e) }));
        await rmdir(view).catch(() => {});
      }
    })
    .catch(async (e: unknown) => {
      await rmdir(view).catch(() => {});
      out.destroy(e instanceof Error ? e : new Error(String(e)));
    });
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
