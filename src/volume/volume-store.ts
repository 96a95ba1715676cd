// VolumeStore: Docker's `local` volume driver. Layout under <data-root>/volumes:
//   <name>/_data          the volume's data (what containers mount)
//   _meta/<name>.json     the volume record (atomic writes)
//   _containers/<id>.json each container's decided mount points = its references
//   _trash/               volumes being removed (renamed here first, so a crash never leaves half a volume)
// Lifecycle: a volume exists from create() until remove()/prune(); it cannot be removed while a
// container record references it. Mutations are serialised by one lock; readers use snapshots.
import { chown, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { errnoCode, internal, isBerthError, notFound } from '../lib/errors.js';
import type { Owner } from '../lib/id-map.js';
import { noSuchVolume, volumeInUse } from '../lib/docker-messages.js';
import { KeyedMutex } from '../lib/mutex.js';
import { log } from '../lib/log.js';
import { isMountPoint, mountOne, unmount } from '../lib/mount.js';
import { nowRfc3339Nano } from '../lib/time-parse.js';
import { RecordStore } from '../store/records/record-store.js';
import { localMountSpec, validateLocalOptions } from './local-options.js';
import { ANONYMOUS_LABEL, LOCAL_DRIVER } from './mount-point.js';
import { listFilter, pruneFilter, splitAllFilter, type Filters } from './volume-filter.js';
import { randomVolumeName, validateVolumeName } from './volume-name.js';
import { volumeNamesOf, type ContainerVolumesRecord, type VolumeRecord } from './volume-record.js';
import { directorySize } from './disk-usage.js';

export interface CreateVolumeOptions {
  driver?: string;
  options?: Record<string, string> | null;
  labels?: Record<string, string> | null;
}

/**
 * Where the volume domain reports Docker's volume events. The store reports what changes which
 * volumes exist (create, destroy, prune), whoever asked for it (the API, a container's attach
 * or rm -v); ContainerVolumes reports mount and unmount through the same sink.
 */
export interface VolumeEventSink {
  emit(action: VolumeEventAction, name: string, attributes: Record<string, string>): void;
}
export type VolumeEventAction = 'create' | 'destroy' | 'prune' | 'mount' | 'unmount';

export interface VolumeStoreOptions {
  events?: VolumeEventSink;
  /** Who owns a new volume's `_data` (and the bind sources made for containers): the containers' root, host ids (dockerd's --userns-remap); root when absent. */
  rootOwner?: Owner;
}

export interface VolumeInfo extends VolumeRecord {
  mountpoint: string;
  /** Ids of the containers that reference the volume. */
  refs: string[];
}

export class VolumeStore {
  /** One lock for everything that changes which volumes exist or who references them. */
  readonly lock = new KeyedMutex();
  private readonly mountLock = new KeyedMutex();
  private readonly refIndex = new Map<string, Set<string>>(); // volume name -> container ids

  private constructor(
    readonly root: string,
    private readonly records: RecordStore<VolumeRecord>,
    readonly containers: RecordStore<ContainerVolumesRecord>,
    private readonly events: VolumeEventSink,
    /** See VolumeStoreOptions.rootOwner. */
    readonly rootOwner?: Owner,
  ) {
    for (const c of containers.values()) this.index(c.containerId, volumeNamesOf(c));
  }

  /** Opens (creating) the store; finishes interrupted removals and creations, adopts volume dirs without a record. */
  static async open(root: string, opts: VolumeStoreOptions = {}): Promise<VolumeStore> {
    await mkdir(root, { recursive: true, mode: 0o701 });
    const store = new VolumeStore(
      root,
      await RecordStore.open<VolumeRecord>(join(root, '_meta')),
      await RecordStore.open<ContainerVolumesRecord>(join(root, '_containers')),
      opts.events ?? { emit: () => {} },
      opts.rootOwner,
    );
    await rm(join(root, '_trash'), { recursive: true, force: true });
    for (const name of await readdir(root)) {
      if (name.startsWith('_') || store.records.has(name)) continue;
      const st = await stat(join(root, name, '_data')).catch(() => undefined);
      if (!st?.isDirectory()) continue;
      log.info('adopting volume directory without a record', { name });
      await store.records.put(name, { schemaVersion: 1, name, driver: LOCAL_DRIVER, createdAt: st.mtime.toISOString(), labels: null, options: null });
    }
    // A create killed after its record and before its directory: finish it.
    for (const rec of store.records.values()) {
      if (await stat(store.path(rec.name)).catch(() => undefined)) continue;
      log.info('finishing the creation of a volume', { name: rec.name });
      await store.makeDirs(rec.name);
    }
    return store;
  }

  private async makeDirs(name: string): Promise<void> {
    await mkdir(join(this.root, name), { mode: 0o701 }).catch((e) => {
      if (errnoCode(e) !== 'EEXIST') throw e;
    });
    await mkdir(this.path(name), { recursive: true, mode: 0o755 });
    // The containers' root owns it (as dockerd's local driver under --userns-remap), so a remapped root can write to it.
    if (this.rootOwner) await chown(this.path(name), this.rootOwner.uid, this.rootOwner.gid);
  }

  /** Reports a volume event (ContainerVolumes' mount and unmount). */
  emitEvent(action: VolumeEventAction, name: string, attributes: Record<string, string>): void {
    this.events.emit(action, name, attributes);
  }

  path(name: string): string {
    return join(this.root, name, '_data');
  }

  /** Beside the data, never in it: present while a copy-up fills the volume (copy-up.ts). */
  copyUpMarker(name: string): string {
    return join(this.root, name, '_copy-up');
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  get(name: string): VolumeInfo {
    const rec = this.records.get(name);
    if (!rec) throw noSuchVolume(name);
    return this.info(rec);
  }

  list(filters: Filters = {}): VolumeInfo[] {
    const match = listFilter(filters);
    return this.records
      .values()
      .filter((rec) => match({ rec, inUse: this.refsOf(rec.name).length > 0 }))
      .map((rec) => this.info(rec))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  refsOf(name: string): string[] {
    return [...(this.refIndex.get(name) ?? [])];
  }

  /** Creates a volume, or returns the existing one of that name (as Docker does). '' = a new anonymous volume. */
  async create(name: string, opts: CreateVolumeOptions = {}): Promise<VolumeInfo> {
    return this.lock.run('', () => this.createLocked(name, opts));
  }

  /** For callers that already hold `lock`. */
  async createLocked(name: string, opts: CreateVolumeOptions = {}): Promise<VolumeInfo> {
    let labels = opts.labels ?? null;
    if (!name) {
      name = randomVolumeName();
      labels = { ...(labels ?? {}), [ANONYMOUS_LABEL]: '' };
    }
    const driver = opts.driver || LOCAL_DRIVER;
    if (driver !== LOCAL_DRIVER) throw notFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    const existing = this.records.get(name);
    if (existing) return this.info(existing);
    validateVolumeName(name);
    validateLocalOptions(opts.options);
    // The record (labels, options) first, the directory after: a kill between the two leaves a
    // record whose directory open() makes. The other order left a directory that open() adopted
    // without its labels, so compose no longer knew the volume as its own (found by the torture
    // driver: `compose up` killed, then `compose down -v` kept the volume).
    const rec: VolumeRecord = { schemaVersion: 1, name, driver, createdAt: nowRfc3339Nano(), labels, options: opts.options ?? null };
    await this.records.put(name, rec);
    await this.makeDirs(name);
    this.events.emit('create', name, { driver });
    return this.info(rec);
  }

  /** Removes an unused volume. `force` only hides "no such volume" (Docker's PurgeOnError). */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.lock.run('', async () => {
      try {
        await this.removeLocked(name);
      } catch (e) {
        if (!(opts.force && isBerthError(e, 'not-found'))) throw e;
      }
    });
  }

  async removeLocked(name: string): Promise<void> {
    const rec = this.records.get(name);
    if (!rec) throw noSuchVolume(name);
    const refs = this.refsOf(name);
    if (refs.length) throw volumeInUse(name, refs);
    const data = this.path(name);
    if (await isMountPoint(data)) await unmount(data, { detach: true });
    const trash = join(this.root, '_trash');
    await mkdir(trash, { recursive: true, mode: 0o700 });
    const gone = join(trash, `${name}.${randomBytes(4).toString('hex')}`);
    await rename(join(this.root, name), gone).catch((e) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
    await this.records.delete(name);
    await rm(gone, { recursive: true, force: true });
    this.events.emit('destroy', name, { driver: rec.driver });
  }

  /**
   * Removes unused volumes the filters select; `all` false keeps named volumes (Docker >= 23).
   * Without opts.all the `all` filter decides (API >= 1.42); with it, an `all` filter is an
   * unknown filter (older APIs, which pruned every unused volume, know none).
   */
  async prune(filters: Filters, opts: { all?: boolean } = {}): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const split = opts.all === undefined ? splitAllFilter(filters) : { all: opts.all, rest: filters };
    const match = pruneFilter(split.rest);
    const all = split.all;
    return this.lock.run('', async () => {
      const deleted: string[] = [];
      let spaceReclaimed = 0;
      for (const rec of this.records.values()) {
        if (!all && !(rec.labels && ANONYMOUS_LABEL in rec.labels)) continue;
        if (!match(rec) || this.refsOf(rec.name).length) continue;
        const size = await directorySize(this.path(rec.name)).catch(() => 0);
        try {
          await this.removeLocked(rec.name);
          deleted.push(rec.name);
          spaceReclaimed += size;
        } catch (e) {
          log.warn('prune: could not remove volume', { name: rec.name, error: String(e) });
        }
      }
      this.events.emit('prune', '', { reclaimed: String(spaceReclaimed) });
      return { deleted, spaceReclaimed };
    });
  }

  /** Docker's UsageData: bytes used (local driver) and the number of referencing containers. */
  async usage(name: string): Promise<{ size: number; refCount: number }> {
    return { size: await directorySize(this.path(name)).catch(() => -1), refCount: this.refsOf(name).length };
  }

  // ---- references (container records), used by ContainerVolumes under `lock` ----------------

  async putContainer(rec: ContainerVolumesRecord): Promise<void> {
    await this.containers.put(rec.containerId, rec);
    this.unindex(rec.containerId);
    this.index(rec.containerId, volumeNamesOf(rec));
  }

  async deleteContainer(containerId: string): Promise<void> {
    await this.containers.delete(containerId);
    this.unindex(containerId);
  }

  // ---- mounting volumes with local driver options -------------------------------------------

  /** Mounts the volume's filesystem (type/device/o) on its data dir if it has one and it is not mounted. */
  async mountIfNeeded(name: string): Promise<void> {
    const spec = localMountSpec(this.records.get(name)?.options);
    if (!spec) return;
    await this.mountLock.run(name, async () => {
      const data = this.path(name);
      if (await isMountPoint(data)) return;
      try {
        mountOne(spec, data);
      } catch (e) {
        throw internal(`error while mounting volume '${data}': ${(e as Error).message}`, e);
      }
    });
  }

  /** Unmounts the volume's filesystem unless `stillUsed`. */
  async unmountIfUnused(name: string, stillUsed: boolean): Promise<void> {
    if (stillUsed || !localMountSpec(this.records.get(name)?.options)) return;
    await this.mountLock.run(name, async () => {
      const data = this.path(name);
      if (await isMountPoint(data)) await unmount(data, { detach: true });
    });
  }

  private info(rec: VolumeRecord): VolumeInfo {
    return { ...rec, mountpoint: this.path(rec.name), refs: this.refsOf(rec.name) };
  }

  private index(containerId: string, names: string[]): void {
    for (const n of names) {
      let s = this.refIndex.get(n);
      if (!s) this.refIndex.set(n, (s = new Set()));
      s.add(containerId);
    }
  }

  private unindex(containerId: string): void {
    for (const [n, s] of this.refIndex) {
      s.delete(containerId);
      if (s.size === 0) this.refIndex.delete(n);
    }
  }
}
