// How a container is networked, decided in pure code from its record, and performed through
// the network domain: Docker's modes `default`/`bridge`, a user network name, `host`, `none` and
// `container:<ref>`. Only bridge-backed modes own a sandbox that must be torn down at exit.
import { conflict, invalidArgument } from '../lib/errors.js';
import { portRequests } from '../network/ports.js';
import { containerNotRunning, noSuchNetwork } from '../lib/docker-messages.js';
import type { AttachRequest, AttachResult, LinkAlias, NetworkRequest } from '../network/types.js';
import type { ContainerNetworks } from './seams.js';
import type { ContainerRecord, EndpointRequest } from './container-record.js';

export type NetworkPlan = { kind: 'host' } | { kind: 'none' } | { kind: 'container'; ref: string } | { kind: 'sandbox'; request: AttachRequest };

/** A link as Docker's opts.ParseLink reads it: "name:alias", "name", or the stored "/name:/c/alias". */
export function parseLink(link: string): LinkAlias {
  if (!link) throw invalidArgument('empty string specified for links');
  const parts = link.split(':');
  if (parts.length > 2) throw invalidArgument(`bad format for links: ${link}`);
  if (parts.length === 1) return { name: link, alias: link };
  const [name, alias] = parts as [string, string];
  if (name.startsWith('/')) return { name: name.slice(1), alias: alias.slice(alias.lastIndexOf('/') + 1) };
  return { name, alias };
}

export function primaryNetwork(mode: string): string {
  return mode === 'default' || mode === '' ? 'bridge' : mode;
}

/**
 * The networks a container is on, by name, as Docker's NetworkSettings.Networks: its primary
 * network (HostConfig.NetworkMode, which a disconnect never changes) unless it was disconnected
 * from it, then the ones it was connected to at create or later. `container:` modes have none.
 */
export function attachedNetworks(rec: ContainerRecord): EndpointRequest[] {
  const mode = rec.host.networkMode;
  if (mode.startsWith('container:')) return [];
  const primary = primaryNetwork(mode);
  // Records written before networks existed have none; clients name the default network 'default'.
  const endpoints = (rec.endpoints ?? []).map((e) => ({ ...e, network: primaryNetwork(e.network) }));
  const rest = endpoints.filter((e) => e.network !== primary);
  if (rec.primaryDisconnected) return rest;
  return [endpoints.find((e) => e.network === primary) ?? { network: primary, aliases: [] }, ...rest];
}

/**
 * The networks (by id) a sandbox is attached to that the container's record does not list (pure;
 * `dropStrayEndpoints` acts on it). The record names networks as the user did (name or id), so
 * both sides are compared by id; `idOf` resolves a name or id to the network's id.
 */
export function strayEndpoints(rec: ContainerRecord, attachedIds: readonly string[], idOf: (ref: string) => string | undefined): string[] {
  if (rec.host.networkMode.startsWith('container:')) return [];
  const wanted = new Set(attachedNetworks(rec).map((e) => idOf(e.network)));
  return attachedIds.filter((id) => !wanted.has(id));
}

export function networkPlan(rec: ContainerRecord): NetworkPlan {
  const mode = rec.host.networkMode;
  if (mode === 'host') return { kind: 'host' };
  if (mode === 'none') return { kind: 'none' };
  if (mode.startsWith('container:')) return { kind: 'container', ref: mode.slice('container:'.length) };
  const primary = primaryNetwork(mode);
  const toRequest = (e: EndpointRequest): NetworkRequest => {
    // The deprecated Config.MacAddress (what `run --mac-address` sends) applies to the primary network.
    const mac = e.mac || (e.network === primary ? rec.config.macAddress : undefined);
    return {
      name: e.network,
      aliases: e.aliases,
      ...(e.ip ? { ip: e.ip } : {}),
      ...(mac ? { mac } : {}),
      ...(e.links?.length ? { links: e.links.map(parseLink) } : {}),
    };
  };
  // Disconnected from every network, the sandbox has only loopback (as in Docker), and a later
  // `network connect` still has a namespace to join.
  const networks = attachedNetworks(rec).map(toRequest);
  return {
    kind: 'sandbox',
    request: {
      containerName: rec.name,
      hostname: rec.config.hostname,
      networks,
      portBindings: rec.host.portBindings ?? {},
      publishAll: rec.host.publishAllPorts ?? false,
      exposedPorts: Object.keys(rec.config.exposedPorts),
      dnsUpstreams: rec.host.dns,
    },
  };
}

/**
 * Create-time checks, so bad networking fails before anything exists (as Docker's
 * validateNetMode and port parsing): unknown networks, options that make no sense with
 * `container:` or `host` modes, malformed port bindings.
 */
