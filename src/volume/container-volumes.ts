// The container domain's entry to volumes. Lifecycle of one container's mounts:
//   attach   (create)  decide the mounts (resolveMounts), record them = reference the volumes,
//                      create missing named/anonymous volumes
//   prepare  (start)   create volumes that went missing, mount driver-option volumes, copy-up the
//                      image's content into new empty volumes (first start only), create missing
//                      -v host dirs; returns the runtime mounts, parents first
//   release  (exit)    unmount driver-option volumes no running container still uses
//   detach   (rm)      drop the references; with removeAnonymous (rm -v) remove anonymous volumes
//   reconcile(daemon start) drop records of containers that no longer exist
// Everything is idempotent, so a crash between steps is repaired by repeating the step.
import { stat } from 'node:fs/promises';
import { errnoCode, isBerthError, messageOf } from '../lib/errors.js';
import { invalidMountConfig } from '../lib/docker-messages.js';
import { KeyedMutex } from '../lib/mutex.js';
import { log } from '../lib/log.js';
import { resolveInRoot } from '../lib/safe-path.js';
import { existsSync } from 'node:fs';
import { mkdirOwned } from '../lib/mkdir-owned.js';
import { copyUp } from './copy-up.js';
import { validateLocalOptions } from './local-options.js';
import type { HostMount, MountPoint, MountsInput } from './mount-point.js';
import { hostMount, resolveMounts, sortByDepth, type ResolveEnv } from './resolve-mounts.js';
import { randomVolumeName } from './volume-name.js';
import { volumeNamesOf, type ContainerVolumesRecord } from './volume-record.js';
import type { VolumeStore } from './volume-store.js';

export interface AttachOptions {
  /** Resolves a --volumes-from reference (name, id or id prefix) to a container id. */
  resolveContainer(ref: string): string | undefined;
}

const NO_MOUNTS: MountPoint[] = Object.freeze([]) as unknown as MountPoint[];

export class ContainerVolumes {
  private readonly copyLock = new KeyedMutex();

  constructor(
    readonly store: VolumeStore,
    private readonly env: Partial<Pick<ResolveEnv, 'bindSourceExists' | 'randomName'>> = {},
  ) {}

  /** The container's decided mount points (inspect's Mounts; [] for a container without any). */
  /** The container's mount points: the stored snapshot itself (one shared empty list when none), the same array until it changes. */
  mountPoints(containerId: string): MountPoint[] {
    return this.store.containers.get(containerId)?.mountPoints ?? NO_MOUNTS;
  }

  /** Decides and records the container's mounts; creates the volumes it names. Throws Docker's 400s. */
  async attach(containerId: string, input: MountsInput, opts: AttachOptions): Promise<MountPoint[]> {
    const { store } = this;
    return store.lock.run('', async () => {
      const mountPoints = resolveMounts(input, {
        lookupContainer: (ref) => {
          const id = opts.resolveContainer(ref);
          return id === undefined ? undefined : { id, mountPoints: this.mountPoints(id) };
        },
        bindSourceExists: this.env.bindSourceExists ?? ((p) => existsSync(p)),
        volumePath: (name) => store.path(name),
        randomName: this.env.randomName ?? randomVolumeName,
      });
      // Validate what would be created before recording anything.
      for (const mp of mountPoints) if (mp.type === 'volume' && !store.has(mp.name!)) validateLocalOptions(mp.create?.options);
      // A container without mounts has nothing to record (most `run --rm`s): every step below
      // treats a missing record as no mounts.
      if (!mountPoints.length) return mountPoints;
      const rec: ContainerVolumesRecord = { schemaVersion: 1, containerId, mountPoints, active: false, populated: false };
      await store.putContainer(rec); // the references first: nothing can remove these volumes now
      const created: string[] = [];
      try {
        for (const mp of mountPoints) {
          if (mp.type !== 'volume' || store.has(mp.name!)) continue;
          await store.createLocked(mp.name!, { driver: mp.driver, options: mp.create?.options, labels: mp.create?.labels });
          created.push(mp.name!); // the store reports the create event
        }
      } catch (e) {
        await store.deleteContainer(containerId);
        for (const n of created) await store.removeLocked(n).catch(() => {});
        throw e;
      }
      return mountPoints;
    });
  }

