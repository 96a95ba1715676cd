// Decides a container's mounts from what the user asked for, with Docker's precedence and
// errors (moby daemon/volumes.go registerMountPoints + create_unix.go for image volumes):
//   1. --volumes-from copies the other container's mount points (ro if asked);
//   2. -v binds and volumes override those; two -v (or a -v and a --tmpfs) on one path are an error;
//   3. --mount entries likewise;
//   4. image/Config.Volumes paths not mounted otherwise become anonymous volumes;
//   5. --tmpfs entries are mounted too, but not listed (inspect's Mounts omits them, as dockerd).
// Pure apart from the env callbacks (bind source existence, volume paths, random names).
import { posix } from 'node:path';
import { notFound } from '../lib/errors.js';
import { duplicateMountPoint, invalidMountConfig, invalidVolumeSpec, noSuchContainer } from '../lib/docker-messages.js';
import { DEFAULT_PROPAGATION, mergeTmpfsOptions, parseBind, parseVolumesFrom, tmpfsData, validateMountInput, validateTmpfsDestination } from './mount-parse.js';
import { ANONYMOUS_LABEL, LOCAL_DRIVER, type HostMount, type MountInput, type MountPoint, type MountsInput } from './mount-point.js';
import { validateVolumeName } from './volume-name.js';

export interface ResolveEnv {
  /** Another container for --volumes-from: its id and mount points, or undefined if there is none. */
  lookupContainer(ref: string): { id: string; mountPoints: MountPoint[] } | undefined;
  bindSourceExists(path: string): boolean;
  /** Host path of a local volume's data directory. */
  volumePath(name: string): string;
  randomName(): string;
}

const clean = (p: string) => (p === '/' ? p : posix.normalize(p).replace(/\/+$/, ''));

function checkDriver(name: string | undefined): string {
  const d = name || LOCAL_DRIVER;
  if (d !== LOCAL_DRIVER) throw notFound(`error looking up volume plugin ${d}: plugin "${d}" not found`);
  return d;
}

/** A MountInput (already validated) as a mount point; `mode` is the -v mode text if any. */
function fromInput(m: MountInput, env: ResolveEnv, mode: string | undefined): MountPoint {
  const destination = clean(m.target);
  const rw = !m.readOnly;
  if (m.type === 'bind') {
    return {
      type: 'bind',
      destination,
      source: clean(m.source!),
      mode: mode ?? '',
      rw,
      propagation: m.bindOptions?.propagation || DEFAULT_PROPAGATION,
      copyData: false,
      // -v creates a missing host directory; --mount only with bind-create-mountpoint.
      createSource: mode !== undefined || !!m.bindOptions?.createMountpoint,
      ...(m.bindOptions?.nonRecursive ? { nonRecursive: true } : {}),
    };
  }
  if (m.type === 'tmpfs') return { type: 'tmpfs', destination, source: '', mode: '', rw, propagation: '', copyData: false, tmpfsData: tmpfsData(m) };
  const anonymous = !m.source;
  const name = anonymous ? env.randomName() : m.source!;
  if (!anonymous) validateVolumeName(name);
  const vo = m.volumeOptions;
  const driver = checkDriver(vo?.driverConfig?.name);
  const labels = anonymous ? { ...(vo?.labels ?? {}), [ANONYMOUS_LABEL]: '' } : (vo?.labels ?? null);
  return {
    type: 'volume',
    destination,
    source: env.volumePath(name),
    name,
    driver,
    // Docker sets mode "z" on local volumes given by -v or --mount (setBindModeIfNull).
    mode: mode || 'z',
    rw,
    propagation: '',
    copyData: !vo?.noCopy,
    ...(anonymous ? { anonymous: true } : {}),
    create: { options: vo?.driverConfig?.options ?? null, labels },
    ...(vo?.subpath ? { subpath: vo.subpath } : {}),
  };
}

export function resolveMounts(input: MountsInput, env: ResolveEnv): MountPoint[] {
  const points = new Map<string, MountPoint>();
  const explicit = new Set<string>(); // destinations given by -v or --mount
  const tmpfs = new Map<string, string>();
  for (const [dest, data] of Object.entries(input.tmpfs)) {
    validateTmpfsDestination(dest);
    tmpfs.set(clean(dest), data);
  }

  for (const spec of input.volumesFrom) {
    const { ref, readOnly } = parseVolumesFrom(spec);
    const other = env.lookupContainer(ref);
    if (!other) throw noSuchContainer(ref);
    for (const mp of other.mountPoints) {
      if (mp.hidden) continue;
      const { create: _c, createSource: _s, ...rest } = mp;
      points.set(mp.destination, { ...rest, rw: mp.rw && !readOnly, copyData: false, fromContainer: mp.fromContainer ?? other.id });
    }
  }

  for (const raw of input.binds) {
    const { input: m, mode } = parseBind(raw, input.volumeDriver);
    const mp = fromInput(m, env, mode);
    if (explicit.has(mp.destination) || tmpfs.has(mp.destination)) throw duplicateMountPoint(mp.destination);
    explicit.add(mp.destination);
    points.delete(mp.destination); // re-insert: the later source decides the order too
    points.set(mp.destination, mp);
  }

  for (const m of input.mounts) {
    validateMountInput(m, env.bindSourceExists);
    const mp = fromInput(m, env, undefined);
    if (explicit.has(mp.destination) || tmpfs.has(mp.destination)) throw duplicateMountPoint(m.target);
    explicit.add(mp.destination);
    points.delete(mp.destination);
    points.set(mp.destination, mp);
  }

  for (const spec of input.imageVolumes) {
    if (!spec.startsWith('/')) throw invalidVolumeSpec(spec, invalidMountConfig('volume', `invalid mount path: '${spec}' mount path must be absolute`).message);
    const dest = clean(spec);
    if (points.has(dest) || tmpfs.has(dest)) continue;
    const name = env.randomName();
    checkDriver(input.volumeDriver);
    points.set(dest, {
      type: 'volume',
      destination: dest,
      source: env.volumePath(name),
      name,
      driver: LOCAL_DRIVER,
      mode: '',
      rw: true,
      propagation: '',
      copyData: true,
      anonymous: true,
      create: { options: null, labels: { [ANONYMOUS_LABEL]: '' } },
    });
  }

  for (const [dest, data] of tmpfs) {
    points.set(dest, {
      type: 'tmpfs',
      destination: dest,
      source: '',
      mode: '',
      rw: !data.split(',').includes('ro'),
      propagation: '',
      copyData: false,
      tmpfsData: data,
      hidden: true,
    });
  }
  return [...points.values()];
}

/** The runtime mount for a prepared mount point (`source` is where a volume's data is now). */
export function hostMount(mp: MountPoint, source = mp.source): HostMount {
  if (mp.type === 'tmpfs') {
    const opts = mergeTmpfsOptions(mp.tmpfsData ?? '');
    if (!mp.rw && !opts.includes('ro')) opts.push('ro');
    return { destination: mp.destination, type: 'tmpfs', source: 'tmpfs', options: opts };
  }
  const options = [mp.nonRecursive ? 'bind' : 'rbind', mp.rw ? 'rw' : 'ro', mp.propagation || DEFAULT_PROPAGATION];
  return { destination: mp.destination, type: 'bind', source, options };
}

/** Parents before children (Docker sorts mounts by path depth), otherwise in the given order. */
export function sortByDepth<T extends { destination: string }>(mounts: T[]): T[] {
  const depth = (p: string) => p.split('/').filter(Boolean).length;
  return mounts
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map((x) => x.m);
}
