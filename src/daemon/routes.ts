// Assembles the route table from the services: the glue that needs several domains at once
// (disk usage, image users, graph driver paths) lives here, not in the domains.
import type { Route } from '../api/server/route.js';
import { containerRoutes } from '../api/routes/containers.js';
import { execRoutes } from '../api/routes/exec.js';
import { imageRoutes, imageSummaryWire, type ImageRouteDeps } from '../api/routes/images.js';
import { systemRoutes } from '../api/routes/system.js';
import { eventRoutes } from '../api/routes/events.js';
import { networkRoutes } from '../api/routes/networks.js';
import { buildRoutes as builderRoutes, buildCacheWire, type BuildRouteDeps } from '../api/routes/build.js';
import { volumeRoutes, mountPointsWire, volumesWithUsage } from '../api/routes/volumes.js';
import type { VolumeStore } from '../volume/volume-store.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { ContainerVolumes } from '../volume/container-volumes.js';
import { containerSummary } from '../api/routes/container-wire.js';
import type { ContainerService } from '../container/container-service.js';
import type { ExecService } from '../container/exec-service.js';
import type { ContainerRecord } from '../container/container-record.js';
import type { ImageStore } from '../image/image-store.js';
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
  emitVolume: (action: string, name: string, attributes: Record<string, string>) => void;
  builder: BuildRouteDeps['builder'];
  networks: NetworkManager;
  /** The registry client for POST /images/create?fromImage= (src/registry/client). */
  puller?: ImageRouteDeps['puller'];
}

export function buildRoutes(d: RouteDeps): Route[] {
  const { containers, images, layers } = d;
  const imageSize = (id: Digest) => images.all().find((r) => r.id === id)?.size ?? 0;
  const sizeOf = async (rec: ContainerRecord) => ({ rw: await layers.usage(rec.id).catch(() => 0), rootFs: imageSize(rec.imageId) + (await layers.usage(rec.id).catch(() => 0)) });
  const users = (imageId: Digest) => containers.all().filter((r) => r.imageId === imageId).map((r) => ({ id: r.id, running: containers.isLive(r) }));
  const layerDirs = (chainId: Digest | null) => (chainId ? { LowerDir: '', MergedDir: '', UpperDir: '', WorkDir: '' } : {});
  const mountsOf = (rec: ContainerRecord) => mountPointsWire(d.volumes.mountPoints(rec.id));
  const netOf = (rec: ContainerRecord) => (containers.isLive(rec) ? d.networks.info(rec.id) : undefined);
  const emitImage = (action: string, id: string, attrs?: Record<string, string>) => d.events.publish({ type: 'image', action, actor: { id, attributes: attrs ?? {} } });

  return [
    ...systemRoutes({
      version: d.version,
      dataRoot: d.cfg.dataRoot,
      runtimes: [...d.runtimes.keys()],
      defaultRuntime: d.cfg.runtime,
      cgroupLayout: d.cgroupLayout,
      startedAt: d.startedAt,
      counts: () => {
        const all = containers.all().filter((r) => r.phase === 'ready');
        const running = all.filter((r) => r.state.status === 'running').length;
        const paused = all.filter((r) => r.state.status === 'paused').length;
        return { containers: all.length, running, paused, stopped: all.length - running - paused, images: images.all().length };
      },
      diskUsage: async () => {
        const recs = containers.all().filter((r) => r.phase === 'ready');
        const now = Date.now();
        const cs = await Promise.all(recs.map(async (r) => containerSummary(r, mountsOf(r), netOf(r), now, await sizeOf(r))));
        const layerList = await layers.list();
        return {
          LayersSize: layerList.reduce((a, l) => a + l.size, 0),
          Images: images.list({ all: false }).map((s) => imageSummaryWire(s, undefined, recs.filter((r) => r.imageId === s.id).length)),
          Containers: cs,
          Volumes: await volumesWithUsage(d.volumeStore),
          BuildCache: buildCacheWire(await d.builder.diskUsage()),
        };
      },
    }),
    ...containerRoutes({
      containers,
      mountsOf,
      netOf,
      execs: d.execs,
      sizeOf,
      graphDriver: (rec) => ({ Name: 'overlay2', Data: { MergedDir: containers.rootfsPath(rec.id), UpperDir: layers.upperDir(rec.id) } }),
      resolveImageId: (ref) => {
        try {
          return images.resolve(ref).id;
        } catch {
          return undefined;
        }
      },
    }),
    ...execRoutes({ containers, execs: d.execs }),
    ...imageRoutes({ images, users, graphDriver: () => ({ Name: 'overlay2', Data: layerDirs(null) }), emit: emitImage, puller: d.puller }),
    ...eventRoutes({ events: d.events }),
    ...volumeRoutes({ volumes: d.volumeStore, emit: d.emitVolume }),
    ...builderRoutes({ builder: d.builder }),
    ...networkRoutes({ networks: d.networks, containers, emit: (action, id, attrs) => d.events.publish({ type: 'network', action, actor: { id, attributes: attrs ?? {} } }) }),
  ];
}
