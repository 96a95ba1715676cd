// Project-wide lifecycle commands over the containers observed by label: down, start, stop,
// restart, kill, pause, unpause, rm. Order comes from the depends_on label each container
// carries, so they also work on a project whose compose file is gone (`down -p name`).
import { isApiError } from '../api/client/errors.js';
import type { ComposeApi } from './api.js';
import { notModifiedOk, removeContainer, stopContainer } from './execute.js';
import * as L from './labels.js';
import { isUp, observeContainers, observeProject, orphanWarning, type ObservedContainer } from './observe.js';
import type { Project } from './model.js';
import type { ProgressSink } from './progress.js';

export interface LifecycleContext {
  api: ComposeApi;
  projectName: string;
  /** The loaded model, when there is a compose file; down then also knows its declared networks and volumes. */
  project?: Project;
  progress: ProgressSink;
  timeout?: number;
}

/** Each service's dependencies, read from its containers' depends_on labels. */
function dependenciesFromLabels(containers: ObservedContainer[]): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const c of containers) {
    if (deps.has(c.service)) continue;
    const raw = c.labels[L.LABEL_DEPENDENCIES] ?? '';
    deps.set(
      c.service,
      raw
        ? raw
            .split(',')
            .map((d) => d.split(':')[0]!)
            .filter(Boolean)
        : [],
    );
  }
  return deps;
}

/**
 * Services in levels: a level's services depend only on earlier levels, so each level can be
 * started (or, reversed, stopped) all at once. A cycle in hand-edited labels ends a level early
 * rather than hanging.
 */
export function levelsFromLabels(containers: ObservedContainer[]): string[][] {
  const deps = dependenciesFromLabels(containers);
  const level = new Map<string, number>();
  const depth = (s: string, stack: Set<string>): number => {
    const known = level.get(s);
    if (known !== undefined) return known;
    if (stack.has(s)) return 0;
    stack.add(s);
    const d = Math.max(-1, ...(deps.get(s) ?? []).filter((x) => deps.has(x)).map((x) => depth(x, stack))) + 1;
    stack.delete(s);
    level.set(s, d);
    return d;
  };
  const out: string[][] = [];
  for (const s of [...deps.keys()].sort()) (out[depth(s, new Set())] ??= []).push(s);
  return out.filter(Boolean);
}

/** Containers in dependency levels (reversed for stopping): each inner list can go at once. */
function byLevel(containers: ObservedContainer[], reverse: boolean): ObservedContainer[][] {
  const levels = levelsFromLabels(containers);
  if (reverse) levels.reverse();
  return levels.map((names) => containers.filter((c) => names.includes(c.service)));
}

async function select(x: LifecycleContext, services: string[], opts: { oneoff?: boolean } = {}): Promise<ObservedContainer[]> {
  const all = await observeContainers(x.api, x.projectName, opts);
  return services.length ? all.filter((c) => services.includes(c.service)) : all;
}

export async function stopServices(x: LifecycleContext, services: string[]): Promise<void> {
  for (const group of byLevel((await select(x, services, { oneoff: false })).filter(isUp), true)) {
    await Promise.all(group.map((c) => stopContainer(x, c)));
  }
}

export async function startServices(x: LifecycleContext, services: string[]): Promise<void> {
  const list = await select(x, services, { oneoff: false });
  if (!list.length) throw new Error('no containers to start');
  for (const group of byLevel(list, false)) {
    await Promise.all(
      group
        .filter((c) => c.state !== 'running')
        .map(async (c) => {
          x.progress.event({ kind: 'Container', name: c.name, status: 'Starting' });
          await x.api.containerStart(c.id).catch(notModifiedOk);
          x.progress.event({ kind: 'Container', name: c.name, status: 'Started' });
        }),
    );
  }
}

export async function restartServices(x: LifecycleContext, services: string[]): Promise<void> {
  for (const group of byLevel(await select(x, services, { oneoff: false }), false)) {
    await Promise.all(
      group.map(async (c) => {
        x.progress.event({ kind: 'Container', name: c.name, status: 'Restarting' });
        await x.api.containerRestart(c.id, { t: x.timeout });
        x.progress.event({ kind: 'Container', name: c.name, status: 'Started' });
      }),
    );
  }
}

