// Performs an UpPlan through the Engine API, deciding nothing: networks and volumes first, then
// every service as soon as the services it depends on are ready (in parallel where the graph
// allows), each container created, recreated (new one made aside, old one stopped and removed,
// new one renamed, as compose does), started and reported as a progress event.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { isApiError } from '../api/client/errors.js';
import { readSecurityOpts } from '../client/security-opts.js';
import type { ComposeApi } from './api.js';
import { containerSpec, type ContainerSpec } from './container-spec.js';
import { dependenciesOf } from './graph.js';
import * as L from './labels.js';
import type { DependencyCondition, Project } from './model.js';
import { isUp, orphanWarning, type ObservedContainer } from './observe.js';
import type { ProgressSink } from './progress.js';
import type { ContainerAction, ServicePlan, UpPlan } from './reconcile.js';
import { COMPOSE_VERSION } from './version.js';

export interface ExecContext {
  api: ComposeApi;
  project: Project;
  progress: ProgressSink;
  /** Seconds to wait for a container to stop before it is killed (-t). */
  timeout?: number;
}

/** Containers (id and name) of each service after the plan ran. */
export type ServiceContainers = Map<string, { id: string; name: string }[]>;

export async function ensureNetworks(x: ExecContext, plan: UpPlan): Promise<void> {
  await Promise.all(
    plan.networks.map(async (n) => {
      // External networks were checked before anything was made (preflight.ts).
      if (!n.create) return;
      const def = x.project.networks[n.key];
      x.progress.event({ kind: 'Network', name: n.name, status: 'Creating' });
      await x.api.networkCreate({
        Name: n.name,
        Driver: def?.driver ?? 'bridge',
        Scope: '',
        Options: def?.driver_opts ?? {},
        Internal: !!def?.internal,
        Attachable: !!def?.attachable,
        Ingress: false,
        ConfigOnly: false,
        ConfigFrom: null,
        ...(def?.enable_ipv6 ? { EnableIPv6: true } : {}),
        IPAM: {
          Driver: def?.ipam?.driver ?? 'default',
          Options: def?.ipam?.options ?? null,
          Config: (def?.ipam?.config ?? []).map((c) => ({
            ...(c.subnet ? { Subnet: c.subnet } : {}),
            ...(c.gateway ? { Gateway: c.gateway } : {}),
            ...(c.ip_range ? { IPRange: c.ip_range } : {}),
            ...(c.aux_addresses ? { AuxiliaryAddresses: c.aux_addresses } : {}),
          })),
        },
        Labels: { ...def?.labels, [L.LABEL_PROJECT]: x.project.name, [L.LABEL_NETWORK]: n.key, [L.LABEL_VERSION]: COMPOSE_VERSION },
      });
      x.progress.event({ kind: 'Network', name: n.name, status: 'Created' });
    }),
  );
}

export async function ensureVolumes(x: ExecContext, plan: UpPlan): Promise<void> {
  await Promise.all(
    plan.volumes.map(async (v) => {
      if (!v.create) return;
      const def = x.project.volumes[v.key]!;
      x.progress.event({ kind: 'Volume', name: `"${v.name}"`, status: 'Creating' });
      await x.api.volumeCreate({
        Name: v.name,
        Driver: def.driver ?? 'local',
        DriverOpts: def.driver_opts ?? {},
        Labels: { ...def.labels, [L.LABEL_PROJECT]: x.project.name, [L.LABEL_VOLUME]: v.key, [L.LABEL_VERSION]: COMPOSE_VERSION },
      });
      x.progress.event({ kind: 'Volume', name: `"${v.name}"`, status: 'Created' });
    }),
  );
}

