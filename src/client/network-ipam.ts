// `network create`'s client-side IPAM assembly and checks, with the docker CLI's messages:
// every --ip-range/--gateway/--aux-address must fall in exactly one --subnet, subnets must not
// overlap. Addresses parse like Go's net.ParseIP/ParseCIDR (lib/cidr).
import { messageOf } from '../lib/errors.js';
import { netContains, parseCidr as parseIpNet, parseIp, type IpNet } from '../lib/cidr.js';
import type { IpamConfig } from '../api/types/index.js';

export interface IpamOptions {
  subnets: string[];
  ipRanges: string[];
  gateways: string[];
  auxAddresses: [string, string][];
}

/** Go's net.ParseCIDR as the CLI reports it: a plain Error ("invalid CIDR address: s"). */
export function parseCidr(s: string): IpNet {
  try {
    return parseIpNet(s);
  } catch (e) {
    throw new Error(messageOf(e));
  }
}

/** The CLI's subnetMatches(subnet, data): is data (an IP or a CIDR) inside subnet? */
function subnetMatches(subnet: string, data: string): boolean {
  let s: IpNet;
  try {
    s = parseCidr(subnet);
  } catch (e) {
    throw new Error(`invalid subnet: ${(e as Error).message}`);
  }
  const ip = data.includes('/') ? parseCidr(data).ip : parseIp(data);
  return netContains(s, ip);
}

/** createIPAMConfig of the docker CLI 28: one IPAM config per subnet, in flag order. */
export function createIpamConfig(o: IpamOptions): IpamConfig[] {
  if (o.subnets.length < o.ipRanges.length || o.subnets.length < o.gateways.length)
    throw new Error('every ip-range or gateway must have a corresponding subnet');
  const data = new Map<string, IpamConfig>();
  for (const s of o.subnets) {
    for (const k of data.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) throw new Error('multiple overlapping subnet configuration is not supported');
    }
    data.set(s, { Subnet: s });
  }
  const place = (value: string, field: 'IPRange' | 'Gateway', what: string, many: (v: string, old: string, s: string) => string) => {
    let match = false;
    for (const s of o.subnets) {
      if (!subnetMatches(s, value)) continue;
      const d = data.get(s)!;
      if (d[field]) throw new Error(many(value, d[field]!, s));
      d[field] = value;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for ${what} ${value}`);
  };
  for (const r of o.ipRanges) place(r, 'IPRange', 'range', (v, old, s) => `cannot configure multiple ranges (${v}, ${old}) on the same subnet (${s})`);
  for (const g of o.gateways) place(g, 'Gateway', 'gateway', (v, old, s) => `cannot configure multiple gateways (${v}, ${old}) for the same subnet (${s})`);
  for (const [key, aa] of o.auxAddresses) {
    let match = false;
    for (const s of o.subnets) {
      if (!subnetMatches(s, aa)) continue;
      const d = data.get(s)!;
      (d.AuxiliaryAddresses ??= {})[key] = aa;
      match = true;
    }
    if (!match) throw new Error(`no matching subnet for aux-address ${aa}`);
  }
  return [...data.values()];
}
