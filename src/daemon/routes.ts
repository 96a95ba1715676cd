// Assembles the route table: each route module declares the backend it needs, and this is where
// the concrete services are wired to those interfaces. The glue that needs several domains at
// once (disk usage, image users, the facts ps and inspect show) lives here, not in the domains.
import { join } from 'node:path';
import { hostHasAppArmor } from '../runtime/specgen/host-facts.js';
import { KeyedMutex } from '../lib/mutex.js';
import { checkStore, type StoreCheckDeps } from '../system/store-check.js';
import { systemCheckRoutes } from '../api/routes/system-check.js';
import type { Route } from '../api/server/route.js';
import { containerRoutes } from '../api/routes/containers.js';
import { execRoutes } from '../api/routes/exec.js';
import { imageRoutes, imageSummaryWire, type ImageBackend, type ImagePuller, type ImagePusher, type ImageRouteDeps } from '../api/routes/images.js';
import { systemRoutes } from '../api/routes/system.js';
import { emulationRoutes, type EmulationBackend } from '../api/routes/emulation.js';
import { authRoutes, type AuthRouteDeps } from '../api/routes/auth.js';
import { eventRoutes } from '../api/routes/events.js';
import { pluginRoutes } from '../api/routes/plugins.js';
import { networkRoutes } from '../api/routes/networks.js';
import { buildRoutes as builderRoutes, buildCacheWire, type BuildBackend } from '../api/routes/build.js';
import { volumeRoutes, mountPointsWire, volumesWithUsage } from '../api/routes/volumes.js';
import { swarmRoutes } from '../api/routes/swarm.js';
import { containerSummary, type ContainerFacts } from '../api/routes/container-wire.js';
import type { VolumeStore } from '../volume/volume-store.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { ContainerVolumes } from '../volume/container-volumes.js';
import type { ContainerService } from '../container/container-service.js';
import type { ExecService } from '../container/exec-service.js';
import { pruneContainers } from '../container/prune.js';
import { containerLogs } from '../container/logs/container-logs.js';
import { readLogs } from '../container/logs/log-reader.js';
import type { ImageStore } from '../image/image-store.js';
import type { ImageUsers } from '../image/image-delete.js';
import { importRootfs } from '../image/import.js';
import { loadImages } from '../image/load.js';
import { saveImages } from '../image/save.js';
import { inspectPlatform } from '../image/image-platforms.js';
import type { LayerStore } from '../store/layers/layer-store.js';
import type { OciRuntime } from '../runtime/oci/oci-runtime.js';
import type { EventBus } from '../lib/event-bus.js';
import type { Digest } from '../lib/digest.js';
import type { DaemonConfig } from './config.js';

export interface RouteDeps {
  cfg: DaemonConfig;
  version: string;
  cgroupLayout: string;
  startedAt: Date;
  containers: ContainerService;
  execs: ExecService;
  images: ImageStore;
  layers: LayerStore;
  events: EventBus;
  runtimes: Map<string, OciRuntime>;
  volumeStore: VolumeStore;
  volumes: ContainerVolumes;
  builder: BuildBackend;
  networks: NetworkManager;
  /** The registry client for POST /images/create?fromImage= (src/registry/client). */
  puller?: ImagePuller;
  pusher?: ImagePusher;
  login?: AuthRouteDeps['login'];
  search?: ImageRouteDeps['search'];
  distribution?: ImageRouteDeps['distribution'];
  /** Foreign architectures under qemu-user (src/runtime/emulation). */
  emulation: EmulationBackend;
}

/** The image routes' backend: the store and the image domain's operations on it. `users`: the containers that use an image (rmi and prune refuse or force). */
export function imageBackend(images: ImageStore, users: ImageUsers = () => []): ImageBackend {
  return {
    list: (o) => images.list(o),
    inspect: (ref, platform) => (platform ? inspectPlatform(images, ref, platform) : images.inspect(ref)),
    history: (ref) => images.history(ref),
    tag: (source, target) => images.tag(source, target),
    remove: (ref, o) => images.remove(ref, o, users),
    prune: (o) => images.prune(o, users),
    save: (names, platform) => saveImages(images, names, { platform }),
    load: (tar, o) => loadImages(images, tar, o),
    importRootfs: (tar, o) => importRootfs(images, tar, o),
  };
}

