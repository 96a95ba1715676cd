// network create / ls / inspect / rm / prune / connect / disconnect, as the docker CLI 28 prints
// them and with the request bodies it sends.
import { isApiError } from '../../api/client/errors.js';
import type { NetworkCreateRequest } from '../../api/types/index.js';
import { StatusError } from '../cli-error.js';
import type { CliContext } from '../context.js';
import { newCommand, parse, toInt } from '../flags.js';
import { naturalCompare } from '../format/natural-sort.js';
import { renderList } from '../format/render.js';
import { NETWORK_DEFAULT, NETWORK_HEADERS, NetworkContext } from '../format/volume-network-context.js';
import { createIpamConfig } from '../../client/network-ipam.js';
import { filterArgs, filterOpt, kvMap, labelOpt, linkOpt, mapOpt, stringsOpt } from '../opt-values.js';
import { confirm } from './images.js';
import { writeInspect } from './volume.js';
import { ENDPOINT_STATE_ZERO } from '../create-request.js';

interface CreateOpts {
  driver: string;
  opt: string[];
  label: string[];
  internal?: boolean;
  attachable?: boolean;
  ingress?: boolean;
  ipv4?: boolean;
  ipv6?: boolean;
  scope?: string;
  configOnly?: boolean;
  configFrom?: string;
  ipamDriver: string;
  ipamOpt: string[];
  subnet: string[];
  ipRange: string[];
  gateway: string[];
  auxAddress: string[];
}

export async function networkCreate(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'network create', usage: '[OPTIONS] NETWORK', description: 'Create a network', exactArgs: 1 })
    .option('-d, --driver <string>', 'Driver to manage the Network', 'bridge')
    .option('-o, --opt <map>', 'Set driver specific options', mapOpt, [])
    .option('--label <list>', 'Set metadata on a network', labelOpt, [])
    .option('--internal', 'Restrict external access to the network')
    .option('--attachable', 'Enable manual container attachment')
    .option('--ingress', 'Create swarm routing-mesh network')
    .option('--ipv4 [bool]', 'Enable or disable IPv4 address assignment')
    .option('--ipv6 [bool]', 'Enable or disable IPv6 address assignment')
    .option('--scope <string>', "Control the network's scope", '')
    .option('--config-only', 'Create a configuration only network')
    .option('--config-from <string>', 'The network from which to copy the configuration')
    .option('--ipam-driver <string>', 'IP Address Management Driver', 'default')
    .option('--ipam-opt <map>', 'Set IPAM driver specific options', mapOpt, [])
    .option('--subnet <strings>', 'Subnet in CIDR format that represents a network segment', stringsOpt, [])
    .option('--ip-range <strings>', 'Allocate container ip from a sub-range', stringsOpt, [])
    .option('--gateway <strings>', 'IPv4 or IPv6 Gateway for the master subnet', stringsOpt, [])
    .option('--aux-address <map>', 'Auxiliary IPv4 or IPv6 addresses used by Network driver', mapOpt, []);
  const p = parse<CreateOpts>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const config = createIpamConfig({ subnets: o.subnet, ipRanges: o.ipRange, gateways: o.gateway, auxAddresses: Object.entries(kvMap(o.auxAddress)) });
  // field order and presence as the docker CLI marshals network.CreateRequest
  const body: NetworkCreateRequest = {
    Driver: o.driver,
    Scope: o.scope ?? '',
    ...(o.ipv4 !== undefined ? { EnableIPv4: o.ipv4 } : {}),
    ...(o.ipv6 !== undefined ? { EnableIPv6: o.ipv6 } : {}),
    IPAM: { Driver: o.ipamDriver, Options: kvMap(o.ipamOpt), Config: config },
    Internal: !!o.internal,
    Attachable: !!o.attachable,
    Ingress: !!o.ingress,
    ConfigOnly: !!o.configOnly,
    ConfigFrom: o.configFrom ? { Network: o.configFrom } : null,
    Options: kvMap(o.opt),
    Labels: kvMap(o.label),
    Name: p.args[0]!,
  };
  const r = await ctx.docker.networkCreate(body);
  ctx.out(`${r.Id}\n`);
  return 0;
}

export async function networkLs(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'network ls', usage: '[OPTIONS]', description: 'List networks', maxArgs: 0 })
    .option('-q, --quiet', 'Only display network IDs')
    .option('--no-trunc', 'Do not truncate the output')
    .option('--format <string>', 'Format output using a custom template')
    .option('-f, --filter <filter>', 'Provide filter values (e.g. "driver=bridge")', filterOpt, []);
  const p = parse<{ quiet?: boolean; trunc?: boolean; format?: string; filter: string[] }>(ctx, c, argv);
  if (!p) return 0;
  const list = [...((await ctx.docker.networkList(filterArgs(p.opts.filter))) ?? [])].sort((a, b) => naturalCompare(a.Name, b.Name));
  const format = p.opts.quiet ? '{{.ID}}' : (p.opts.format ?? '');
  const trunc = p.opts.trunc !== false;
  ctx.out(
    renderList(
      { format, defaultFormat: NETWORK_DEFAULT, headers: NETWORK_HEADERS },
      list.map((n) => new NetworkContext(n, trunc)),
    ),
  );
  return 0;
}

