// The fields `volume ls --format` and `network ls --format` see, with docker's headers, and
// `{{json .}}` giving all of them as strings (keys sorted, as docker marshals its map).
import type { NetworkSummary, VolumeSummary } from '../../api/types/index.js';
import { truncateId } from './ellipsis.js';
import { humanSize } from '../../lib/go-units.js';

export const VOLUME_HEADERS: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Group: 'GROUP',
  Availability: 'AVAILABILITY',
  Status: 'STATUS',
};
export const VOLUME_DEFAULT = 'table {{.Driver}}\t{{.Name}}';

/** Go iterates a map in random order; sorted keys are one of docker's possible outputs. */
const joinLabels = (l: Record<string, string> | null | undefined) =>
  l
    ? Object.keys(l)
        .sort()
        .map((k) => `${k}=${l[k]}`)
        .join(',')
    : '';

export class VolumeContext {
  constructor(private readonly v: VolumeSummary) {}
  get Name(): string {
    return this.v.Name;
  }
  get Driver(): string {
    return this.v.Driver;
  }
  get Scope(): string {
    return this.v.Scope;
  }
  get Mountpoint(): string {
    return this.v.Mountpoint;
  }
  get Labels(): string {
    return joinLabels(this.v.Labels);
  }
  Label(name: unknown): string {
    return this.v.Labels?.[String(name)] ?? '';
  }
  get Links(): string {
    return this.v.UsageData ? String(this.v.UsageData.RefCount) : 'N/A';
  }
  get Size(): string {
    if (!this.v.UsageData) return 'N/A';
    return humanSize(this.v.UsageData.Size);
  }
  // cluster volumes only (swarm): always N/A here
  get Group(): string {
    return 'N/A';
  }
  get Availability(): string {
    return 'N/A';
  }
  get Status(): string {
    return 'N/A';
  }
  toJSON(): Record<string, string> {
    const keys = ['Availability', 'Driver', 'Group', 'Labels', 'Links', 'Mountpoint', 'Name', 'Scope', 'Size', 'Status'] as const;
    return Object.fromEntries(keys.map((k) => [k, this[k]]));
  }
}

export const NETWORK_HEADERS: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv4: 'IPV4',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};
export const NETWORK_DEFAULT = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

export class NetworkContext {
  constructor(
    private readonly n: NetworkSummary,
    private readonly trunc = true,
  ) {}
  get ID(): string {
    return this.trunc ? truncateId(this.n.Id) : this.n.Id;
  }
  get Name(): string {
    return this.n.Name;
  }
  get Driver(): string {
    return this.n.Driver;
  }
  get Scope(): string {
    return this.n.Scope;
  }
  get IPv4(): string {
    return String(!!this.n.EnableIPv4);
  }
  get IPv6(): string {
    return String(!!this.n.EnableIPv6);
  }
  get Internal(): string {
    return String(!!this.n.Internal);
  }
  get Labels(): string {
    return joinLabels(this.n.Labels);
  }
  Label(name: unknown): string {
    return this.n.Labels?.[String(name)] ?? '';
  }
  get CreatedAt(): string {
    return goTimeStringRfc3339(this.n.Created);
  }
  toJSON(): Record<string, string> {
    const keys = ['CreatedAt', 'Driver', 'ID', 'IPv4', 'IPv6', 'Internal', 'Labels', 'Name', 'Scope'] as const;
    return Object.fromEntries(keys.map((k) => [k, this[k]]));
  }
}

/**
 * Go's time.Time.String() of a time parsed from RFC 3339: "2006-01-02 15:04:05.999999999 -0700 MST",
 * fraction without trailing zeros, zone "UTC" for Z and the bare offset otherwise.
 */
export function goTimeStringRfc3339(s: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/.exec(s ?? '');
  if (!m) return '0001-01-01 00:00:00 +0000 UTC';
  const frac = (m[3] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[4] ? '+0000 UTC' : `${m[5]}${m[6]}${m[7]} ${m[5]}${m[6]}${m[7]}`;
  return `${m[1]} ${m[2]}${frac ? `.${frac}` : ''} ${zone}`;
}
