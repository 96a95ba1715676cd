// The fields `ps --format` sees ({{.ID}}, {{.Names}}, {{.Label "k"}}, …) with docker's
// truncation rules, and `{{json .}}` giving all of them as strings.
import type { ContainerSummary, Port } from '../../api/types/index.js';
import { ellipsis, truncateId } from './ellipsis.js';
import { goTimeString } from './time-format.js';
import { humanDuration } from '../../client/units.js';
import { humanSizeWithPrecision } from '../../lib/go-units.js';

export const PS_HEADERS: Record<string, string> = {
  ID: 'CONTAINER ID',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Names: 'NAMES',
  Labels: 'LABELS',
  Label: 'LABEL',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
};
export const PS_DEFAULT = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** docker's DisplayablePorts, without range folding: "0.0.0.0:8080->80/tcp, 53/udp". */
export function displayablePorts(ports: Port[]): string {
  const seen = new Set<string>();
  const sorted = [...ports].sort(
    (a, b) => (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || a.PrivatePort - b.PrivatePort || cmpStr(a.Type, b.Type) || cmpStr(a.IP ?? '', b.IP ?? ''),
  );
  const out: string[] = [];
  for (const p of sorted) {
    let s = `${p.PrivatePort}/${p.Type}`;
    if (p.PublicPort) s = `${p.IP?.includes(':') ? `[${p.IP}]` : (p.IP ?? '')}:${p.PublicPort}->${s}`;
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out.join(', ');
}

export class ContainerContext {
  constructor(
    private readonly c: ContainerSummary,
    private readonly trunc = true,
    private readonly now = Date.now(),
  ) {}
  get ID(): string {
    return this.trunc ? truncateId(this.c.Id) : this.c.Id;
  }
  get Names(): string {
    const names = (this.c.Names ?? []).map((n) => n.replace(/^\//, '')).filter((n) => (this.trunc ? !n.includes('/') : true));
    return this.trunc ? (names[0] ?? '') : names.join(',');
  }
  get Image(): string {
    const img = this.c.Image ?? '';
    if (!this.trunc) return img;
    if (/^sha256:[0-9a-f]{64}$/.test(img) || (this.c.ImageID && truncateId(this.c.ImageID) === truncateId(img))) return truncateId(img);
    const at = img.indexOf('@');
    return at > 0 && img.slice(0, at).includes(':') && img.slice(0, at).lastIndexOf(':') > img.slice(0, at).lastIndexOf('/') ? img.slice(0, at) : img;
  }
  get Command(): string {
    return JSON.stringify(this.trunc ? ellipsis(this.c.Command ?? '', 20) : (this.c.Command ?? ''));
  }
  get CreatedAt(): string {
    return goTimeString(this.c.Created);
  }
  get RunningFor(): string {
    return `${humanDuration(this.now / 1000 - this.c.Created)} ago`;
  }
  get Ports(): string {
    return displayablePorts(this.c.Ports ?? []);
  }
  get State(): string {
    return this.c.State;
  }
  get Status(): string {
    return this.c.Status;
  }
  get Size(): string {
    const rw = humanSizeWithPrecision(this.c.SizeRw ?? 0, 3);
    return (this.c.SizeRootFs ?? 0) > 0 ? `${rw} (virtual ${humanSizeWithPrecision(this.c.SizeRootFs!, 3)})` : rw;
  }
  get Labels(): string {
    return Object.keys(this.c.Labels ?? {})
      .sort()
      .map((k) => `${k}=${this.c.Labels[k]}`)
      .join(',');
  }
  Label(name: unknown): string {
    return this.c.Labels?.[String(name)] ?? '';
  }
  get Mounts(): string {
    return (this.c.Mounts ?? [])
      .map((m) => {
        const n = m.Name || m.Source || '';
        return this.trunc ? ellipsis(n, 15) : n;
      })
      .join(',');
  }
  get LocalVolumes(): string {
    return String((this.c.Mounts ?? []).filter((m) => m.Driver === 'local').length);
  }
  get Networks(): string {
    return Object.keys(this.c.NetworkSettings?.Networks ?? {})
      .sort()
      .join(',');
  }
  /** docker 28: the image manifest's platform ("linux/amd64"), null when the daemon gives none. */
  get Platform(): string | null {
    const p = (this.c as { ImageManifestDescriptor?: { platform?: { os?: string; architecture?: string; variant?: string } } }).ImageManifestDescriptor
      ?.platform;
    return p ? [p.os, p.architecture, p.variant].filter(Boolean).join('/') : null;
  }
  toJSON(): Record<string, string | null> {
    const keys = [
      'Command',
      'CreatedAt',
      'ID',
      'Image',
      'Labels',
      'LocalVolumes',
      'Mounts',
      'Names',
      'Networks',
      'Platform',
      'Ports',
      'RunningFor',
      'Size',
      'State',
      'Status',
    ] as const;
    return Object.fromEntries(keys.map((k) => [k, this[k]]));
  }
}
