// IP addresses and CIDR prefixes as Go's net package reads them (ParseIP, ParseCIDR,
// IPNet.Contains): Docker's daemon and CLI both use those, so their edge cases are the
// contract (no leading zeros, strict prefix lengths, IPv4-mapped IPv6 counted as IPv4).
// Addresses are byte arrays, 4 or 16 long, as in Go.
import { isIPv4, isIPv6 } from 'node:net';
import { invalidArgument } from './errors.js';

/** A network: its address as written (host bits kept, as Go does) and its prefix length. */
export interface IpNet {
  ip: number[];
  bits: number;
}

/** Go's net.ParseIP: 4 or 16 bytes, or undefined (Go's nil). IPv4-mapped IPv6 gives 4 bytes. */
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

/** Go's net.ParseCIDR; throws "invalid CIDR address: s" (a 400 from the daemon). */
export function parseCidr(s: string): IpNet {
  const slash = s.indexOf('/');
  const bad = () => invalidArgument(`invalid CIDR address: ${s}`);
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

/** Go's IPNet.Contains: IPv4 (and v4-mapped) addresses only match 4-byte networks. */
export function netContains(net: IpNet, ip: number[] | undefined): boolean {
  if (!ip || ip.length !== net.ip.length) return false;
  for (let i = 0; i < ip.length; i++) {
    const keep = Math.max(0, Math.min(8, net.bits - i * 8));
    const mask = (0xff << (8 - keep)) & 0xff;
    if ((net.ip[i]! & mask) !== (ip[i]! & mask)) return false;
  }
  return true;
}
