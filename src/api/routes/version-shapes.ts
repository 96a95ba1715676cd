// What an older API version's body holds that the current one does not. Handlers build the
// v1.45 body; these pure functions add (or reshape) what a client pinned at an older version
// reads, as dockerd does for the same request. Fields added after a version stay (dockerd sends
// them too, and clients ignore unknown keys); fields a later version removed come back here.
// Sources: the v1.41 and v1.45 swaggers (conformance/engine-api) and Docker's API changelog.
import { versionAtLeast } from '../server/api-version.js';
import type * as Wire from '../types/index.js';

type Obj = Record<string, unknown>;

/** Network modes that are not user-defined networks (dockerd's NetworkMode.IsUserDefined). */
function isUserDefined(network: string): boolean {
  return !['bridge', 'host', 'none', 'default'].includes(network) && !network.startsWith('container:');
}

/**
 * GET /containers/{id}/json. Before 1.45 each user-defined network's `Aliases` also lists the
 * container's short ID and hostname (1.45 moved those to `DNSNames`); before 1.42 the resources
 * carry `KernelMemory` (removed from the API in 1.42).
 */
export function containerInspectForVersion(body: Wire.ContainerInspect, apiVersion: string): Wire.ContainerInspect {
  if (versionAtLeast(apiVersion, '1.45')) return body;
  const shortId = body.Id.slice(0, 12);
  const hostname = body.Config?.Hostname ?? '';
  const networks = body.NetworkSettings?.Networks ?? {};
  for (const [name, ep] of Object.entries(networks)) {
    if (!ep || !isUserDefined(name)) continue;
    const extra = [shortId, hostname].filter(Boolean);
    ep.Aliases = [...new Set([...(ep.Aliases ?? []), ...extra])];
  }
  if (!versionAtLeast(apiVersion, '1.42') && body.HostConfig) (body.HostConfig as Obj).KernelMemory ??= 0;
  return body;
}

/**
 * GET /info. Before 1.42: `KernelMemory` (a bool), `ClusterStore` and `ClusterAdvertise` (removed
 * in 1.42). Before 1.25: `SecurityOptions` as bare names (["seccomp"]; 1.25 made them
 * "name=seccomp,profile=..." pairs) and `ExecutionDriver`, which dockerd reports as "<not supported>".
 */
export function infoForVersion(info: Wire.SystemInfo, apiVersion: string): Obj {
  const out: Obj = { ...info };
  if (!versionAtLeast(apiVersion, '1.42')) {
    out.KernelMemory = false;
    out.ClusterStore = '';
    out.ClusterAdvertise = '';
  }
  if (!versionAtLeast(apiVersion, '1.25')) {
    out.ExecutionDriver = '<not supported>';
    out.SecurityOptions = (info.SecurityOptions ?? []).map((o) => /(?:^|,)name=([^,]*)/.exec(o)?.[1] ?? o);
  }
  return out;
}

/** GET /system/df. Before 1.42 each build-cache record has `Parent` (1.42 replaced it by `Parents`). */
export function diskUsageForVersion(df: Wire.SystemDf, apiVersion: string): Wire.SystemDf {
  if (versionAtLeast(apiVersion, '1.42') || !df.BuildCache) return df;
  return { ...df, BuildCache: df.BuildCache.map((b) => ({ ...b, Parent: b.Parents?.[0] ?? '' })) };
}