export function checkNetworks(rec: ContainerRecord, networks: ContainerNetworks, requested: { hostname?: string }): void {
  const mode = rec.host.networkMode;
  if (mode.startsWith('container:')) {
    if (requested.hostname) throw invalidArgument('conflicting options: hostname and the network mode');
    if (Object.keys(rec.host.portBindings ?? {}).length || rec.host.publishAllPorts)
      throw invalidArgument('conflicting options: port publishing and the container type network mode');
    if (rec.host.dns.length || rec.host.dnsSearch.length || rec.host.dnsOptions.length) throw invalidArgument('conflicting options: dns and the network mode');
    if (rec.host.extraHosts.length) throw invalidArgument('conflicting options: custom host-to-IP mapping and the network mode');
    if (rec.config.macAddress) throw invalidArgument('conflicting options: mac-address and the network mode');
  }
  if ((mode === 'host' || mode === 'none') && rec.config.macAddress) throw invalidArgument('conflicting options: mac-address and the network mode');
  if (rec.host.links?.length) {
    if (mode === 'host') throw invalidArgument("conflicting options: host type networking can't be used with links. This would result in undefined behavior");
    if (mode.startsWith('container:'))
      throw invalidArgument("conflicting options: container type network can't be used with links. This would result in undefined behavior");
    for (const l of rec.host.links) parseLink(l);
  }
  portRequests(rec.host.portBindings ?? {}, rec.host.publishAllPorts ?? false, Object.keys(rec.config.exposedPorts));
  const plan = networkPlan(rec);
  if (plan.kind !== 'sandbox') return;
  for (const n of plan.request.networks) if (!networks.find(n.name)) throw noSuchNetwork(n.name);
  if (plan.request.networks.some((n) => n.name === 'host' || n.name === 'none') && plan.request.networks.length > 1)
    throw conflict('container cannot be disconnected from host network or connected to host network');
}

/** What legacy links give a container on the default bridge: /etc/hosts lines and environment. */
export interface BridgeLinks {
  hosts: { ip: string; names: string[] }[];
  env: string[];
}

/**
 * Legacy links (HostConfig.Links) as dockerd applies them on the default bridge, resolved at
 * start: each running linked container's bridge address under its alias, hostname and name in
 * /etc/hosts, and the <ALIAS>_PORT_*, <ALIAS>_NAME and <ALIAS>_ENV_* variables. On user networks
 * dockerd ignores them (links there are endpoint aliases the embedded DNS answers).
 */
export function bridgeLinks(
  rec: ContainerRecord,
  lookup: (ref: string) => ContainerRecord | undefined,
  bridgeIp: (id: string) => string | undefined,
): BridgeLinks {
  const out: BridgeLinks = { hosts: [], env: [] };
  if (primaryNetwork(rec.host.networkMode) !== 'bridge') return out;
  for (const link of rec.host.links ?? []) {
    const { name, alias } = parseLink(link);
    const child = lookup(name);
    if (!child) throw invalidArgument(`could not get container for ${name}`);
    if (child.state.status !== 'running' && child.state.status !== 'paused')
      throw conflict(`Cannot link to a non running container: /${child.name} AS /${rec.name}/${alias}`);
    const ip = bridgeIp(child.id);
    if (!ip) throw conflict(`Cannot link to /${child.name}, as it does not belong to the default network`);
    out.hosts.push({ ip, names: [alias, child.config.hostname, ...(alias !== child.name ? [child.name] : [])] });
    out.env.push(...linkEnv(`/${rec.name}/${alias}`, alias, ip, Object.keys(child.config.exposedPorts), child.config.env));
  }
  return out;
}

/** Docker's links.Link.ToEnv (without the _START/_END variables of port ranges). */
function linkEnv(linkName: string, alias: string, ip: string, exposed: string[], childEnv: string[]): string[] {
  const prefix = alias.toUpperCase().replace(/-/g, '_');
  const ports = exposed
    .map((k) => {
      const [port = '', proto = 'tcp'] = k.split('/');
      return { port: Number(port), proto };
    })
    .sort((a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : 0));
  const env: string[] = [];
  if (ports[0]) env.push(`${prefix}_PORT=${ports[0].proto}://${ip}:${ports[0].port}`);
  for (const { port, proto } of ports) {
    const key = `${prefix}_PORT_${port}_${proto.toUpperCase()}`;
    env.push(`${key}=${proto}://${ip}:${port}`, `${key}_ADDR=${ip}`, `${key}_PORT=${port}`, `${key}_PROTO=${proto}`);
  }
  env.push(`${prefix}_NAME=${linkName}`);
  for (const v of childEnv) {
    const i = v.indexOf('=');
    if (i < 0) continue;
    const k = v.slice(0, i);
    if (k === 'HOME' || k === 'PATH') continue;
    env.push(`${prefix}_ENV_${k}=${v.slice(i + 1)}`);
  }
  return env;
}

const NO_NETWORK: Omit<AttachResult, 'netns'> = { endpoints: [], ports: {}, dnsServers: [], hostsEntries: [] };

/** Sets up the container's network before the runtime creates it. */
export async function setUpNetwork(rec: ContainerRecord, networks: ContainerNetworks, lookup: (ref: string) => ContainerRecord): Promise<AttachResult> {
  const plan = networkPlan(rec);
  switch (plan.kind) {
    case 'host':
      return { ...NO_NETWORK, netns: 'host' };
    case 'none':
      return { ...NO_NETWORK, netns: 'new' };
    case 'container': {
      const other = lookup(plan.ref);
      if (other.state.status !== 'running' || !other.state.pid) throw containerNotRunning(other.id);
      const info = networks.info(other.id);
      return { ...NO_NETWORK, ...(info ?? {}), netns: info && typeof info.netns === 'object' ? info.netns : { path: `/proc/${other.state.pid}/ns/net` } };
    }
    case 'sandbox':
      return networks.attach(rec.id, plan.request);
  }
}
