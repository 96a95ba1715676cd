// Changing a container's settings under its lock: rename (the name index follows), update
// (resources apply to a live container at once), and the health the health monitor measured.
import { conflict, invalidArgument, messageOf, notFound } from '../lib/errors.js';
import { buildResources } from '../runtime/specgen/build-spec.js';
import type { ContainerSnapshot, HealthState, HostSettings } from './container-record.js';
import { isLive, type ContainerCore } from './container-core.js';
import { validateHostSettings } from './create-config.js';
import { normaliseName } from './names.js';
import { parseLink } from './networking.js';

export interface SettingsChange {
  resources?: HostSettings['resources'];
  restartPolicy?: HostSettings['restartPolicy'];
}

export interface HealthUpdate {
  before: HealthState['status'] | undefined;
  after: ContainerSnapshot;
}

export async function renameContainer(core: ContainerCore, ref: string, newName: string): Promise<void> {
  const rec = core.index.get(ref);
  if (!newName) throw invalidArgument('Neither old nor new names may be empty');
  const name = normaliseName(newName);
  if (name === rec.name) throw conflict(`Renaming a container with the same name as its current name`);
  core.index.reserve(name, rec.id);
  await core.lock
    .run(rec.id, async () => {
      const old = core.index.get(rec.id).name;
      const renamed = await core.records.update(rec.id, (r) => ({ ...r, name }));
      core.index.release(old, rec.id);
      core.emitEvent(renamed, 'rename', { oldName: `/${old}` });
    })
    .catch((e) => {
      core.index.release(name, rec.id);
      throw e;
    });
}

/**
 * `docker rm --link /parent/alias`: forgets the parent's legacy link of that alias. The link's
 * environment and hosts entry go at the parent's next start (dockerd rewrites neither in a
 * running container). Unlike dockerd, the link stays gone after a daemon restart.
 */
export async function removeLink(core: ContainerCore, linkName: string): Promise<void> {
  const trimmed = linkName.replace(/^\/+/, '');
  const slash = trimmed.lastIndexOf('/');
  if (slash < 0) throw conflict('Conflict, cannot remove the default link name of the container');
  const parentRef = trimmed.slice(0, slash);
  const alias = trimmed.slice(slash + 1);
  const parent = core.index.find(parentRef);
  const has = (links: readonly string[] | undefined) => (links ?? []).some((l) => parseLink(l).alias === alias);
  if (!parent || !has(parent.host.links)) throw notFound(`No such container: ${trimmed}`);
  await core.lock.run(parent.id, () =>
    core.records.update(parent.id, (r) => ({ ...r, host: { ...r.host, links: (r.host.links ?? []).filter((l) => parseLink(l).alias !== alias) } })),
  );
}

export async function updateContainer(core: ContainerCore, ref: string, change: SettingsChange): Promise<string[]> {
  const { id } = core.index.get(ref);
  const updated = await core.lock.run(id, async () => {
    const rec = core.index.get(id);
    const next: HostSettings = {
      ...rec.host,
      resources: { ...rec.host.resources, ...(change.resources ?? {}) },
      restartPolicy: change.restartPolicy ?? rec.host.restartPolicy,
    };
    validateHostSettings(next);
    if (isLive(rec) && change.resources && Object.keys(change.resources).length)
      await core
        .runtimeFor(rec)
        .update(rec.id, buildResources(next.resources))
        .catch((e: unknown) => {
          // EINVAL/ERANGE writing a cgroup file (crun and runc both say so): the kernel refused the client's value (a cpuset it cannot parse, an out-of-range limit), dockerd's 400.
          if (/(invalid argument|numerical result out of range)/i.test(messageOf(e)))
            throw invalidArgument(`Cannot update container ${rec.id}: ${messageOf(e)}`, e);
          throw e;
        });
    return core.records.update(id, (r) => ({ ...r, host: next }));
  });
  core.emitEvent(updated, 'update');
  return [];
}

/**
 * Saves a container's health under its lock, computed from the health recorded now (a probe
 * that ran while the container exited or was renamed changes only the health). Returns the
 * status before and the record after, or undefined when the container is gone.
 */
export async function updateHealth(core: ContainerCore, id: string, fn: (cur: HealthState | undefined) => HealthState): Promise<HealthUpdate | undefined> {
  return core.lock.run(id, async () => {
    const cur = core.records.get(id);
    if (!cur || cur.phase !== 'ready') return undefined;
    const after = await core.records.update(id, (r) => ({ ...r, state: { ...r.state, health: fn(r.state.health) } }));
    return { before: cur.state.health?.status, after };
  });
}
