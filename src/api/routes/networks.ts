// /networks/* routes: Docker's network API over the network domain, with connect/disconnect
// going through the container service (it owns what a container is configured to join).
import { invalidArgument } from '../../lib/errors.js';
import { noSuchNetwork } from '../../lib/docker-messages.js';
import { labelsMatch } from '../../lib/label-filter.js';
import type { NetworkManager, NetworkContainer } from '../../network/network-manager.js';
import type { NetworkRecord } from '../../network/types.js';
import type { ContainerService } from '../../container/container-service.js';
import { readJsonObject } from '../../lib/http/request.js';
import { sendJson } from '../../lib/http/route.js';
import type { Route, RouteContext } from '../server/route.js';
import { arr, bool, obj, str, strArray, strMap, type Obj } from './wire-read.js';

export interface NetworkRouteDeps {
  networks: NetworkManager;
  containers: ContainerService;
  emit: (action: string, id: string, attributes?: Record<string, string>) => void;
}

const FILTERS = new Set(['driver', 'id', 'label', 'name', 'scope', 'type', 'dangling']);

export function networkWire(n: NetworkRecord, containers?: NetworkContainer[]): Obj {
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
    Containers: Object.fromEntries((containers ?? []).map((c) => [c.containerId, { Name: c.name, EndpointID: c.endpointId, MacAddress: c.mac, IPv4Address: c.ipv4, IPv6Address: '' }])),
    Options: n.options,
    Labels: n.labels,
  };
}

function matches(n: NetworkRecord, f: Record<string, string[]>, inUse: boolean): boolean {
  if (f.name && !f.name.some((v) => n.name.includes(v))) return false;
  if (f.id && !f.id.some((v) => n.id.startsWith(v))) return false;
  if (f.driver && !f.driver.includes(n.driver)) return false;
  if (f.scope && !f.scope.includes('local')) return false;
  if (f.label && !labelsMatch(n.labels, f.label)) return false;
  if (f.type && !f.type.some((t) => (t === 'custom' ? !n.predefined : t === 'builtin' ? n.predefined : false))) return false;
  if (f.dangling?.length) {
    const want = f.dangling[0] === 'true' || f.dangling[0] === '1';
    if (want === (inUse || n.predefined)) return false;
  }
  return true;
}

function checkFilters(f: Record<string, string[]>): void {
  for (const k of Object.keys(f)) if (!FILTERS.has(k)) throw invalidArgument(`invalid filter '${k}'`);
  for (const t of f.type ?? []) if (t !== 'custom' && t !== 'builtin') throw invalidArgument(`invalid filter: 'type'='${t}'`);
}

export function networkRoutes(d: NetworkRouteDeps): Route[] {
  const { networks, containers } = d;
  const inUse = (n: NetworkRecord) => networks.inspect(n.id).containers.length > 0;
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
        const f = ctx.query.filters();
        checkFilters(f);
        const list = networks.list().filter((n) => matches(n, f, inUse(n)));
        sendJson(ctx.res, 200, list.map((n) => networkWire(n, networks.inspect(n.id).containers)));
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
        d.emit('create', n.id, { name: n.name, type: n.driver });
        sendJson(ctx.res, 201, { Id: n.id, Warning: '' });
      },
    },
    {
      method: 'DELETE',
      path: '/networks/{id}',
      handler: async (ctx) => {
        const n = networks.find(ctx.params.id!);
        if (!n) throw noSuchNetwork(ctx.params.id!);
        await networks.remove(n.id);
        d.emit('destroy', n.id, { name: n.name, type: n.driver });
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
        await containers.connectNetwork(container, { network: n.name, aliases: strArray(ep, 'Aliases') ?? [], ...(ip ? { ip } : {}), ...(str(ep, 'MacAddress') ? { mac: str(ep, 'MacAddress') } : {}), ...(links.length ? { links } : {}) });
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
        const f = ctx.query.filters();
        for (const k of Object.keys(f)) if (k !== 'label' && k !== 'until' && k !== 'label!') throw invalidArgument(`invalid filter '${k}'`);
        const until = f.until?.[0] ? Date.parse(f.until[0]) || Number(f.until[0]) * 1000 : undefined;
        const removed = await networks.prune((n) => (!f.label || labelsMatch(n.labels, f.label, f['label!'] ?? [])) && (until === undefined || Date.parse(n.created) < until));
        for (const name of removed) d.emit('destroy', name, { name });
        sendJson(ctx.res, 200, { NetworksDeleted: removed.length ? removed : null });
      },
    },
  ];
}
