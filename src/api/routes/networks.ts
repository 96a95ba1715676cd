// /networks/* routes: Docker's network API over the network domain, with connect/disconnect
// going through the container service (it owns what a container is configured to join).
import { invalidArgument } from '../../lib/errors.js';
import { noSuchNetwork } from '../../lib/docker-messages.js';
import type { CreateNetworkRequest, NetworkContainer } from '../../network/network-manager.js';
import type { NetworkFilters } from '../../network/network-filter.js';
import type { NetworkRecord } from '../../network/types.js';
import type * as Wire from '../types/index.js';
import { readJsonObject } from '../../lib/http/request.js';
import { sendJson } from '../../lib/http/route.js';
import type { Route, RouteContext } from '../server/route.js';
import { arr, bool, obj, str, strArray, strMap } from './wire-read.js';

/** What the network routes need of the network domain (NetworkManager, which reports create and destroy). */
export interface NetworkBackend {
  list(filters: NetworkFilters): NetworkRecord[];
  find(ref: string): NetworkRecord | undefined;
  inspect(ref: string): NetworkRecord & { containers: NetworkContainer[] };
  create(req: CreateNetworkRequest): Promise<NetworkRecord>;
  remove(ref: string): Promise<void>;
  /** Removes the unused networks the filters select; returns their names. */
  prune(filters: NetworkFilters): Promise<string[]>;
}

/** Connect and disconnect go through the container domain: it owns what a container joins. */
export interface NetworkAttachments {
  connectNetwork(ref: string, req: { network: string; aliases: string[]; ip?: string; mac?: string; links?: string[] }): Promise<void>;
  disconnectNetwork(ref: string, network: string): Promise<void>;
}

export interface NetworkRouteDeps {
  networks: NetworkBackend;
  containers: NetworkAttachments;
}

export function networkWire(n: NetworkRecord, containers: NetworkContainer[]): Wire.NetworkSummary {
  const config = n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway, ...(n.ipRange ? { IPRange: n.ipRange } : {}) }] : [];
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: config },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: Object.fromEntries(
      containers.map((c) => [c.containerId, { Name: c.name, EndpointID: c.endpointId, MacAddress: c.mac, IPv4Address: c.ipv4, IPv6Address: '' }]),
    ),
    Options: n.options,
    Labels: n.labels,
  };
}

export function networkRoutes(d: NetworkRouteDeps): Route[] {
  const { networks, containers } = d;
  /** The body, container and network of a connect/disconnect request. */
  const target = async (ctx: RouteContext) => {
    const b = await readJsonObject(ctx.body);
    const container = str(b, 'Container');
    if (!container) throw invalidArgument('no container given');
    const n = networks.find(ctx.params.id!);
    if (!n) throw noSuchNetwork(ctx.params.id!);
    return { b, container, n };
  };
  return [
    {
      method: 'GET',
      path: '/networks',
      handler: async (ctx) => {
        sendJson(
          ctx.res,
          200,
          networks.list(ctx.query.filters()).map((n) => networkWire(n, networks.inspect(n.id).containers)),
        );
      },
    },
    {
      method: 'GET',
      path: '/networks/{id}',
      handler: async (ctx) => {
        const n = networks.inspect(ctx.params.id!);
        sendJson(ctx.res, 200, networkWire(n, n.containers));
      },
    },
    {
      method: 'POST',
      path: '/networks/create',
      handler: async (ctx) => {
        const b = await readJsonObject(ctx.body);
        const name = str(b, 'Name');
        if (!name) throw invalidArgument('network name must not be empty');
        const ipamConfig = arr(obj(b, 'IPAM'), 'Config');
        if (ipamConfig.length > 1) throw invalidArgument('only one IPv4 pool per network is supported');
        const pool = ipamConfig[0] ?? {};
        if (bool(b, 'EnableIPv6')) throw invalidArgument('IPv6 networks are not supported');
        const n = await networks.create({
          name,
          driver: str(b, 'Driver') || 'bridge',
          subnet: str(pool, 'Subnet') || undefined,
          gateway: str(pool, 'Gateway') || undefined,
          ipRange: str(pool, 'IPRange') || undefined,
          internal: bool(b, 'Internal') ?? false,
          attachable: bool(b, 'Attachable') ?? false,
          labels: strMap(b, 'Labels') ?? {},
          options: strMap(b, 'Options') ?? {},
        });
        const body: Wire.NetworkCreateResponse = { Id: n.id, Warning: '' };
        sendJson(ctx.res, 201, body);
      },
    },
    {
      method: 'DELETE',
      path: '/networks/{id}',
      handler: async (ctx) => {
        await networks.remove(ctx.params.id!);
        ctx.res.writeHead(204).end();
      },
    },
    {
      method: 'POST',
      path: '/networks/{id}/connect',
      handler: async (ctx) => {
        const { b, container, n } = await target(ctx);
        const ep = obj(b, 'EndpointConfig');
        const ip = str(obj(ep, 'IPAMConfig'), 'IPv4Address') || undefined;
        const links = strArray(ep, 'Links') ?? [];
        await containers.connectNetwork(container, {
          network: n.name,
          aliases: strArray(ep, 'Aliases') ?? [],
          ...(ip ? { ip } : {}),
          ...(str(ep, 'MacAddress') ? { mac: str(ep, 'MacAddress') } : {}),
          ...(links.length ? { links } : {}),
        });
        ctx.res.writeHead(200, { 'Content-Type': 'text/plain' }).end();
      },
    },
    {
      method: 'POST',
      path: '/networks/{id}/disconnect',
      handler: async (ctx) => {
        const { container, n } = await target(ctx);
        await containers.disconnectNetwork(container, n.name);
        ctx.res.writeHead(200, { 'Content-Type': 'text/plain' }).end();
      },
    },
    {
      method: 'POST',
      path: '/networks/prune',
      handler: async (ctx) => {
        const removed = await networks.prune(ctx.query.filters());
        const body: Wire.NetworkPruneResponse = { NetworksDeleted: removed.length ? removed : null };
        sendJson(ctx.res, 200, body);
      },
    },
  ];
}
