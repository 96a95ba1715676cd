// Port publishing decisions: parse Docker's PortBindings/ExposedPorts, pick host ports, and
// check that a port is free before the container starts (a taken port is an error then, not a
// silent shadowing later). Forwarding itself is kernel DNAT (ruleset.ts): it keeps working
// while berthd is down or restarting, which a userland proxy inside berthd would not.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { conflict, invalidArgument } from '../lib/errors.js';
import { parseIp } from './subnet.js';
import type { PortBindings, PortMapping, Protocol } from './types.js';

export interface PortRequest {
  containerPort: number;
  protocol: Protocol;
  hostIp: string;
  /** [lo, hi] inclusive; [0, 0] = any free port. */
  hostRange: [number, number];
}

function parsePort(s: string, what: string): number {
  const n = /^\d{1,5}$/.test(s) ? Number(s) : NaN;
  if (!(n >= 1 && n <= 65535)) throw invalidArgument(`Invalid ${what}: ${s}`);
  return n;
}

export function parseRange(s: string, what: string): [number, number] {
  const [a, b, extra] = s.split('-');
  if (extra !== undefined || a === undefined) throw invalidArgument(`Invalid ${what}: ${s}`);
  const lo = parsePort(a, what);
  const hi = b === undefined ? lo : parsePort(b, what);
  if (hi < lo) throw invalidArgument(`Invalid ${what}: ${s}`);
  return [lo, hi];
}

/** "80/tcp" -> [80, 80, 'tcp']; "8000-8002/udp" -> range. */
export function parsePortKey(key: string): { range: [number, number]; protocol: Protocol } {
  const [port, proto = 'tcp', extra] = key.split('/');
  if (extra !== undefined || port === undefined) throw invalidArgument(`invalid port specification: "${key}"`);
  if (proto !== 'tcp' && proto !== 'udp') throw invalidArgument(`Invalid proto: ${proto}`);
  return { range: parseRange(port, 'containerPort'), protocol: proto };
}

/** HostPort values that ask for a free ephemeral port, as dockerd reads them ("0" parses to port 0). */
const ANY_PORT = /^0(-0)?$/;

/** Turns bindings (+ -P over exposed ports) into requests, one per container port. */
export function portRequests(bindings: PortBindings = {}, publishAll = false, exposed: string[] = []): PortRequest[] {
  const out: PortRequest[] = [];
  const seen = new Set<string>();
  for (const [key, list] of Object.entries(bindings)) {
    const { range, protocol } = parsePortKey(key);
    for (const b of list ?? [{}]) {
      const hostIp = b.hostIp ? b.hostIp : '0.0.0.0';
      if (parseIp(hostIp) === undefined) throw invalidArgument(`invalid IP address: ${hostIp}`);
      const count = range[1] - range[0] + 1;
      // An empty HostPort and Docker's "0" (testcontainers sends it) both mean any free port.
      const hr: [number, number] = b.hostPort && !ANY_PORT.test(b.hostPort) ? parseRange(b.hostPort, 'hostPort') : [0, 0];
      const hostCount = hr[1] - hr[0] + 1;
      // "8000-8002:80-82" maps one to one; "8000-8010:80" picks one free port of the range.
      if (count > 1 && hr[0] !== 0 && hostCount !== count)
        throw invalidArgument(`Invalid ranges specified for container and host Ports: ${key} and ${b.hostPort}`);
      for (let i = 0; i < count; i++) {
        const containerPort = range[0] + i;
        seen.add(`${containerPort}/${protocol}`);
        const hostRange: [number, number] = hr[0] === 0 ? [0, 0] : count > 1 ? [hr[0] + i, hr[0] + i] : hr;
        out.push({ containerPort, protocol, hostIp, hostRange });
      }
    }
  }
  if (publishAll) {
    for (const key of exposed) {
      const { range, protocol } = parsePortKey(key);
      for (let p = range[0]; p <= range[1]; p++) {
        if (!seen.has(`${p}/${protocol}`)) out.push({ containerPort: p, protocol, hostIp: '0.0.0.0', hostRange: [0, 0] });
      }
    }
  }
  return out;
}

const clash = (a: { hostIp: string; hostPort: number; protocol: Protocol }, b: typeof a) =>
  a.protocol === b.protocol && a.hostPort === b.hostPort && (a.hostIp === b.hostIp || a.hostIp === '0.0.0.0' || b.hostIp === '0.0.0.0');

/** Binds and releases the port: fails if any host process (or Berth itself) holds it. Port 0 returns a kernel-chosen free port. */
export async function probePort(protocol: Protocol, hostIp: string, port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const s = createSocket('udp4');
      s.once('error', () => resolve(undefined));
      s.bind({ address: hostIp, port, exclusive: true }, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    } else {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen({ host: hostIp, port, exclusive: true }, () => {
        const a = s.address();
        const p = typeof a === 'object' && a ? a.port : undefined;
        s.close(() => resolve(p));
      });
    }
  });
}

/** Picks host ports for the requests; `taken` holds the mappings of other containers. */
export async function allocatePorts(reqs: PortRequest[], taken: PortMapping[]): Promise<PortMapping[]> {
  const out: PortMapping[] = [];
  const busy = (m: PortMapping) => [...taken, ...out].some((t) => clash(t, m));
  for (const r of reqs) {
    let chosen: PortMapping | undefined;
    if (r.hostRange[0] === 0) {
      for (let attempt = 0; attempt < 20 && !chosen; attempt++) {
        const p = await probePort(r.protocol, r.hostIp, 0);
        const m = { containerPort: r.containerPort, protocol: r.protocol, hostIp: r.hostIp, hostPort: p ?? 0 };
        if (p !== undefined && !busy(m)) chosen = m;
      }
      if (!chosen) throw conflict(`no free host port for ${r.containerPort}/${r.protocol}`);
    } else {
      for (let p = r.hostRange[0]; p <= r.hostRange[1] && !chosen; p++) {
        const m = { containerPort: r.containerPort, protocol: r.protocol, hostIp: r.hostIp, hostPort: p };
        if (!busy(m) && (await probePort(r.protocol, r.hostIp, p)) !== undefined) chosen = m;
      }
      if (!chosen) {
        const p = r.hostRange[0] === r.hostRange[1] ? String(r.hostRange[0]) : `${r.hostRange[0]}-${r.hostRange[1]}`;
        throw conflict(`Bind for ${r.hostIp}:${p} failed: port is already allocated`);
      }
    }
    out.push(chosen);
  }
  return out;
}
