// /volumes routes (list, create, inspect, remove, prune) over the volume domain, plus the wire
// shapes the container routes need for mounts: Docker's MountPoint list (inspect's Mounts) and
// HostConfig.Mounts entries read into the domain's MountInput.
import { invalidArgument } from '../../lib/errors.js';
import { notSwarmManager } from '../../lib/docker-messages.js';
import type { CreateVolumeOptions, VolumeInfo } from '../../volume/volume-store.js';
import type { MountInput, MountPoint, MountType } from '../../volume/mount-point.js';
import type { Filters } from '../../volume/volume-filter.js';
import { readJsonObject } from '../../lib/http/request.js';
import { sendJson, sendNoContent } from '../../lib/http/route.js';
import { versionAtLeast } from '../server/api-version.js';
import type { Route } from '../server/route.js';
import { arr, bool, num, obj, str, strMap, type Obj } from './wire-read.js';
import type * as Wire from '../types/index.js';

/** What the volume routes need of the volume domain (VolumeStore, which reports the events). */
export interface VolumeBackend {
  list(filters: Filters): VolumeInfo[];
  get(name: string): VolumeInfo;
  create(name: string, opts: CreateVolumeOptions): Promise<VolumeInfo>;
  remove(name: string, opts: { force: boolean }): Promise<void>;
  /** Without opts.all, the `all` filter decides. */
  prune(filters: Filters, opts: { all?: boolean }): Promise<{ deleted: string[]; spaceReclaimed: number }>;
}

export interface VolumeRouteDeps {
  volumes: VolumeBackend;
}

/** Go's time.RFC3339 (second precision), as Docker prints a volume's CreatedAt. */
function rfc3339Seconds(t: string): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function volumeWire(v: VolumeInfo, usage?: { size: number; refCount: number }): Wire.VolumeSummary {
  const out: Wire.VolumeSummary = {
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
export function mountPointsWire(mps: MountPoint[]): Wire.MountPoint[] {
  return mps
    .filter((m) => !m.hidden)
    .map((m) => {
      const out: Wire.MountPoint = { Type: m.type };
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
  const out: MountInput = {
    type: (str(m, 'Type') ?? '') as MountType,
    source: str(m, 'Source') ?? '',
    target: str(m, 'Target') ?? '',
    readOnly: bool(m, 'ReadOnly') ?? false,
  };
  const b = optObj(m, 'BindOptions');
  if (b)
    out.bindOptions = { propagation: str(b, 'Propagation') || undefined, nonRecursive: bool(b, 'NonRecursive'), createMountpoint: bool(b, 'CreateMountpoint') };
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
export function mountInputToWire(m: MountInput): Wire.MountSpec {
  const out: Wire.MountSpec = { Type: m.type, Source: m.source ?? '', Target: m.target };
  if (m.readOnly) out.ReadOnly = true;
  const b = m.bindOptions;
  if (b)
    out.BindOptions = {
      ...(b.propagation ? { Propagation: b.propagation } : {}),
      ...(b.nonRecursive ? { NonRecursive: true } : {}),
      ...(b.createMountpoint ? { CreateMountpoint: true } : {}),
    };
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
  if (t)
    out.TmpfsOptions = {
      ...(t.sizeBytes ? { SizeBytes: t.sizeBytes } : {}),
      ...(t.mode ? { Mode: t.mode } : {}),
      ...(t.options ? { Options: t.options } : {}),
    };
  return out;
}

/** HostConfig.Mounts as MountInputs. */
export function mountInputsFromWire(hostConfig: Obj): MountInput[] {
  return arr(hostConfig, 'Mounts').map(mountInputFromWire);
}

export function volumeRoutes(d: VolumeRouteDeps): Route[] {
  const { volumes } = d;
  return [
    {
      method: 'GET',
      path: '/volumes',
      handler: async (ctx) => {
        const list = volumes.list(ctx.query.filters());
        const body: Wire.VolumeListResponse = { Volumes: list.map((v) => volumeWire(v)), Warnings: [] };
        sendJson(ctx.res, 200, body);
      },
    },
    {
      method: 'POST',
      path: '/volumes/create',
      handler: async (ctx) => {
        const body = await readJsonObject(ctx.body);
        const v = await volumes.create(str(body, 'Name') ?? '', {
          driver: str(body, 'Driver') || 'local',
          options: strMap(body, 'DriverOpts') ?? null,
          labels: strMap(body, 'Labels') ?? null,
        });
        sendJson(ctx.res, 201, volumeWire(v));
      },
    },
    {
      method: 'POST',
      path: '/volumes/prune',
      handler: async (ctx) => {
        // API >= 1.42 prunes only anonymous volumes unless the `all` filter says so; older
        // clients pruned every unused volume (and know no `all` filter).
        const r = await volumes.prune(ctx.query.filters(), versionAtLeast(ctx.apiVersion, '1.42') ? {} : { all: true });
        const body: Wire.VolumePruneResponse = { VolumesDeleted: r.deleted, SpaceReclaimed: r.spaceReclaimed };
        sendJson(ctx.res, 200, body);
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
        throw notSwarmManager(); // cluster volumes are swarm's
      },
    },
    {
      method: 'DELETE',
      path: '/volumes/{name}',
      handler: async (ctx) => {
        await volumes.remove(ctx.params.name!, { force: ctx.query.bool('force') });
        sendNoContent(ctx.res);
      },
    },
  ];
}

/** For `GET /system/df`: every volume with its UsageData. */
export async function volumesWithUsage(
  volumes: Pick<VolumeBackend, 'list'> & { usage(name: string): Promise<{ size: number; refCount: number }> },
): Promise<Wire.VolumeSummary[]> {
  return Promise.all(volumes.list({}).map(async (v) => volumeWire(v, await volumes.usage(v.name))));
}
