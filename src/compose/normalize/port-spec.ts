// The short port syntax `[[HOST_IP:][PUBLISHED]:]TARGET[/PROTOCOL]` as docker's nat.ParsePortSpec
// reads it: ranges expand to one entry per port when both sides are ranges of the same length,
// a published range with a single target stays one entry, IPv6 host IPs are written in brackets.
import { isIP } from 'node:net';
import type { ServicePortConfig } from '../model.js';

export class PortSpecError extends Error {}

function range(s: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new PortSpecError(`invalid port ${JSON.stringify(s)} in ${JSON.stringify(spec)}`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo || hi > 65535) throw new PortSpecError(`invalid port range ${JSON.stringify(s)} in ${JSON.stringify(spec)}`);
  return [lo, hi];
}

export function parsePortSpec(spec: string | number): ServicePortConfig[] {
  if (typeof spec === 'number') return [{ mode: 'ingress', target: spec, protocol: 'tcp' }];
  let rest = spec.trim();
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!protocol) throw new PortSpecError(`invalid proto: ${JSON.stringify(spec)}`);
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw new PortSpecError(`invalid IP address in ${JSON.stringify(spec)}`);
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  let published: string | undefined;
  let target: string;
  if (hostIp !== undefined) {
    if (parts.length !== 2) throw new PortSpecError(`invalid port spec ${JSON.stringify(spec)}`);
    [published, target] = parts as [string, string];
  } else if (parts.length === 1) target = parts[0]!;
  else if (parts.length === 2) [published, target] = parts as [string, string];
  else if (parts.length === 3) [hostIp, published, target] = parts as [string, string, string];
  else {
    // An unbracketed IPv6 host IP: everything before the last two fields.
    target = parts.pop()!;
    published = parts.pop()!;
    hostIp = parts.join(':');
  }
  if (published === '') published = undefined;
  if (hostIp === '') hostIp = undefined;
  if (hostIp !== undefined && !isIP(hostIp)) throw new PortSpecError(`invalid IP address ${JSON.stringify(hostIp)} in ${JSON.stringify(spec)}`);
  const [tLo, tHi] = range(target, spec);
  const base = (t: number, p: string | undefined): ServicePortConfig => ({
    mode: 'ingress',
    ...(hostIp !== undefined ? { host_ip: hostIp } : {}),
    target: t,
    ...(p !== undefined ? { published: p } : {}),
    protocol,
  });
  if (published === undefined) return seq(tLo, tHi).map((t) => base(t, undefined));
  const [pLo, pHi] = range(published, spec);
  if (tLo === tHi) return [base(tLo, pLo === pHi ? String(pLo) : `${pLo}-${pHi}`)];
  if (pHi - pLo !== tHi - tLo) throw new PortSpecError(`invalid ranges specified for container and host Ports: ${JSON.stringify(spec)}`);
  return seq(tLo, tHi).map((t) => base(t, String(pLo + (t - tLo))));
}

function seq(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}
