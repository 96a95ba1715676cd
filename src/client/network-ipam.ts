// `network create`'s client-side IPAM assembly and checks, with the docker CLI's messages:
// every --ip-range/--gateway/--aux-address must fall in exactly one --subnet, subnets must not
// overlap. Addresses parse like Go's net.ParseIP/ParseCIDR (no leading zeros, strict prefixes).
import { isIPv4, isIPv6 } from 'node:net';
import type { IpamConfig } from '../api/types/index.js';

export interface IpamOptions { subnets: string[]; ipRanges: string[]; gateways: string[]; auxAddresses: [string, string][] }

/** 4 or 16 bytes, or undefined (Go's nil IP). IPv4-mapped IPv6 counts as IPv4, as in Go. */
export function parseIp(s: string): number[] | undefined {
  if (isIPv4(s)) return s.split('.').map(Number);
  if (!isIPv6(s) || s.includes('%')) return undefined;
  let str = s;
  let tail: number[] = [];
  const lastColon = str.lastIndexOf(':');
  if (str.slice(lastColon + 1).includes('.')) {
    const v4 = parseIp(str.slice(lastColon + 1));
    if (!v4 || v4.length !== 4) return undefined;
    tail = v4;
    str = `${str.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = str.split('::') as [string, string | undefined];
  const words = (p: string) => (p === '' ? [] : p.split(':').map((w) => parseInt(w, 16)));
  const hw = words(head);
  const rw = rest === undefined ? [] : words(rest);
  const all = rest === undefined ? hw : [...hw, ...new Array(8 - hw.length - rw.length).fill(0), ...rw];
  const bytes = all.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

interface Cidr { ip: number[]; bits: number }

/** Go's net.ParseCIDR; throws "invalid CIDR address: s". */
export function parseCidr(s: string): Cidr {
  const slash = s.indexOf('/');
  const bad = () => new Error(`invalid CIDR address: ${s}`);
  if (slash < 0) throw bad();
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  const ip = isIPv4(addr) ? addr.split('.').map(Number) : isIPv6(addr) && !addr.includes('%') ? parseIp(addr) : undefined;
  if (!ip || !/^\d{1,3}$/.test(len)) throw bad();
  const family = isIPv4(addr) ? 4 : 16; // Go keeps an IPv6-written CIDR as 16 bytes
  const bits = Number(len);
  if (bits > family * 8) throw bad();
  // a v4-mapped IPv6 CIDR stays 16 bytes in Go (and so never contains an IPv4 address)
  const full = family === 16 && ip.length === 4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip] : ip;
  return { ip: full, bits };
}

function contains(net: Cidr, ip: number[] | undefined): boolean {
  // Go's IPNet.Contains: IPv4 (and v4-mapped) addresses only match 4-byte networks
  if (!ip || ip.length !== net.ip.length) return false;
  for (let i = 0; i < ip.length; i++) {
    const keep = Math.max(0, Math.min(8, net.bits - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((net.ip[i]! & mask) !== (ip[i]! & mask)) return false;
  }
  return true;
}

/** The CLI's subnetMatches(subnet, data): is data (an IP or a CIDR) inside subnet? */
function subnetMatches(subnet: string, data: string): boolean {
  let s: Cidr;
  try { s = parseCidr(subnet); } catch (e) { throw new Error(`invalid subnet: ${(e as Error).message}`); }
  const ip = data.includes('/') ? parseCidr(data).ip : parseIp(data);
  return contains(s, ip);
}

/** createIPAMConfig of the docker CLI 28: one IPAM config per subnet, in flag order. */
export function createIpamConfig(o: IpamOptions): IpamConfig[] {
  if (o.subnets.length < o.ipRanges.length || o.subnets.length < o.gateways.length) throw new Error('every ip-range or gateway must have a corresponding subnet');
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
