// How a container is networked, decided in pure code from its record, and performed through
// the network domain: Docker's modes `default`/`bridge`, a user network name, `host`, `none` and
// `container:<ref>`. Only bridge-backed modes own a sandbox that must be torn down at exit.
import { conflict } from '../lib/errors.js';
import { containerNotRunning, noSuchNetwork } from '../lib/docker-messages.js';
import type { AttachRequest, AttachResult, NetworkRequest } from '../network/types.js';
import type { NetworkManager } from '../network/network-manager.js';
import type { ContainerRecord } from './container-record.js';

export type NetworkPlan =
  | { kind: 'host' }
  | { kind: 'none' }
  | { kind: 'container'; ref: string }
  | { kind: 'sandbox'; request: AttachRequest };

export function primaryNetwork(mode: string): string {
  return mode === 'default' || mode === '' ? 'bridge' : mode;
}

export function networkPlan(rec: ContainerRecord): NetworkPlan {
  const mode = rec.host.networkMode;
  if (mode === 'host') return { kind: 'host' };
  if (mode === 'none') return { kind: 'none' };
  if (mode.startsWith('container:')) return { kind: 'container', ref: mode.slice('container:'.length) };
  const primary = primaryNetwork(mode);
  // Records written before networks existed have none; clients name the default network 'default'.
  const endpoints = (rec.endpoints ?? []).map((e) => ({ ...e, network: primaryNetwork(e.network) }));
  const byName = new Map(endpoints.map((e) => [e.network, e]));
  const toRequest = (name: string): NetworkRequest => {
    const e = byName.get(name);
    return { name, aliases: e?.aliases ?? [], ...(e?.ip ? { ip: e.ip } : {}), ...(e?.mac ? { mac: e.mac } : {}) };
  };
  const networks = [toRequest(primary), ...endpoints.filter((e) => e.network !== primary).map((e) => toRequest(e.network))];
  return {
    kind: 'sandbox',
    request: {
      containerName: rec.name,
      hostname: rec.config.hostname,
      networks,
      portBindings: rec.host.portBindings ?? {},
      publishAll: rec.host.publishAllPorts ?? false,
      exposedPorts: Object.keys(rec.config.exposedPorts),
    },
  };
}

/** Create-time checks, so `run --network nosuch` fails before anything exists (as Docker). */
export function checkNetworks(rec: ContainerRecord, networks: NetworkManager): void {
  const plan = networkPlan(rec);
  if (plan.kind !== 'sandbox') return;
  for (const n of plan.request.networks) if (!networks.find(n.name)) throw noSuchNetwork(n.name);
  if (plan.request.networks.some((n) => n.name === 'host' || n.name === 'none') && plan.request.networks.length > 1)
    throw conflict('container cannot be disconnected from host network or connected to host network');
}

const NO_NETWORK: Omit<AttachResult, 'netns'> = { endpoints: [], ports: {}, dnsServers: [], hostsEntries: [] };

/** Sets up the container's network before the runtime creates it. */
export async function setUpNetwork(rec: ContainerRecord, networks: NetworkManager, lookup: (ref: string) => ContainerRecord): Promise<AttachResult> {
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