/** Runs the plan's services, each after its dependencies; resolves with every service's containers. */
export async function executeUp(x: ExecContext, plan: UpPlan): Promise<ServiceContainers> {
  await ensureNetworks(x, plan);
  await ensureVolumes(x, plan);
  if (plan.orphans.length && plan.removeOrphans) await Promise.all(plan.orphans.map((c) => removeContainer(x, c, true)));
  else if (plan.orphans.length) x.progress.text(orphanWarning(plan.orphans));

  const result: ServiceContainers = new Map();
  const inPlan = new Set(plan.services.map((s) => s.service));
  const done = new Map<string, Promise<void>>();
  // Services outside the plan (--no-deps, or not selected) are looked up when referenced.
  const containerOf = (service: string): string => {
    const c = result.get(service)?.[0];
    if (!c) throw new Error(`service "${service}" has no container to share (start it first)`);
    return c.id;
  };
  const outside = async (service: string) => {
    if (result.has(service)) return;
    const list = await x.api.containerList({
      all: true,
      filters: { label: [`${L.LABEL_PROJECT}=${x.project.name}`, `${L.LABEL_SERVICE}=${service}`, `${L.LABEL_ONEOFF}=False`] },
    });
    result.set(
      service,
      list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, '') })),
    );
  };
  for (const sp of plan.services) {
    const svc = x.project.services[sp.service]!;
    const deps = dependenciesOf(svc);
    done.set(
      sp.service,
      (async () => {
        await Promise.all(deps.map((d) => (inPlan.has(d) ? done.get(d) : outside(d))));
        const converged = await convergeService(x, sp, containerOf);
        result.set(
          sp.service,
          converged.map(({ id, name }) => ({ id, name })),
        );
        if (!plan.start) return;
        await waitDependencies(x, sp.service, result);
        await Promise.all(converged.map((c) => startIfNeeded(x, c)));
      })(),
    );
  }
  // Every service settles before an error is reported, so nothing is left half-way unseen.
  const settled = await Promise.allSettled(done.values());
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return result;
}

interface Converged {
  id: string;
  name: string;
  running: boolean;
}

/** Scale-down removals first, then every other action in parallel; `running` marks kept containers. */
async function convergeService(x: ExecContext, sp: ServicePlan, containerOf: (s: string) => string): Promise<Converged[]> {
  for (const a of sp.actions) if (a.kind === 'remove') await removeContainer(x, a.container, true);
  return Promise.all(
    sp.actions.filter((a) => a.kind !== 'remove').map(async (a) => ({ ...(await applyAction(x, sp, a, containerOf)), running: a.kind === 'keep' })),
  );
}

async function applyAction(x: ExecContext, sp: ServicePlan, a: ContainerAction, containerOf: (s: string) => string): Promise<{ id: string; name: string }> {
  switch (a.kind) {
    case 'keep':
    case 'start':
      return { id: a.container.id, name: a.container.name };
    case 'create': {
      x.progress.event({ kind: 'Container', name: a.name, status: 'Creating' });
      const spec = containerSpec({ project: x.project, service: sp.service, number: a.number, name: a.name, imageId: sp.imageId, containerOf });
      const id = await createContainer(x, spec);
      x.progress.event({ kind: 'Container', name: a.name, status: 'Created' });
      return { id, name: a.name };
    }
    case 'recreate': {
      x.progress.event({ kind: 'Container', name: a.name, status: 'Recreate' });
      const old = await x.api.containerInspect(a.container.id);
      const keepVolumes: Record<string, string> = {};
      // Anonymous volumes (64-hex names) move to the new container unless -V renews them.
      if (!sp.renewAnonVolumes)
        for (const m of old.Mounts ?? [])
          if (m.Type === 'volume' && m.Name && m.Destination && /^[0-9a-f]{64}$/.test(m.Name)) keepVolumes[m.Destination] = m.Name;
      const tmpName = `${a.container.id.slice(0, 12)}_${a.name}`;
      const spec = containerSpec({ project: x.project, service: sp.service, number: a.number, name: tmpName, imageId: sp.imageId, containerOf, keepVolumes });
      spec.body.Labels = { ...spec.body.Labels, [L.LABEL_REPLACE]: a.container.id };
      const id = await createContainer(x, spec);
      await x.api.containerStop(a.container.id, { t: x.timeout }).catch(notModifiedOk);
      await x.api.containerRemove(a.container.id, { force: true });
      await x.api.containerRename(id, a.name);
      x.progress.event({ kind: 'Container', name: a.name, status: 'Recreated' });
      return { id, name: a.name };
    }
    case 'remove':
      throw new Error('remove actions are applied before the others');
  }
}

export async function createContainer(x: ExecContext, spec: ContainerSpec): Promise<string> {
  const service = spec.body.Labels?.[L.LABEL_SERVICE];
  // `security_opt: [seccomp:FILE]` goes to the daemon as the profile's JSON, as the docker CLI sends it;
  // a relative FILE is the project directory's, as compose's other paths.
  const opts = spec.body.HostConfig?.SecurityOpt;
  if (opts?.length && spec.body.HostConfig)
    spec.body.HostConfig.SecurityOpt = readSecurityOpts(opts, (p) => readFileSync(resolve(x.project.workingDir, p), 'utf8'));
  const { Id } = await x.api.containerCreate(spec.body, { name: spec.name, platform: service ? x.project.services[service]?.platform : undefined });
  for (const n of spec.moreNetworks) await x.api.networkConnect(n.network, { Container: Id, EndpointConfig: n.endpoint });
  if (spec.files.length) await copyFiles(x.api, Id, spec.files);
  return Id;
}

