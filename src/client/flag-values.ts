// Parsers for structured flag values: -p, -v, --mount, --restart, --ulimit, --cap-add.
import type * as T from '../api/types/index.js';
import { ramInBytes } from '../lib/go-units.js';

/** nat.ParsePortRange: "80" or "8000-8010", each a uint16. */
function portRange(s: string): [number, number] | undefined {
  const u16 = (x: string | undefined) => (x !== undefined && /^\d+$/.test(x) && Number(x) <= 65535 ? Number(x) : undefined);
  if (!s.includes('-')) {
    const n = u16(s);
    return n === undefined ? undefined : [n, n];
  }
  const [a, b] = s.split('-');
  const lo = u16(a);
  const hi = u16(b);
  return lo === undefined || hi === undefined || hi < lo ? undefined : [lo, hi];
}

/** -p [ip:][hostPort:]containerPort[/proto] with nat.ParsePortSpec's checks and messages. */
export function parsePublish(spec: string): { port: string; binding: T.PortBinding }[] {
  const parts = spec.split(':');
  const n = parts.length;
  let ctRaw = parts[n - 1]!;
  const hostPort = n >= 2 ? parts[n - 2]! : '';
  let ip = n === 3 ? parts[0]! : n > 3 ? parts.slice(0, n - 2).join(':') : '';
  let proto = 'tcp';
  const pp = ctRaw.split('/');
  if (!ctRaw || !pp[0]) {
    proto = '';
    ctRaw = '';
  } else if (pp.length > 1 && pp[1]) {
    proto = pp[1];
    ctRaw = pp[0];
  } else ctRaw = pp[0];
  if (ip.startsWith('[')) {
    if (!ip.endsWith(']')) throw new Error(`invalid IP address ${ip}: address ${ip}:: missing ']' in address`);
    ip = ip.slice(1, -1);
  }
  // node:net only when an address is given: loading it costs every `run` a tenth of Node's start-up
  if (ip && !(process.getBuiltinModule('node:net') as typeof import('node:net')).isIP(ip)) throw new Error(`invalid IP address: ${ip}`);
  if (!ctRaw) throw new Error(`no port specified: ${spec}<empty>`);
  const ct = portRange(ctRaw);
  if (!ct) throw new Error(`invalid containerPort: ${ctRaw}`);
  const host = hostPort ? portRange(hostPort) : undefined;
  if (hostPort && !host) throw new Error(`invalid hostPort: ${hostPort}`);
  proto = proto.toLowerCase();
  if (host && ct[1] - ct[0] !== host[1] - host[0]) {
    if (ct[1] !== ct[0]) throw new Error(`invalid ranges specified for container and host Ports: ${ctRaw} and ${hostPort}`);
  }
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new Error(`invalid proto: ${proto}`);
  const out: { port: string; binding: T.PortBinding }[] = [];
  for (let p = ct[0], i = 0; p <= ct[1]; p++, i++) {
    let hp = '';
    if (host) hp = ct[0] === ct[1] && host[0] !== host[1] ? `${host[0]}-${host[1]}` : String(host[0] + i);
    out.push({ port: `${p}/${proto}`, binding: { HostIp: ip, HostPort: hp } });
  }
  return out;
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
    if (i < 0 && !['readonly', 'ro', 'bind-nonrecursive', 'volume-nocopy'].includes(k)) throw new Error(`invalid field '${field}' must be a key=value pair`);
    switch (k) {
      case 'type':
        m.Type = v as T.MountSpec['Type'];
        break;
      case 'source':
      case 'src':
        m.Source = v;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        m.Target = v ?? '';
        break;
      case 'readonly':
      case 'ro':
        m.ReadOnly = bool(v);
        break;
      case 'bind-propagation':
        m.BindOptions = { ...m.BindOptions, Propagation: v };
        break;
      case 'bind-nonrecursive':
        m.BindOptions = { ...m.BindOptions, NonRecursive: bool(v) };
        break;
      case 'volume-nocopy':
        m.VolumeOptions = { ...m.VolumeOptions, NoCopy: bool(v) };
        break;
      case 'volume-subpath':
        m.VolumeOptions = { ...m.VolumeOptions, Subpath: v };
        break;
      case 'volume-driver':
        m.VolumeOptions = { ...m.VolumeOptions, DriverConfig: { ...m.VolumeOptions?.DriverConfig, Name: v } };
        break;
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
      case 'tmpfs-size':
        m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: ramInBytes(v ?? '') };
        break;
      case 'tmpfs-mode':
        m.TmpfsOptions = { ...m.TmpfsOptions, Mode: parseInt(v ?? '', 8) };
        break;
      case 'consistency':
        m.Consistency = v;
        break;
      default:
        throw new Error(`unexpected key '${k}' in '${field}'`);
    }
  }
  if (!m.Target) throw new Error('target is required');
  return m;
}

/** opts.ParseRestartPolicy: only the format is checked here; the daemon judges the name. */
export function parseRestart(v: string): T.RestartPolicy {
  const colon = v.indexOf(':');
  const name = colon < 0 ? v : v.slice(0, colon);
  const count = colon < 0 ? '' : v.slice(colon + 1);
  if (colon >= 0 && name === '') throw new Error('invalid restart policy format: no policy provided before colon');
  if (count !== '' && !/^[-+]?\d+$/.test(count)) throw new Error('invalid restart policy format: maximum retry count must be an integer');
  return { Name: name as T.RestartPolicy['Name'], MaximumRetryCount: count ? Number(count) : 0 };
}

export function parseUlimit(v: string): T.Ulimit {
  const m = /^([a-z_]+)=(-?\d+)(?::(-?\d+))?$/.exec(v);
  if (!m) throw new Error(`invalid ulimit argument: ${v}`);
  const soft = Number(m[2]);
  return { Name: m[1]!, Hard: m[3] === undefined ? soft : Number(m[3]), Soft: soft };
}

/** NET_ADMIN, net_admin and CAP_NET_ADMIN all become CAP_NET_ADMIN; ALL stays ALL. */
export function normalizeCap(c: string): string {
  const u = c.toUpperCase();
  return u === 'ALL' || u.startsWith('CAP_') ? u : `CAP_${u}`;
}
