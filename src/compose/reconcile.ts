// Decides, in pure code, what `up` (and `create`) must do to make the daemon match the model:
// which networks and volumes to create, and per service which containers to keep, start,
// create, recreate or remove, and which orphans to remove. The executor performs the plan
// without deciding anything; running the plan twice in a row yields a plan of only `keep`s.
import { serviceConfigHash } from './config-hash.js';
import { containerName, networkName, serviceNetworks, volumeName } from './container-spec.js';
import { dependencyOrder } from './graph.js';
import type { Project } from './model.js';
import type { ObservedContainer, ObservedProject } from './observe.js';

export interface UpOptions {
  /** Services to converge (with their dependencies unless noDeps); all when empty. */
  services: string[];
  noDeps?: boolean;
  forceRecreate?: boolean;
  noRecreate?: boolean;
  /** --scale web=3 */
  scale?: Record<string, number>;
  removeOrphans?: boolean;
  /** -V: recreate anonymous volumes instead of keeping those of the previous container. */
  renewAnonVolumes?: boolean;
  /** `create` plans containers without starting them. */
  noStart?: boolean;
}

export type ContainerAction =
  | { kind: 'keep'; container: ObservedContainer }
  | { kind: 'start'; container: ObservedContainer }
  | { kind: 'create'; number: number; name: string }
  | { kind: 'recreate'; container: ObservedContainer; number: number; name: string; reason: 'config' | 'image' | 'forced' }
  | { kind: 'remove'; container: ObservedContainer };

export interface ServicePlan {
  service: string;
  /** The image the containers should run (id), when known before planning. */
  imageId?: string;
  /** -V: a recreated container gets new anonymous volumes. */
  renewAnonVolumes: boolean;
  actions: ContainerAction[];
}

export interface UpPlan {
  networks: { key: string; name: string; create: boolean; external: boolean }[];
  volumes: { key: string; name: string; create: boolean; external: boolean }[];
  /** In dependency order. */
  services: ServicePlan[];
  orphans: ObservedContainer[];
  removeOrphans: boolean;
  start: boolean;
}

/** The number of containers a service should have. */
export function replicasOf(project: Project, service: string, scale?: Record<string, number>): number {
  const s = project.services[service]!;
  const n = scale?.[service] ?? s.scale ?? s.deploy?.replicas ?? 1;
  return s.container_name ? Math.min(n, 1) : n;
}

export function selectedServices(project: Project, o: Pick<UpOptions, 'services' | 'noDeps'>): string[] {
  if (!o.services.length) return dependencyOrder(project);
  if (o.noDeps) return dependencyOrder(project, o.services).filter((s) => o.services.includes(s));
  return dependencyOrder(project, o.services);
}

export function planUp(project: Project, observed: ObservedProject, imageIds: Record<string, string | undefined>, o: UpOptions): UpPlan {
  const services = selectedServices(project, o);
  const usedNetworks = new Set(services.flatMap((n) => serviceNetworks(project.services[n]!)));
  const usedVolumes = new Set(
    services.flatMap((n) =>
      (project.services[n]!.volumes ?? []).filter((v) => v.type === 'volume' && v.source && project.volumes[v.source]).map((v) => v.source!),
    ),
  );
  const existingNets = new Set(observed.networks.map((n) => n.Name));
  const existingVols = new Set(observed.volumes.map((v) => v.Name));
  const networks = [...usedNetworks].sort().map((key) => {
    const n = project.networks[key];
    const name = networkName(project, key);
    return { key, name, external: !!n?.external, create: !n?.external && !existingNets.has(name) };
  });
  const volumes = [...usedVolumes].sort().map((key) => {
    const v = project.volumes[key]!;
    const name = volumeName(project, key);
    return { key, name, external: !!v.external, create: !v.external && !existingVols.has(name) };
  });

  const running = observed.containers.filter((c) => !c.oneoff);
  const plans = services.map((service): ServicePlan => {
    const mine = running.filter((c) => c.service === service).sort((a, b) => a.number - b.number);
    const want = replicasOf(project, service, o.scale);
    const hash = serviceConfigHash(project, service);
    const imageId = imageIds[service];
    const actions: ContainerAction[] = [];
    const kept = mine.slice(0, want);
    for (const c of mine.slice(want).reverse()) actions.push({ kind: 'remove', container: c });
    const used = new Set(kept.map((c) => c.number));
    for (const c of kept) {
      const reason = o.forceRecreate
        ? 'forced'
        : o.noRecreate
          ? undefined
          : c.configHash !== hash
            ? 'config'
            : imageId && c.imageId && imageId !== c.imageId
              ? 'image'
              : undefined;
      if (reason) actions.push({ kind: 'recreate', container: c, number: c.number, name: containerName(project, service, c.number), reason });
      else if (c.state === 'running' || c.state === 'restarting' || o.noStart) actions.push({ kind: 'keep', container: c });
      else actions.push({ kind: 'start', container: c });
    }
    for (let n = 1; used.size < want; n++) {
      if (used.has(n)) continue;
      used.add(n);
      actions.push({ kind: 'create', number: n, name: containerName(project, service, n) });
    }
    return { service, imageId, actions, renewAnonVolumes: !!o.renewAnonVolumes };
  });
  const known = new Set([...Object.keys(project.services), ...Object.keys(project.disabledServices)]);
  const orphans = running.filter((c) => !known.has(c.service));
  return { networks, volumes, services: plans, orphans, removeOrphans: !!o.removeOrphans, start: !o.noStart };
}

/** True when the plan changes nothing (a second `up` in a row). */
export function planIsNoop(p: UpPlan): boolean {
  return (
    !p.networks.some((n) => n.create) &&
    !p.volumes.some((v) => v.create) &&
    (!p.removeOrphans || !p.orphans.length) &&
    p.services.every((s) => s.actions.every((a) => a.kind === 'keep'))
  );
}