export async function signalServices(x: LifecycleContext, services: string[], verb: 'kill' | 'pause' | 'unpause', signal?: string): Promise<void> {
  const list = (await select(x, services, { oneoff: false })).filter((c) => (verb === 'unpause' ? c.state === 'paused' : c.state === 'running'));
  const [doing, done] = { kill: ['Killing', 'Killed'], pause: ['Pausing', 'Paused'], unpause: ['Unpausing', 'Unpaused'] }[verb];
  await Promise.all(
    list.map(async (c) => {
      x.progress.event({ kind: 'Container', name: c.name, status: doing! });
      if (verb === 'kill') await x.api.containerKill(c.id, signal);
      else if (verb === 'pause') await x.api.containerPause(c.id);
      else await x.api.containerUnpause(c.id);
      x.progress.event({ kind: 'Container', name: c.name, status: done! });
    }),
  );
}

/** `rm`: stopped containers of the services (with -s, stopped first); returns what it removed. */
export async function removeStopped(x: LifecycleContext, services: string[], o: { stop?: boolean; volumes?: boolean }): Promise<ObservedContainer[]> {
  if (o.stop) await stopServices(x, services);
  const list = (await select(x, services, { oneoff: false })).filter((c) => !isUp(c) || o.stop);
  await Promise.all(list.map((c) => removeContainer(x, c, false, o.volumes)));
  return list;
}

export interface DownOptions {
  volumes?: boolean;
  rmi?: 'local' | 'all';
  removeOrphans?: boolean;
}

/** Everything of the project goes: containers (one-off too), its networks, and with -v its volumes. */
export async function down(x: LifecycleContext, o: DownOptions): Promise<void> {
  const observed = await observeProject(x.api, x.projectName);
  const known = x.project ? new Set([...Object.keys(x.project.services), ...Object.keys(x.project.disabledServices)]) : undefined;
  const containers = observed.containers.filter((c) => !known || known.has(c.service) || c.oneoff || o.removeOrphans);
  const orphans = observed.containers.filter((c) => !containers.includes(c));
  if (orphans.length) x.progress.text(orphanWarning(orphans));
  for (const group of byLevel(containers, true)) await Promise.all(group.map((c) => removeContainer(x, c, isUp(c))));
  // Networks stay while orphans may still be attached to them.
  if (orphans.length === 0)
    await removeEach(
      x,
      'Network',
      observed.networks.map((n) => [n.Name, () => x.api.networkRemove(n.Id)]),
    );
  if (o.volumes)
    await removeEach(
      x,
      'Volume',
      observed.volumes.map((v) => [v.Name, () => x.api.volumeRemove(v.Name)]),
    );
  if (o.rmi) {
    const images = new Set<string>();
    for (const c of containers) {
      const built = c.image === `${x.projectName}-${c.service}`;
      if (o.rmi === 'all' || built) images.add(c.image);
    }
    if (x.project)
      for (const [name, s] of Object.entries(x.project.services)) if (o.rmi === 'all' || !s.image) images.add(s.image ?? `${x.projectName}-${name}`);
    for (const image of images) {
      x.progress.event({ kind: 'Image', name: image, status: 'Removing' });
      try {
        await x.api.imageRemove(image);
        x.progress.event({ kind: 'Image', name: image, status: 'Removed' });
      } catch (e) {
        if (!isApiError(e, 404)) throw e;
        x.progress.event({ kind: 'Image', name: image, status: 'Removed' });
      }
    }
  }
}

/** Removes each resource at once, reporting Removing/Removed for it. */
async function removeEach(x: LifecycleContext, kind: 'Network' | 'Volume', items: [string, () => Promise<void>][]): Promise<void> {
  await Promise.all(
    items.map(async ([name, remove]) => {
      x.progress.event({ kind, name, status: 'Removing' });
      await remove();
      x.progress.event({ kind, name, status: 'Removed' });
    }),
  );
}
