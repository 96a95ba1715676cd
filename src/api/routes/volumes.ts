// /volumes routes (list, create, inspect, remove, prune) over the volume domain, plus the wire
// shapes the container routes need for mounts: Docker's MountPoint list (inspect's Mounts) and
// HostConfig.Mounts entries read into the domain's MountInput.
import { invalidArgument, unavailable } from '../../lib/errors.js';
import type { VolumeInfo, VolumeStore } from '../../volume/volume-store.js';
import type { MountInput, MountPoint, MountType } from '../../volume/mount-point.js';
import { readJsonObject, type Filters } from '../../lib/http/request.js';
import { sendJson, sendNoContent } from '../../lib/http/route.js';
import { versionAtLeast } from '../server/api-version.js';
import type { Route } from '../server/route.js';
import { arr, bool, num, obj, str, strMap, type Obj } from './wire-read.js';

export interface VolumeRouteDeps {
  volumes: VolumeStore;
  /** Optional event hook ('create' | 'destroy', volume name, attributes). */
  emit?: (action: string, name: string, attributes: Record<string, string>) => void;
}

/** Go's time.RFC3339 (second precision), as Docker prints a volume's CreatedAt. */
function rfc3339Seconds(t: string): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function volumeWire(v: VolumeInfo, usage?: { size: number; refCount: number }): Obj {
  const out: Obj = {
    CreatedAt: rfc3339Seconds(v.createdAt),
    Driver: v.driver,
    // The swagger requires objects here (not nullable); the docker CLI prints {} and null alike.
    Labels: v.labels ?? {},
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: v.options ?? {},
    Scope: 'local',
  };
  if (usage) out.UsageData = { Size: usage.size, RefCount: usage.refCount };
  return out;
}

/** Docker's MountPoint entries (inspect's Mounts); --tmpfs entries are not listed, as in dockerd. */
export function mountPointsWire(mps: MountPoint[]): Obj[] {
  return mps.filter((m) => !m.hidden).map((m) => {
    const out: Obj = { Type: m.type };
    if (m.type === 'volume') out.Name = m.name;
    out.Source = m.source;
    out.Destination = m.destination;
    if (m.type === 'volume') out.Driver = m.driver ?? 'local';
    out.Mode = m.mode;
    out.RW = m.rw;
    out.Propagation = m.propagation;
    return out;
  });
}

/** An optional sub-object: undefined when absent or null (Docker's nil pointer), else the object. */
function optObj(o: Obj, key: string): Obj | undefined {
  return o[key] === undefined || o[key] === null ? undefined : obj(o, key);
}

/** One HostConfig.Mounts entry (Docker's mount.Mount) as the volume domain's MountInput. */
export function mountInputFromWire(m: Obj): MountInput {
  const out: MountInput = { type: (str(m, 'Type') ?? '') as MountType, source: str(m, 'Source') ?? '', target: str(m, 'Target') ?? '', readOnly: bool(m, 'ReadOnly') ?? false };
  const b = optObj(m, 'BindOptions');
  if (b) out.bindOptions = { propagation: str(b, 'Propagation') || undefined, nonRecursive: bool(b, 'NonRecursive'), createMountpoint: bool(b, 'CreateMountpoint') };
  const v = optObj(m, 'VolumeOptions');
  if (v) {
    const dc = optObj(v, 'DriverConfig');
    out.volumeOptions = {
      noCopy: bool(v, 'NoCopy'),
      labels: strMap(v, 'Labels'),
      subpath: str(v, 'Subpath') || undefined,
      ...(dc ? { driverConfig: { name: str(dc, 'Name') || undefined, options: strMap(dc, 'Options') } } : {}),
    };
  }
  const t = optObj(m, 'TmpfsOptions');
  if (t) {
    const raw = t.Options;
    if (raw !== undefined && raw !== null && (!Array.isArray(raw) || raw.some((x) => !Array.isArray(x) || x.some((y) => typeof y !== 'string'))))
      throw invalidArgument('invalid JSON: TmpfsOptions.Options: expected an array of string arrays');
    out.tmpfsOptions = { sizeBytes: num(t, 'SizeBytes'), mode: num(t, 'Mode'), options: (raw as string[][] | null) ?? undefined };
  }
  return out;
}

