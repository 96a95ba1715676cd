// What the container modules share: the collaborators (ContainerDeps), the per-container lock,
// the index and the waiters. Built once by ContainerService and never handed outside
// src/container: routes, the exec service and the daemon use ContainerService's methods.
import { internal } from '../lib/errors.js';
import { KeyedMutex } from '../lib/mutex.js';
import type { RecordStore } from '../store/records/record-store.js';
import type { LayerStore } from '../store/layers/layer-store.js';
import type { OciRuntime } from '../runtime/oci/oci-runtime.js';
import type { Monitor } from '../runtime/monitor/monitor.js';
import type { ContainerRecord, ContainerSnapshot } from './container-record.js';
import type { ImageSource } from './image-source.js';
import { containerEventAttributes, type EventSink } from './events.js';
import type { ContainerPaths } from './paths.js';
import type { SpecContext } from './spec-input-from-record.js';
import type { Platform } from '../lib/platform.js';
import type { ContainerNetworks, ContainerVolumeHost, RootfsMounter } from './seams.js';
import { ContainerIndex } from './container-index.js';
import { ExitWaiters } from './exit-waiters.js';

export interface ContainerDeps {
  records: RecordStore<ContainerRecord>;
  paths: ContainerPaths;
  images: ImageSource;
  layers: LayerStore;
  runtimes: Map<string, OciRuntime>;
  defaultRuntime: string;
  /** The monitor for attach/wait/resize; spawning uses the monitor of the container's runtime. */
  monitor: Monitor;
  monitors: Map<string, Monitor>;
  events: EventSink;
  spec: Omit<SpecContext, 'paths'>;
  volumes: ContainerVolumeHost;
  networks: ContainerNetworks;
  /** The daemon's --dns: containers' nameservers when neither they nor an embedded DNS set any. */
  defaultDns: string[];
  /** The daemon's log-driver and log-opts (daemon.json): what a container without its own LogConfig gets. */
  defaultLogConfig?: { type: string; config: Record<string, string> };
  /** Makes a foreign architecture runnable (qemu-user via binfmt_misc), or says clearly why not; none: only native images run. */
  emulation?: { ensure(platform: Platform): Promise<void> };
  /** Mounts root filesystems; the kernel's by default (unit tests pass a fake). */
  mounter?: RootfsMounter;
}

export interface LifecycleHooks {
  started?: (rec: ContainerSnapshot) => void;
  exited?: (id: string) => void;
}

/** Running, paused, or restarting with a process: the container has a process to signal. */
export function isLive(rec: Pick<ContainerRecord, 'state'> | { readonly state: { readonly status: string; readonly pid: number } }): boolean {
  const s = rec.state;
  return s.status === 'running' || s.status === 'paused' || (s.status === 'restarting' && s.pid > 0);
}

export class ContainerCore {
  /** One lifecycle operation per container at a time. */
  readonly lock = new KeyedMutex();
  readonly index: ContainerIndex;
  readonly waiters = new ExitWaiters();
  /** Who else must know when a container starts or stops (healthchecks); set by the composition root. */
  hooks: LifecycleHooks = {};

  constructor(readonly deps: ContainerDeps & { mounter: RootfsMounter }) {
    this.index = new ContainerIndex(deps.records);
  }

  get records(): RecordStore<ContainerRecord> {
    return this.deps.records;
  }

  /** Emits a container event with dockerd's attributes (the container's labels, image and name). */
  emitEvent(rec: ContainerSnapshot, action: string, own?: Record<string, string>): void {
    this.deps.events.emit('container', action, rec.id, containerEventAttributes(rec, own));
  }

  monitorFor(rec: Pick<ContainerRecord, 'runtimeName'>): Monitor {
    return this.deps.monitors.get(rec.runtimeName) ?? this.deps.monitor;
  }

  runtimeFor(rec: Pick<ContainerRecord, 'runtimeName'>): OciRuntime {
    const rt = this.deps.runtimes.get(rec.runtimeName) ?? this.deps.runtimes.get(this.deps.defaultRuntime);
    if (!rt) throw internal(`runtime ${rec.runtimeName} is not configured`);
    return rt;
  }

  /** Unmounts the root filesystem if it is mounted. */
  async unmountRootfs(id: string): Promise<void> {
    const rootfs = this.deps.paths.rootfs(id);
    if (await this.deps.mounter.isMounted(rootfs)) await this.deps.mounter.unmount(rootfs);
  }
}
