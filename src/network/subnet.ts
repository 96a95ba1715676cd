// IPv4 address and CIDR arithmetic, pure. Addresses are unsigned 32-bit numbers internally;
// parsing is lib/cidr's (Go's net rules), shared with the CLI.
import { isIPv4 } from 'node:net';
import { invalidArgument } from '../lib/errors.js';
import { parseCidr as parseIpNet, parseIp as parseIpBytes } from '../lib/cidr.js';

export interface Cidr {
  base: number; // network address (host bits cleared)
  prefix: number;
}

/** A dotted-quad IPv4 address (Go's rules: no leading zeros) as an unsigned 32-bit number. */
export function parseIp(s: string): number | undefined {
  const t = s.trim();
  const b = isIPv4(t) ? parseIpBytes(t) : undefined;
  return b ? toU32(b) : undefined;
}

function toU32(b: number[]): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "10.1.0.0/16" as Go's ParseCIDR (lib/cidr) does, IPv4 only; host bits are cleared. */
export function parseCidr(s: string): Cidr {
  const net = parseIpNet(s.trim());
  if (net.ip.length !== 4) throw invalidArgument(`invalid CIDR address: ${s}`);
  return { base: (toU32(net.ip) & mask(net.bits)) >>> 0, prefix: net.bits };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: number): boolean {
  return (ip & mask(c.prefix)) >>> 0 === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.base & mask(p)) >>> 0 === (b.base & mask(p)) >>> 0;
}

/** One `--default-address-pool base=CIDR,size=N` of dockerd: networks of /size carved out of base. */
export interface AddressPool {
  base: Cidr;
  size: number;
}

/** Docker's default address pools for local networks: 172.17-31.0.0/16, then 192.168.x.0/20. */
export function* defaultPools(): Generator<Cidr> {
  for (let i = 17; i <= 31; i++) yield { base: parseIp(`172.${i}.0.0`)!, prefix: 16 };
  for (let i = 0; i < 256; i += 16) yield { base: parseIp(`192.168.${i}.0`)!, prefix: 20 };
}

/** The subnets of the given pools in order (each base split into /size networks); Docker's defaults when none are given. */
export function* subnetsOf(pools: readonly AddressPool[]): Generator<Cidr> {
  if (!pools.length) return yield* defaultPools();
  for (const p of pools) {
    const count = 2 ** (p.size - p.base.prefix);
    const step = 2 ** (32 - p.size);
    for (let i = 0; i < count; i++) yield { base: (p.base.base + i * step) >>> 0, prefix: p.size };
  }
}

/**
 * dockerd's `--default-address-pool base=10.10.0.0/16,size=24`; the size must be at least the
 * base's prefix and at most 30 (a network needs a gateway and a host).
 */
export function parseAddressPool(spec: string): AddressPool {
  const fields = new Map(spec.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()] as const));
  const baseText = fields.get('base');
  const sizeText = fields.get('size');
  if (!baseText || !sizeText || fields.size !== 2) throw invalidArgument(`invalid default address pool ${JSON.stringify(spec)}: expected base=CIDR,size=N`);
  const base = parseCidr(baseText);
  const size = Number(sizeText);
  if (!Number.isInteger(size) || size < base.prefix || size > 30)
    throw invalidArgument(`invalid default address pool ${JSON.stringify(spec)}: size must be between ${base.prefix} and 30`);
  return { base, size };
}

/** A MAC address derived from the IP as Docker does: 02:42 + the four address bytes. */
export function macForIp(ip: number): string {
  const b = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function isValidMac(s: string): boolean {
  return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(s) && (parseInt(s.slice(0, 2), 16) & 1) === 0;
}
