// What exists of a project on the daemon, found by compose's labels: the reconciler compares
// this with the model. Observation is the only read; planning works on its snapshot.
import type * as T from '../api/types/index.js';
import type { ComposeApi } from './api.js';
import * as L from './labels.js';

export interface ObservedContainer {
  id: string;
  name: string;
  service: string;
  number: number;
  oneoff: boolean;
  state: T.ContainerStateName;
  status: string;
  image: string;
  imageId: string;
  configHash: string;
  labels: Record<string, string>;
  summary: T.ContainerSummary;
}

export interface ObservedProject {
  name: string;
  containers: ObservedContainer[];
  networks: T.NetworkSummary[];
  volumes: T.VolumeSummary[];
}

export function observedContainer(c: T.ContainerSummary): ObservedContainer {
  const l = c.Labels ?? {};
  return {
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    service: l[L.LABEL_SERVICE] ?? '',
    number: Number(l[L.LABEL_CONTAINER_NUMBER] ?? '0') || 0,
    oneoff: (l[L.LABEL_ONEOFF] ?? 'False').toLowerCase() === 'true',
    state: c.State,
    status: c.Status,
    image: c.Image,
    imageId: c.ImageID,
    configHash: l[L.LABEL_CONFIG_HASH] ?? '',
    labels: l,
    summary: c,
  };
}

/** Containers of one project (one-off `run` containers included), oldest first within a service. */
export async function observeContainers(api: ComposeApi, project: string, opts: { oneoff?: boolean } = {}): Promise<ObservedContainer[]> {
  const filters: Record<string, string[]> = { label: [`${L.LABEL_PROJECT}=${project}`] };
  if (opts.oneoff !== undefined) filters.label!.push(`${L.LABEL_ONEOFF}=${opts.oneoff ? 'True' : 'False'}`);
  const list = await api.containerList({ all: true, filters });
  return list.map(observedContainer).sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number);
}

export async function observeProject(api: ComposeApi, project: string): Promise<ObservedProject> {
  const label = [`${L.LABEL_PROJECT}=${project}`];
  const [containers, networks, volumes] = await Promise.all([
    observeContainers(api, project),
    api.networkList({ label }),
    api.volumeList({ label }).then((r) => r.Volumes ?? []),
  ]);
  return { name: project, containers, networks, volumes };
}

/** Every project that has containers on the daemon (`compose ls`), with their states. */
export async function listProjects(api: ComposeApi, all: boolean): Promise<{ name: string; states: T.ContainerStateName[]; configFiles: string }[]> {
  const list = await api.containerList({ all, filters: { label: [L.LABEL_PROJECT] } });
  const byName = new Map<string, { name: string; states: T.ContainerStateName[]; configFiles: string }>();
  for (const c of list) {
    const name = c.Labels[L.LABEL_PROJECT]!;
    const p = byName.get(name) ?? { name, states: [], configFiles: c.Labels[L.LABEL_CONFIG_FILES] ?? '' };
    p.states.push(c.State);
    byName.set(name, p);
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A container that holds a process (stop it before removing, count it as up). */
export const isUp = (c: Pick<ObservedContainer, 'state'>): boolean => c.state === 'running' || c.state === 'paused' || c.state === 'restarting';

/** Compose's warning for containers of services the files no longer define. */
export function orphanWarning(orphans: ObservedContainer[]): string {
  return `WARN[0000] Found orphan containers ([${orphans.map((c) => c.name).join(' ')}]) for this project. If you removed or renamed this service in your compose file, you can run this command with the --remove-orphans flag to clean it up.\n`;
}