export async function networkInspect(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'network inspect',
    usage: '[OPTIONS] NETWORK [NETWORK...]',
    description: 'Display detailed information on one or more networks',
    minArgs: 1,
  })
    .option('-f, --format <string>', 'Format output using a custom template')
    .option('-v, --verbose', 'Verbose output for diagnostics');
  const p = parse<{ format?: string; verbose?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of p.args) {
    try {
      found.push(await ctx.docker.networkInspect(name, { verbose: p.opts.verbose }));
    } catch (e) {
      if (!isApiError(e)) throw e;
      errors.push(`Error response from daemon: ${e.message}`);
    }
  }
  writeInspect(ctx, p.opts.format, found, false);
  if (errors.length) throw new StatusError(1, errors.join('\n'));
  return 0;
}

export async function networkRm(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'network rm', usage: 'NETWORK [NETWORK...]', description: 'Remove one or more networks', minArgs: 1 }).option(
    '-f, --force',
    'Do not error if the network does not exist',
  );
  const p = parse<{ force?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  let failed = false;
  for (const name of p.args) {
    // docker inspects first (to warn before removing an ingress network)
    const nw = await ctx.docker.networkInspect(name).catch((e: unknown) => {
      if (isApiError(e)) return undefined;
      throw e;
    });
    if (
      nw?.Ingress &&
      !(await confirm(
        ctx,
        'WARNING! Before removing the routing-mesh network, make sure all the nodes in your swarm run the same docker engine version. Otherwise, removal may not be effective and functionality of newly create ingress networks will be impaired.',
      ))
    )
      continue;
    try {
      await ctx.docker.networkRemove(name);
    } catch (e) {
      if (!isApiError(e)) throw e;
      if (p.opts.force && e.status === 404) continue;
      ctx.err(`Error response from daemon: ${e.message}\n`);
      failed = true;
      continue;
    }
    ctx.out(`${name}\n`);
  }
  // cli.StatusError without a message: docker's main prints "exit status 1"
  if (failed) throw new StatusError(1, 'exit status 1');
  return 0;
}

export async function networkPrune(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'network prune', usage: '[OPTIONS]', description: 'Remove all unused networks', maxArgs: 0 })
    .option('--filter <filter>', 'Provide filter values (e.g. "until=<timestamp>")', filterOpt, [])
    .option('-f, --force', 'Do not prompt for confirmation');
  const p = parse<{ force?: boolean; filter: string[] }>(ctx, c, argv);
  if (!p) return 0;
  if (!p.opts.force && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) return 0;
  const r = await ctx.docker.networkPrune(filterArgs(p.opts.filter));
  const deleted = r.NetworksDeleted ?? [];
  if (deleted.length) ctx.out(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}\n`);
  return 0;
}

interface ConnectOpts {
  alias: string[];
  ip?: string;
  ip6?: string;
  link: string[];
  linkLocalIp: string[];
  driverOpt: string[];
  gwPriority?: number;
}

export async function networkConnect(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, { name: 'network connect', usage: '[OPTIONS] NETWORK CONTAINER', description: 'Connect a container to a network', exactArgs: 2 })
    .option('--ip <string>', 'IPv4 address (e.g., "172.30.100.104")', '')
    .option('--ip6 <string>', 'IPv6 address (e.g., "2001:db8::33")', '')
    .option('--link <list>', 'Add link to another container', linkOpt, [])
    .option('--alias <strings>', 'Add network-scoped alias for the container', stringsOpt, [])
    .option('--link-local-ip <strings>', 'Add a link-local address for the container', stringsOpt, [])
    .option('--driver-opt <strings>', 'driver options for the network', stringsOpt, [])
    .option('--gw-priority <int>', 'Highest gw-priority provides the default gateway. Accepts positive and negative values.', toInt, 0);
  const p = parse<ConnectOpts>(ctx, c, argv);
  if (!p) return 0;
  const o = p.opts;
  const driverOpts: Record<string, string> = {};
  for (const kv of o.driverOpt) {
    const i = kv.indexOf('=');
    const k = (i < 0 ? kv : kv.slice(0, i)).trim();
    if (i < 0 || k === '') throw new StatusError(1, 'invalid key/value pair format in driver options');
    driverOpts[k] = kv.slice(i + 1).trim();
  }
  const [network, container] = p.args as [string, string];
  await ctx.docker.networkConnect(network, {
    Container: container,
    EndpointConfig: {
      IPAMConfig: {
        ...(o.ip ? { IPv4Address: o.ip } : {}),
        ...(o.ip6 ? { IPv6Address: o.ip6 } : {}),
        ...(o.linkLocalIp.length ? { LinkLocalIPs: o.linkLocalIp } : {}),
      },
      Links: o.link.length ? o.link : null,
      Aliases: o.alias,
      MacAddress: '',
      DriverOpts: driverOpts,
      GwPriority: o.gwPriority ?? 0,
      ...ENDPOINT_STATE_ZERO,
    },
  });
  return 0;
}

export async function networkDisconnect(ctx: CliContext, argv: string[]): Promise<number> {
  const c = newCommand(ctx, {
    name: 'network disconnect',
    usage: '[OPTIONS] NETWORK CONTAINER',
    description: 'Disconnect a container from a network',
    exactArgs: 2,
  }).option('-f, --force', 'Force the container to disconnect from a network');
  const p = parse<{ force?: boolean }>(ctx, c, argv);
  if (!p) return 0;
  const [network, container] = p.args as [string, string];
  await ctx.docker.networkDisconnect(network, { Container: container, Force: !!p.opts.force });
  return 0;
}
