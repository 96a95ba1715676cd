// The short volume syntax `[SOURCE:]TARGET[:OPTIONS]` as compose-go reads it. A source that looks
// like a path ('.', '/', '~', or a Windows drive) is a bind mount; any other source is a named
// volume; no source is an anonymous volume. Short-syntax binds create a missing host path.
import type { ServiceVolumeConfig } from '../model.js';

const PROPAGATION = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const CONSISTENCY = new Set(['cached', 'delegated', 'consistent']);

export class VolumeSpecError extends Error {}

export function isPathLike(source: string): boolean {
  return /^[./~]/.test(source) || /^[a-zA-Z]:[\\/]/.test(source) || source.startsWith('\\\\');
}

/** Splits on ':' but keeps a Windows drive letter (`C:\x`) with its path. */
function splitSpec(spec: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (c === ':' && !(cur.length === 1 && /[a-zA-Z]/.test(cur) && /[\\/]/.test(spec[i + 1] ?? ''))) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

export function parseVolumeSpec(spec: string): ServiceVolumeConfig {
  const parts = splitSpec(spec);
  if (parts.length > 3 || parts.some((p) => p === '')) throw new VolumeSpecError(`invalid spec: ${spec}: too many colons`);
  if (parts.length === 1) return { type: 'volume', target: parts[0]! };
  const [source, target, options] = parts as [string, string, string | undefined];
  const vol: ServiceVolumeConfig = isPathLike(source) ? { type: 'bind', source, target, bind: { create_host_path: true } } : { type: 'volume', source, target };
  for (const opt of options ? options.split(',') : []) {
    if (opt === 'ro') vol.read_only = true;
    else if (opt === 'rw') vol.read_only = false;
    else if (opt === 'z' || opt === 'Z') vol.bind = { ...vol.bind, selinux: opt };
    else if (PROPAGATION.has(opt)) vol.bind = { ...vol.bind, propagation: opt };
    else if (opt === 'nocopy') vol.volume = { ...vol.volume, nocopy: true };
    else if (CONSISTENCY.has(opt)) vol.consistency = opt;
    else throw new VolumeSpecError(`invalid spec: ${spec}: unknown option ${JSON.stringify(opt)}`);
  }
  if (vol.read_only === false) delete vol.read_only;
  if (vol.type === 'volume' && vol.bind) throw new VolumeSpecError(`invalid spec: ${spec}: bind options on a named volume`);
  return vol;
}
