// Parsers for structured flag values: -p, -v, --mount, --restart, --ulimit, --cap-add.
import type * as T from '../api/types/index.js';
import { ramInBytes } from './format/units.js';

function portRange(s: string): number[] {
  const [a, b] = s.split('-');
  const lo = Number(a);
  const hi = b === undefined ? lo : Number(b);
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi > 65535 || hi < lo) throw new Error(`invalid containerPort: ${s}`);
  return Array.from({ length: hi - lo + 1 }, (_x, i) => lo + i);
}

/** -p [ip:][hostPort:]containerPort[/proto], with ranges on either side. */
export function parsePublish(spec: string): { port: string; binding: T.PortBinding }[] {
  let rest = spec;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) { proto = rest.slice(slash + 1); rest = rest.slice(0, slash); }
  let ip = '';
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) { ip = v6[1]!; rest = v6[2]!; }
  const parts = rest.split(':');
  if (!v6 && parts.length === 3) ip = parts.shift()!;
  if (parts.length > 2) throw new Error(`invalid proto: ${spec}`);
  const ctPort = parts.pop()!;
  const hostPort = parts[0] ?? '';
  const ct = portRange(ctPort);
  const host = hostPort ? portRange(hostPort) : [];
  if (host.length > 1 && host.length !== ct.length) {
    if (ct.length !== 1) throw new Error(`invalid ranges specified for container and host Ports: ${ctPort} and ${hostPort}`);
    return [{ port: `${ct[0]}/${proto}`, binding: { HostIp: ip, HostPort: hostPort } }];
  }
  return ct.map((p, i) => ({ port: `${p}/${proto}`, binding: { HostIp: ip, HostPort: host.length ? String(host[i] ?? host[0]) : '' } }));
}

/** -v [src:]dst[:mode]: with a source it is a bind (host path or named volume), else an anonymous volume. */
export function parseVolume(spec: string): { bind?: string; target: string } {
  const parts = spec.split(':');
  if (parts.length === 1) return { target: parts[0]! };
  if (parts.length === 2 && /^(ro|rw|z|Z|nocopy)$/.test(parts[1]!)) return { target: parts[0]! };
  if (parts.length > 3) throw new Error(`invalid volume specification: '${spec}'`);
  return { bind: spec, target: parts[1]! };
}

const bool = (v: string | undefined) => v === undefined || v === '' || v === 'true' || v === '1';

/** --mount type=bind,src=…,dst=…[,readonly][,bind-propagation=…][,volume-opt=k=v][,tmpfs-size=…]. */
export function parseMount(spec: string): T.MountSpec {
  const m: T.MountSpec = { Type: 'volume', Target: '' };
  for (const field of spec.split(',')) {
    const i = field.indexOf('=');
    const k = (i < 0 ? field : field.slice(0, i)).toLowerCase();
    const v = i < 0 ? undefined : field.slice(i + 1);
    switch (k) {
      case 'type': m.Type = v as T.MountSpec['Type']; break;
      case 'source': case 'src': m.Source = v; break;
      case 'target': case 'dst': case 'destination': m.Target = v ?? ''; break;
      case 'readonly': case 'ro': m.ReadOnly = bool(v); break;
      case 'bind-propagation': m.BindOptions = { ...m.BindOptions, Propagation: v }; break;
      case 'bind-nonrecursive': m.BindOptions = { ...m.BindOptions, NonRecursive: bool(v) }; break;
      case 'volume-nocopy': m.VolumeOptions = { ...m.VolumeOptions, NoCopy: bool(v) }; break;
      case 'volume-subpath': m.VolumeOptions = { ...m.VolumeOptions, Subpath: v }; break;
      case 'volume-driver': m.VolumeOptions = { ...m.VolumeOptions, DriverConfig: { ...m.VolumeOptions?.DriverConfig, Name: v } }; break;
      case 'volume-opt': {
        const [ok, ...ov] = (v ?? '').split('=');
        const dc = m.VolumeOptions?.DriverConfig ?? {};
        m.VolumeOptions = { ...m.VolumeOptions, DriverConfig: { ...dc, Options: { ...dc.Options, [ok!]: ov.join('=') } } };
        break;
      }
      case 'volume-label': {
        const [lk, ...lv] = (v ?? '').split('=');
        m.VolumeOptions = { ...m.VolumeOptions, Labels: { ...m.VolumeOptions?.Labels, [lk!]: lv.join('=') } };
        break;
      }
      case 'tmpfs-size': m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: ramInBytes(v ?? '') }; break;
      case 'tmpfs-mode': m.TmpfsOptions = { ...m.TmpfsOptions, Mode: parseInt(v ?? '', 8) }; break;
      case 'consistency': m.Consistency = v; break;
      default: throw new Error(`invalid argument "${spec}" for "--mount" flag: unexpected key '${k}' in '${field}'`);
    }
  }
  if (!m.Target) throw new Error(`invalid argument "${spec}" for "--mount" flag: target is required`);
  return m;
}

export function parseRestart(v: string): T.RestartPolicy {
  const [name, count] = v.split(':');
  if (!['no', 'always', 'unless-stopped', 'on-failure', ''].includes(name!)) throw new Error(`invalid restart policy '${name}'`);
  if (count !== undefined && name !== 'on-failure') throw new Error(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
  return { Name: (name || 'no') as T.RestartPolicy['Name'], MaximumRetryCount: count ? Number(count) : 0 };
}

export function parseUlimit(v: string): T.Ulimit {
  const m = /^([a-z_]+)=(-?\d+)(?::(-?\d+))?$/.exec(v);
  if (!m) throw new Error(`invalid argument "${v}" for "--ulimit" flag: invalid ulimit argument: ${v}`);
  const soft = Number(m[2]);
  return { Name: m[1]!, Hard: m[3] === undefined ? soft : Number(m[3]), Soft: soft };
}

/** NET_ADMIN, net_admin and CAP_NET_ADMIN all become CAP_NET_ADMIN; ALL stays ALL. */
export function normalizeCap(c: string): string {
  const u = c.toUpperCase();
  return u === 'ALL' || u.startsWith('CAP_') ? u : `CAP_${u}`;
}