export function buildRoutes(d: RouteDeps): Route[] {
  const { containers, images, layers } = d;
  const ready = () => containers.all().filter((r) => r.phase === 'ready');
  const imageSize = (id: Digest) => images.all().find((r) => r.id === id)?.size ?? 0;
  const users = (imageId: Digest) =>
    containers
      .all()
      .filter((r) => r.imageId === imageId)
      .map((r) => ({ id: r.id, running: containers.isLive(r) }));
  // The volume domain's list is a snapshot, the same array until it changes: its wire form is kept
  // with it, so `ps` can keep a container's serialised summary while its mounts are unchanged.
  const mountsWire = new WeakMap<object, ReturnType<typeof mountPointsWire>>();
  const facts: ContainerFacts = {
    mountsOf: (rec) => {
      const mps = d.volumes.mountPoints(rec.id);
      let w = mountsWire.get(mps);
      if (!w) mountsWire.set(mps, (w = mountPointsWire(mps)));
      return w;
    },
    netOf: (rec) => (containers.isLive(rec) ? d.networks.info(rec.id) : undefined),
    sizeOf: async (rec) => {
      const rw = await layers.usage(rec.id).catch(() => 0);
      return { rw, rootFs: imageSize(rec.imageId) + rw };
    },
    graphDriver: (rec) => ({ Name: 'overlay2', Data: { MergedDir: containers.rootfsPath(rec.id), UpperDir: layers.upperDir(rec.id) } }),
    files: (rec) => containers.etcPaths(rec.id),
  };

  const checks = new KeyedMutex();
  const storeCheckDeps: StoreCheckDeps = {
    content: images.content,
    layers,
    images,
    containers: {
      all: () => containers.all(),
      isLive: (rec) => containers.isLive(rec as Parameters<typeof containers.isLive>[0]),
      containerDir: (id) => containers.containerDir(id),
      quarantine: (id, dir) => containers.quarantine(id, dir),
    },
    quarantineRoot: join(d.cfg.dataRoot, 'quarantine'),
  };

  return [
    ...authRoutes({ login: d.login }),
    ...systemRoutes({
      version: d.version,
      dataRoot: d.cfg.dataRoot,
      runtimes: [...d.runtimes.keys()],
      defaultRuntime: d.cfg.runtime,
      cgroupLayout: d.cgroupLayout,
      startedAt: d.startedAt,
      // As dockerd lists them: what the host enforces and the daemon's defaults.
      securityOptions: [
        ...(hostHasAppArmor() ? ['name=apparmor'] : []),
        'name=seccomp,profile=builtin',
        ...(d.cfg.usernsRemap ? ['name=userns'] : []),
        ...(d.cfg.noNewPrivileges ? ['name=no-new-privileges'] : []),
      ],
      counts: () => {
        const all = ready();
        const running = all.filter((r) => r.state.status === 'running').length;
        const paused = all.filter((r) => r.state.status === 'paused').length;
        return { containers: all.length, running, paused, stopped: all.length - running - paused, images: images.all().length };
      },
      diskUsage: async () => {
        const recs = ready();
        const now = Date.now();
        const layerList = await layers.list();
        return {
          LayersSize: layerList.reduce((a, l) => a + l.size, 0),
          Images: images.list({ all: false }).map((s) => imageSummaryWire(s, undefined, recs.filter((r) => r.imageId === s.id).length)),
          Containers: await Promise.all(recs.map((r) => containerSummary(r, facts, now, true))),
          Volumes: await volumesWithUsage(d.volumeStore),
          BuildCache: buildCacheWire(await d.builder.diskUsage()),
        };
      },
    }),
    ...containerRoutes({
      containers,
      facts,
      execs: d.execs,
      logs: {
        read: (rec, o) => containerLogs(containers, rec, containers.logPath(rec.id), o),
        replay: (rec, streams) => readLogs(containers.logPath(rec.id), streams),
      },
      prune: (filters) => pruneContainers(containers, filters, async (rec) => (await facts.sizeOf(rec)).rw),
      processes: {
        pids: (rec) => containers.runtimeFor(rec).pids(rec.id),
        cgroupsPath: (rec) => containers.cgroupsPath(rec.id),
      },
      resolveImageId: (ref) => {
        try {
          return images.resolve(ref).id;
        } catch {
          return undefined;
        }
      },
    }),
    ...execRoutes({ execs: d.execs }),
    ...imageRoutes({
      images: imageBackend(images, users),
      puller: d.puller,
      pusher: d.pusher,
      search: d.search,
      distribution: d.distribution,
    }),
    ...eventRoutes({ events: d.events }),
    ...volumeRoutes({ volumes: d.volumeStore }),
    ...builderRoutes({ builder: d.builder }),
    ...networkRoutes({ networks: d.networks, containers }),
    ...pluginRoutes(),
    ...emulationRoutes(d.emulation),
    ...swarmRoutes(),
    ...systemCheckRoutes({
      // One check at a time: two repairs racing would move the same objects.
      check: (o) => checks.run('check', () => checkStore(storeCheckDeps, o)),
    }),
  ];
}
