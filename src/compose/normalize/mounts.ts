// Service volumes, secrets, configs and devices in their long forms.
import { posix } from 'node:path';
import type { DeviceMapping, ServiceSecretConfig, ServiceVolumeConfig, VolumeType } from '../model.js';
import { isMap } from '../load/tags.js';
import { CastError, toBool, toBytes, toInt, stringMap } from './cast.js';
import { at, type NormalizeContext } from './context.js';
import { hostPath } from './paths.js';
import { parseVolumeSpec } from './volume-spec.js';

function cleanPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

const VOLUME_TYPES = new Set<VolumeType>(['volume', 'bind', 'tmpfs', 'npipe', 'cluster', 'image']);

function octalish(v: unknown): number {
  return typeof v === 'string' && /^0[0-7]+$/.test(v) ? parseInt(v, 8) : toInt(v);
}

export function serviceVolume(ctx: NormalizeContext, raw: unknown, path: string): ServiceVolumeConfig {
  return at(ctx, path, () => {
    let vol: ServiceVolumeConfig;
    if (typeof raw === 'string') vol = parseVolumeSpec(raw);
    else if (isMap(raw)) {
      const { type, source, target, read_only, bind, volume, tmpfs, image, consistency, ...rest } = raw;
      if (!VOLUME_TYPES.has(type as VolumeType)) throw new CastError(`has an invalid volume type ${JSON.stringify(type)}`);
      vol = { ...rest, type: type as VolumeType, target: String(target ?? '') };
      if (source !== undefined && source !== null && source !== '') vol.source = String(source);
      if (read_only !== undefined && toBool(read_only)) vol.read_only = true;
      if (consistency !== undefined) vol.consistency = String(consistency);
      if (isMap(bind)) {
        vol.bind = {};
        if (bind.propagation !== undefined) vol.bind.propagation = String(bind.propagation);
        if (bind.create_host_path !== undefined) vol.bind.create_host_path = toBool(bind.create_host_path);
        if (bind.selinux !== undefined) vol.bind.selinux = bind.selinux as 'z' | 'Z';
        if (bind.recursive !== undefined) vol.bind.recursive = String(bind.recursive);
      }
      if (isMap(volume)) {
        vol.volume = {};
        if (volume.nocopy !== undefined) vol.volume.nocopy = toBool(volume.nocopy);
        if (volume.subpath !== undefined) vol.volume.subpath = String(volume.subpath);
        if (volume.labels !== undefined) vol.volume.labels = stringMap(volume.labels);
      }
      if (isMap(tmpfs)) {
        vol.tmpfs = {};
        if (tmpfs.size !== undefined) vol.tmpfs.size = toBytes(tmpfs.size);
        if (tmpfs.mode !== undefined) vol.tmpfs.mode = octalish(tmpfs.mode);
      }
      if (isMap(image) && image.subpath !== undefined) vol.image = { subpath: String(image.subpath) };
    } else throw new CastError('must be a string or a mapping');
    if (!vol.target) throw new CastError('has no target');
    // Targets are container paths, compared by mount merging and by the engine: clean them ("/data/" -> "/data").
    vol.target = cleanPath(vol.target);
    if (vol.type === 'bind') {
      if (!vol.source) throw new CastError('is a bind mount without a source');
      vol.source = hostPath(ctx, vol.source);
    }
    return vol;
  });
}

export function serviceFileRef(ctx: NormalizeContext, raw: unknown, path: string): ServiceSecretConfig {
  return at(ctx, path, () => {
    if (typeof raw === 'string') return { source: raw };
    if (!isMap(raw)) throw new CastError('must be a string or a mapping');
    const { source, target, uid, gid, mode, ...rest } = raw;
    const out: ServiceSecretConfig = { ...rest, source: String(source ?? '') };
    if (target !== undefined) out.target = String(target);
    if (uid !== undefined) out.uid = String(uid);
    if (gid !== undefined) out.gid = String(gid);
    if (mode !== undefined) out.mode = octalish(mode);
    return out;
  });
}

export function device(ctx: NormalizeContext, raw: unknown, path: string): DeviceMapping {
  return at(ctx, path, () => {
    if (isMap(raw)) {
      const source = String(raw.source);
      return { source, target: String(raw.target ?? source), permissions: String(raw.permissions ?? 'rwm') };
    }
    const parts = String(raw).split(':');
    if (parts.length > 3 || !parts[0]) throw new CastError(`invalid device ${JSON.stringify(raw)}`);
    const [source, target, permissions] = parts as [string, string | undefined, string | undefined];
    // `src:rwm`: a second field made only of r/w/m letters is the permissions.
    if (parts.length === 2 && /^[rwm]+$/.test(target!)) return { source, target: source, permissions: target! };
    return { source, target: target || source, permissions: permissions || 'rwm' };
  });
}