  /** Makes the mounts usable and returns them for the runtime spec. `rootfs` is the mounted rootfs. */
  async prepare(containerId: string, rootfs: string): Promise<HostMount[]> {
    const { store } = this;
    const rec = store.containers.get(containerId);
    if (!rec) return [];
    await store.lock.run('', async () => {
      for (const mp of rec.mountPoints) {
        if (mp.type === 'volume' && !store.has(mp.name!))
          await store.createLocked(mp.name!, { driver: mp.driver, options: mp.create?.options, labels: mp.create?.labels });
      }
    });
    const out: HostMount[] = [];
    for (const mp of rec.mountPoints) {
      if (mp.type === 'volume') {
        const name = mp.name!;
        await store.mountIfNeeded(name);
        const data = store.path(name);
        let source = data;
        if (mp.subpath) {
          source = await resolveInRoot(data, mp.subpath);
          if (
            !(await stat(source).then(
              () => true,
              () => false,
            ))
          )
            throw invalidMountConfig('volume', `cannot access path ${source}: no such file or directory`);
        } else if (mp.copyData && !rec.populated && !mp.fromContainer) {
          await this.copyLock.run(name, () => copyUp(rootfs, mp.destination, data, store.copyUpMarker(name)));
        }
        out.push(hostMount(mp, source));
        store.emitEvent('mount', name, {
          container: containerId,
          destination: mp.destination,
          driver: mp.driver ?? 'local',
          propagation: mp.propagation,
          'read/write': String(mp.rw),
        });
      } else if (mp.type === 'bind') {
        await this.ensureBindSource(mp);
        out.push(hostMount(mp));
      } else out.push(hostMount(mp));
    }
    // `active` and `populated` matter only for volumes (shared unmounts, first-start copy-up): a
    // container without any is not rewritten at every start and exit.
    if ((!rec.active || !rec.populated) && volumeNamesOf(rec).length) await store.putContainer({ ...rec, active: true, populated: true });
    return sortByDepth(out);
  }

  /** After the container stopped (or its start failed): unmount what only it was using. Idempotent. */
  async release(containerId: string): Promise<void> {
    const { store } = this;
    const rec = store.containers.get(containerId);
    if (!rec) return;
    const names = volumeNamesOf(rec);
    if (rec.active && names.length) await store.putContainer({ ...rec, active: false });
    for (const name of names) {
      const stillUsed = store.refsOf(name).some((id) => id !== containerId && store.containers.get(id)?.active);
      await store.unmountIfUnused(name, stillUsed).catch((e) => log.warn('unmount volume', { name, error: messageOf(e) }));
      store.emitEvent('unmount', name, { container: containerId, driver: 'local' });
    }
  }

  /** At rm: drops the container's references; with removeAnonymous also its anonymous volumes. Returns the removed names. */
  async detach(containerId: string, opts: { removeAnonymous: boolean }): Promise<string[]> {
    const { store } = this;
    if (!store.containers.get(containerId)) return [];
    await this.release(containerId);
    return store.lock.run('', async () => {
      const rec = store.containers.get(containerId);
      if (!rec) return [];
      await store.deleteContainer(containerId);
      const removed: string[] = [];
      if (!opts.removeAnonymous) return removed;
      for (const mp of rec.mountPoints) {
        if (mp.type !== 'volume' || !mp.anonymous) continue;
        try {
          await store.removeLocked(mp.name!);
          removed.push(mp.name!); // the store reports the destroy event
        } catch (e) {
          // In use by another container (--volumes-from) or already gone: not an error, as Docker.
          if (!isBerthError(e, 'conflict') && !isBerthError(e, 'not-found')) throw e;
        }
      }
      return removed;
    });
  }

  /** At daemon start: forget containers that no longer exist; mark non-running ones released. */
  async reconcile(existing: Set<string>, running: Set<string>): Promise<void> {
    for (const rec of this.store.containers.values()) {
      if (!existing.has(rec.containerId)) {
        log.info('dropping volume references of a removed container', { id: rec.containerId });
        await this.detach(rec.containerId, { removeAnonymous: false });
      } else if (rec.active && !running.has(rec.containerId)) await this.release(rec.containerId);
    }
  }

  private async ensureBindSource(mp: MountPoint): Promise<void> {
    try {
      await stat(mp.source);
    } catch (e) {
      if (errnoCode(e) !== 'ENOENT') throw e;
      if (!mp.createSource) throw invalidMountConfig('bind', `bind source path does not exist: ${mp.source}`);
      // dockerd makes a missing bind source the containers' root's (under --userns-remap: the remapped root's).
      await mkdirOwned(mp.source, 0o755, this.store.rootOwner);
    }
  }
}
