// The images a project's services run: built (`build:`) or pulled as `pull_policy` and the
// command's flags decide (decidedImageSource, pure), then made present through the API, each
// service's image id returned for the reconciler (a changed id means recreate).
import { isAbsolute, join } from 'node:path';
import { splitRef } from '../client/reference.js';
import { packContext } from '../client/build-context.js';
import { isApiError } from '../api/client/errors.js';
import type { ComposeApi } from './api.js';
import { imageName } from './container-spec.js';
import type { Project, ServiceConfig } from './model.js';
import type { ProgressSink } from './progress.js';

export interface ImageOptions {
  /** --build: build every service that has `build:` even when its image exists. */
  build?: boolean;
  /** --no-build: never build; a missing image of a built service is an error. */
  noBuild?: boolean;
  /** --pull missing|always|never (overrides pull_policy). */
  pull?: string;
  noCache?: boolean;
  /** `build --pull`: pull the base images of builds. */
  pullBase?: boolean;
  quiet?: boolean;
}

export type ImageSource = 'build' | 'pull' | 'present-or-pull' | 'present-or-build' | 'present';

/** What to do for one service's image, before knowing whether it exists. */
export function decidedImageSource(s: ServiceConfig, o: ImageOptions): ImageSource {
  const policy = o.pull ?? s.pull_policy ?? 'missing';
  if (s.build && !o.noBuild) {
    if (o.build || policy === 'build') return 'build';
    return 'present-or-build';
  }
  if (policy === 'always') return 'pull';
  if (policy === 'never') return 'present';
  return 'present-or-pull';
}

async function imageIdOf(api: ComposeApi, name: string): Promise<string | undefined> {
  try {
    return (await api.imageInspect(name)).Id;
  } catch (e) {
    if (isApiError(e, 404)) return undefined;
    throw e;
  }
}

export async function ensureImages(
  api: ComposeApi,
  project: Project,
  services: string[],
  o: ImageOptions,
  progress: ProgressSink,
): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  // Images several services share are looked up (and pulled) once, all lookups at the same time;
  // builds run one at a time (the daemon's builder and this machine's cores are shared).
  const lookups = new Map<string, Promise<string | undefined>>();
  const lookup = (name: string) => {
    if (!lookups.has(name)) lookups.set(name, imageIdOf(api, name));
    return lookups.get(name)!;
  };
  const sources = services.map((service) => ({ service, name: imageName(project, service), source: decidedImageSource(project.services[service]!, o) }));
  for (const s of sources) if (s.source !== 'build' && s.source !== 'pull') void lookup(s.name).catch(() => {});
  const pulls = new Map<string, Promise<string>>();
  for (const { service, name, source } of sources) {
    const s = project.services[service]!;
    const id = source === 'build' || source === 'pull' ? undefined : await lookup(name);
    if (id) {
      ids[service] = id;
      continue;
    }
    if (source === 'present') throw new Error(`image ${name} not found and pull_policy is never`);
    if (source === 'build' || source === 'present-or-build') {
      ids[service] = await buildService(api, project, service, o, progress);
      continue;
    }
    if (s.build && o.noBuild) throw new Error(`image ${name} not found: service "${service}" has to be built, but --no-build was given`);
    if (!pulls.has(name)) pulls.set(name, pullImage(api, name, s.platform, service, o, progress));
    ids[service] = await pulls.get(name)!;
  }
  return ids;
}

export async function pullImage(
  api: ComposeApi,
  name: string,
  platform: string | undefined,
  service: string,
  o: Pick<ImageOptions, 'quiet'>,
  progress: ProgressSink,
): Promise<string> {
  const r = splitRef(name);
  progress.event({ kind: 'Image', name: service, status: 'Pulling' });
  for await (const m of api.imageCreate({ fromImage: r.repo, tag: r.digest ?? r.tag, platform })) {
    if (m.errorDetail || m.error) {
      progress.event({ kind: 'Image', name: service, status: 'Error', error: true, detail: m.errorDetail?.message ?? m.error });
      throw new Error(m.errorDetail?.message ?? m.error);
    }
    if (!o.quiet && m.status && m.id && !m.progress) progress.event({ kind: 'Image', name: `${service} ${m.id}`, status: m.status, done: true });
  }
  progress.event({ kind: 'Image', name: service, status: 'Pulled' });
  const id = await imageIdOf(api, name);
  if (!id) throw new Error(`image ${name} not found after pull`);
  return id;
}

export async function buildService(api: ComposeApi, project: Project, service: string, o: ImageOptions, progress: ProgressSink): Promise<string> {
  const s = project.services[service]!;
  const b = s.build!;
  const name = imageName(project, service);
  if (/^[a-z]+:\/\//.test(b.context) || b.context.startsWith('git@'))
    throw new Error(`service "${service}": remote build contexts are not supported by berth compose`);
  const dockerfile = b.dockerfile_inline !== undefined ? undefined : isAbsolute(b.dockerfile) ? b.dockerfile : join(b.context, b.dockerfile);
  const packed = await packContext(b.context, dockerfile, b.dockerfile_inline !== undefined ? Buffer.from(b.dockerfile_inline) : undefined);
  progress.event({ kind: 'Service', name: service, status: 'Building' });
  let id = '';
  for await (const m of api.imageBuild(packed.tar, {
    t: [name, ...(b.tags ?? [])],
    dockerfile: packed.dockerfile,
    target: b.target,
    buildargs: b.args,
    labels: b.labels,
    networkmode: b.network,
    extrahosts: b.extra_hosts,
    shmsize: b.shm_size,
    cachefrom: b.cache_from?.length ? JSON.stringify(b.cache_from) : undefined,
    nocache: o.noCache || b.no_cache || undefined,
    pull: o.pullBase || b.pull || undefined,
    platform: s.platform,
  })) {
    if (m.errorDetail || m.error) {
      progress.event({ kind: 'Service', name: service, status: 'Error', error: true });
      throw new Error(`failed to solve: ${m.errorDetail?.message ?? m.error}`);
    }
    if (m.aux?.ID) id = m.aux.ID;
    if (m.stream !== undefined && !o.quiet) progress.text(m.stream);
  }
  progress.event({ kind: 'Service', name: service, status: 'Built' });
  return id || (await imageIdOf(api, name)) || '';
}
