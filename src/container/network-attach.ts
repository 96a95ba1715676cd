// docker network connect / disconnect on a container, under its lock: the change is recorded for
// the next start, and a live container is attached or detached now (its /etc/hosts and
// resolv.conf rewritten). What networks a container is on is decided in networking.ts.
import { forbidden } from '../lib/errors.js';
import { noSuchNetwork } from '../lib/docker-messages.js';
import type { ContainerRecord, ContainerSnapshot } from './container-record.js';
import { isLive, type ContainerCore } from './container-core.js';
import { writeEtcFiles } from './etc-files.js';
import { containerUserns } from './spec-input-from-record.js';
import { rootOwnerOf } from '../lib/id-map.js';
import { attachedNetworks, bridgeLinks, parseLink, primaryNetwork, strayEndpoints, type BridgeLinks } from './networking.js';

export async function connectNetwork(
  core: ContainerCore,
  ref: string,
  req: { network: string; aliases: string[]; ip?: string; mac?: string; links?: string[] },
): Promise<void> {
  const { deps } = core;
  const { id } = core.index.get(ref);
  const links = (req.links ?? []).map(parseLink);
  await core.lock.run(id, async () => {
    const rec = core.index.get(id);
    const n = deps.networks.find(req.network);
    if (!n) throw noSuchNetwork(req.network);
    const mode = rec.host.networkMode;
    if (mode === 'host' || mode === 'none' || mode.startsWith('container:') || n.name === 'host' || n.name === 'none')
      throw forbidden(`container cannot be disconnected from host network or connected to host network`);
    const endpoints = (rec.endpoints ?? []).filter((e) => primaryNetwork(e.network) !== n.name);
    if (isLive(rec)) {
      if (attachedNetworks(rec).some((e) => e.network === n.name)) throw forbidden(`endpoint with name ${rec.name} already exists in network ${n.name}`);
      await deps.networks.connect(rec.id, {
        name: n.name,
        aliases: req.aliases,
        ...(req.ip ? { ip: req.ip } : {}),
        ...(req.mac ? { mac: req.mac } : {}),
        ...(links.length ? { links } : {}),
      });
      await refreshEtcFiles(core, rec);
    }
    await core.records.update(id, (r) => {
      // Connecting to the primary network again ends its disconnection.
      const { primaryDisconnected, ...rest } = r;
      return {
        ...rest,
        endpoints: [...endpoints, { ...req, network: n.name }],
        ...(primaryDisconnected && primaryNetwork(mode) !== n.name ? { primaryDisconnected } : {}),
      };
    });
  });
  deps.events.emit('network', 'connect', req.network, { container: id, name: req.network });
}

export async function disconnectNetwork(core: ContainerCore, ref: string, network: string): Promise<void> {
  const { deps } = core;
  const { id } = core.index.get(ref);
  await core.lock.run(id, async () => {
    const rec = core.index.get(id);
    const n = deps.networks.find(network);
    if (!n) throw noSuchNetwork(network);
    if (rec.host.networkMode === 'host' && n.name === 'host')
      throw forbidden('container cannot be disconnected from host network or connected to host network');
    if (!attachedNetworks(rec).some((e) => e.network === n.name)) throw forbidden(`container ${rec.id} is not connected to network ${n.name}`);
    if (isLive(rec)) {
      await deps.networks.disconnect(rec.id, n.name);
      await refreshEtcFiles(core, rec);
    }
    // HostConfig.NetworkMode stays as it was (Docker keeps it): the record notes the primary network was left.
    const leftPrimary = primaryNetwork(rec.host.networkMode) === n.name;
    await core.records.update(id, (r) => ({
      ...r,
      endpoints: (r.endpoints ?? []).filter((e) => primaryNetwork(e.network) !== n.name),
      ...(leftPrimary ? { primaryDisconnected: true } : {}),
    }));
  });
  deps.events.emit('network', 'disconnect', network, { container: id, name: network });
}

/** Rewrites /etc/hosts and resolv.conf in place (they are bind-mounted) after the networks changed. */
export async function refreshEtcFiles(core: ContainerCore, rec: ContainerSnapshot): Promise<void> {
  const net = core.deps.networks.info(rec.id);
  let links: BridgeLinks['hosts'] = [];
  try {
    links = bridgeLinksOf(core, rec).hosts;
  } catch {
    // A linked container gone since the start: its line goes, as the rest is rewritten.
  }
  if (net) await writeEtcFiles(core.deps.paths, rec, net, core.deps.defaultDns, links, rootOwnerOf(containerUserns(core.deps.spec, rec)));
}

/** The legacy links of a container on the default bridge, from its linked containers' current addresses. */
export function bridgeLinksOf(core: ContainerCore, rec: ContainerRecord | ContainerSnapshot): BridgeLinks {
  return bridgeLinks(
    rec,
    (ref) => core.index.find(ref),
    (id) => core.deps.networks.info(id)?.endpoints.find((e) => e.network === 'bridge')?.ip,
  );
}

/**
 * Startup: a running container's sandbox endpoints its record does not list are a connect that
 * berthd's death cut short (the sandbox is written before the container record): they go, so
 * inspect, the interfaces in the container and a retried connect agree again.
 */
export async function dropStrayEndpoints(core: ContainerCore, rec: ContainerSnapshot): Promise<void> {
  const net = core.deps.networks.info(rec.id);
  if (!net) return;
  const stray = strayEndpoints(
    rec,
    net.endpoints.map((e) => e.networkId),
    (ref) => core.deps.networks.find(ref)?.id,
  );
  if (!stray.length) return;
  for (const id of stray) await core.deps.networks.disconnect(rec.id, id);
  await refreshEtcFiles(core, rec);
}