async function copyFiles(api: ComposeApi, id: string, files: ContainerSpec['files']): Promise<void> {
  const pack = tarStream.pack();
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.replace(/^\/+/, '').split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!dirs.has(d)) {
        dirs.add(d);
        pack.entry({ name: `${d}/`, type: 'directory', mode: 0o755 });
      }
    }
    pack.entry({ name: parts.join('/'), mode: f.mode }, f.content);
  }
  pack.finalize();
  await api.containerArchivePut(id, '/', Readable.from(pack));
}

/** Starting a running or stopping a stopped container answers 304: already where we want it. */
export function notModifiedOk(e: unknown): void {
  if (!isApiError(e, 304)) throw e;
}

async function startIfNeeded(x: ExecContext, c: Converged): Promise<void> {
  if (c.running) {
    x.progress.event({ kind: 'Container', name: c.name, status: 'Running' });
    return;
  }
  x.progress.event({ kind: 'Container', name: c.name, status: 'Starting' });
  await x.api.containerStart(c.id).catch(notModifiedOk);
  x.progress.event({ kind: 'Container', name: c.name, status: 'Started' });
}

/** Waits until the service's dependencies meet their depends_on conditions. */
export async function waitDependencies(x: ExecContext, service: string, containers: ServiceContainers): Promise<void> {
  const deps = x.project.services[service]?.depends_on ?? {};
  await Promise.all(
    Object.entries(deps).map(async ([dep, d]) => {
      if (d.condition === 'service_started') return;
      const list = containers.get(dep) ?? [];
      if (!list.length && !d.required) return;
      await Promise.all(list.map((c) => waitCondition(x, dep, c, d.condition)));
    }),
  );
}

const POLL_MS = 200;

export async function waitCondition(x: ExecContext, service: string, c: { id: string; name: string }, condition: DependencyCondition): Promise<void> {
  x.progress.event({ kind: 'Container', name: c.name, status: 'Waiting' });
  for (;;) {
    const info = await x.api.containerInspect(c.id);
    const st = info.State;
    if (condition === 'service_healthy') {
      const health = st.Health?.Status;
      if (!info.Config.Healthcheck?.Test || info.Config.Healthcheck.Test[0] === 'NONE')
        throw new Error(`dependency failed to start: container ${c.name} has no healthcheck configured`);
      if (health === 'healthy') {
        x.progress.event({ kind: 'Container', name: c.name, status: 'Healthy' });
        return;
      }
      if (health === 'unhealthy') {
        x.progress.event({ kind: 'Container', name: c.name, status: 'Error', error: true });
        throw new Error(`dependency failed to start: container ${c.name} is unhealthy`);
      }
      if (!st.Running && st.Status !== 'created' && !st.Restarting) throw new Error(`dependency failed to start: container ${c.name} exited (${st.ExitCode})`);
    } else if (condition === 'service_completed_successfully') {
      if (!st.Running && st.Status === 'exited') {
        if (st.ExitCode !== 0) throw new Error(`service "${service}" didn't complete successfully: exit ${st.ExitCode}`);
        x.progress.event({ kind: 'Container', name: c.name, status: 'Exited' });
        return;
      }
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** What stopping and removing containers needs (no model: `down -p NAME` has none). */
export type ContainerOps = Pick<ExecContext, 'api' | 'progress' | 'timeout'>;

export async function stopContainer(x: ContainerOps, c: { id: string; name: string }): Promise<void> {
  x.progress.event({ kind: 'Container', name: c.name, status: 'Stopping' });
  await x.api.containerStop(c.id, { t: x.timeout }).catch(notModifiedOk);
  x.progress.event({ kind: 'Container', name: c.name, status: 'Stopped' });
}

/** Removes a container, stopping it first when `stop` and it may be running (state unknown counts). */
export async function removeContainer(x: ContainerOps, c: ObservedContainer | { id: string; name: string }, stop: boolean, volumes = false): Promise<void> {
  if (stop && (!('state' in c) || isUp(c))) await stopContainer(x, c);
  x.progress.event({ kind: 'Container', name: c.name, status: 'Removing' });
  await x.api.containerRemove(c.id, { force: true, v: volumes });
  x.progress.event({ kind: 'Container', name: c.name, status: 'Removed' });
}
