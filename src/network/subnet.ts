// IPv4 address and CIDR arithmetic, pure. Addresses are unsigned 32-bit numbers internally.
import { invalidArgument } from '../lib/errors.js';

export interface Cidr {
  base: number; // network address (host bits cleared)
  prefix: number;
}

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "10.1.0.0/16". Host bits set in the address are an error, as in Docker. */
export function parseCidr(s: string): Cidr {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(s.trim());
  const ip = m ? parseIp(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (ip === undefined || !(prefix >= 0 && prefix <= 32)) throw invalidArgument(`invalid CIDR address: ${s}`);
  return { base: (ip & mask(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.prefix)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** Docker's default address pools for local networks: 172.17-31.0.0/16, then 192.168.x.0/20. */
export function* defaultPools(): Generator<Cidr> {
  for (let i = 17; i <= 31; i++) yield { base: parseIp(`172.${i}.0.0`)!, prefix: 16 };
  for (let i = 0; i < 256; i += 16) yield { base: parseIp(`192.168.${i}.0`)!, prefix: 20 };
}

/** A MAC address derived from the IP as Docker does: 02:42 + the four address bytes. */
export function macForIp(ip: number): string {
  const b = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function isValidMac(s: string): boolean {
  return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(s) && (parseInt(s.slice(0, 2), 16) & 1) === 0;
}