/** A MountInput back in Docker's HostConfig.Mounts shape (for inspect's HostConfig). */
export function mountInputToWire(m: MountInput): Obj {
  const out: Obj = { Type: m.type, Source: m.source ?? '', Target: m.target };
  if (m.readOnly) out.ReadOnly = true;
  const b = m.bindOptions;
  if (b) out.BindOptions = { ...(b.propagation ? { Propagation: b.propagation } : {}), ...(b.nonRecursive ? { NonRecursive: true } : {}), ...(b.createMountpoint ? { CreateMountpoint: true } : {}) };
  const v = m.volumeOptions;
  if (v) {
    const dc = v.driverConfig;
    out.VolumeOptions = {
      ...(v.noCopy ? { NoCopy: true } : {}),
      ...(v.labels ? { Labels: v.labels } : {}),
      ...(dc ? { DriverConfig: { ...(dc.name ? { Name: dc.name } : {}), ...(dc.options ? { Options: dc.options } : {}) } } : {}),
      ...(v.subpath ? { Subpath: v.subpath } : {}),
    };
  }
  const t = m.tmpfsOptions;
  if (t) out.TmpfsOptions = { ...(t.sizeBytes ? { SizeBytes: t.sizeBytes } : {}), ...(t.mode ? { Mode: t.mode } : {}), ...(t.options ? { Options: t.options } : {}) };
  return out;
}

/** HostConfig.Mounts as MountInputs. */
export function mountInputsFromWire(hostConfig: Obj): MountInput[] {
  return arr(hostConfig, 'Mounts').map(mountInputFromWire);
}

/** Docker's GetBoolOrDefault for the prune `all` filter. */
function allFilter(f: Filters): boolean {
  const v = f.all;
  if (!v || v.length === 0) return false;
  const l = v.map((x) => x.toLowerCase());
  if (l.every((x) => x === 'true' || x === '1')) return true;
  if (l.every((x) => x === 'false' || x === '0')) return false;
  throw invalidArgument(`invalid filter 'all=${v.join(',')}'`);
}

export function volumeRoutes(d: VolumeRouteDeps): Route[] {
  const { volumes } = d;
  const emit = d.emit ?? (() => {});
  return [
    {
      method: 'GET',
      path: '/volumes',
      handler: async (ctx) => {
        const list = volumes.list(ctx.query.filters());
        sendJson(ctx.res, 200, { Volumes: list.map((v) => volumeWire(v)), Warnings: [] });
      },
    },
    {
      method: 'POST',
      path: '/volumes/create',
      handler: async (ctx) => {
        const body = await readJsonObject(ctx.body);
        const name = str(body, 'Name') ?? '';
        const existed = name !== '' && volumes.has(name);
        const v = await volumes.create(name, { driver: str(body, 'Driver') || 'local', options: strMap(body, 'DriverOpts') ?? null, labels: strMap(body, 'Labels') ?? null });
        if (!existed) emit('create', v.name, { driver: v.driver });
        sendJson(ctx.res, 201, volumeWire(v));
      },
    },
    {
      method: 'POST',
      path: '/volumes/prune',
      handler: async (ctx) => {
        const filters = { ...ctx.query.filters() };
        // API >= 1.42 prunes only anonymous volumes unless `all`; older clients pruned all (and know no `all`).
        let all = true;
        if (versionAtLeast(ctx.apiVersion, '1.42')) {
          all = allFilter(filters);
          delete filters.all;
        }
        const r = await volumes.prune(filters, { all });
        for (const n of r.deleted) emit('destroy', n, { driver: 'local' });
        emit('prune', '', { reclaimed: String(r.spaceReclaimed) });
        sendJson(ctx.res, 200, { VolumesDeleted: r.deleted, SpaceReclaimed: r.spaceReclaimed });
      },
    },
    {
      method: 'GET',
      path: '/volumes/{name}',
      handler: async (ctx) => {
        sendJson(ctx.res, 200, volumeWire(volumes.get(ctx.params.name!)));
      },
    },
    {
      method: 'PUT',
      path: '/volumes/{name}',
      handler: async () => {
        throw unavailable('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.');
      },
    },
    {
      method: 'DELETE',
      path: '/volumes/{name}',
      handler: async (ctx) => {
        const name = ctx.params.name!;
        const existed = volumes.has(name);
        await volumes.remove(name, { force: ctx.query.bool('force') });
        if (existed) emit('destroy', name, { driver: 'local' });
        sendNoContent(ctx.res);
      },
    },
  ];
}

/** For `GET /system/df`: every volume with its UsageData. */
export async function volumesWithUsage(volumes: VolumeStore): Promise<Obj[]> {
  return Promise.all(volumes.list().map(async (v) => volumeWire(v, await volumes.usage(v.name))));
}
