// RUN --mount: cache (a persistent directory per id under the build cache, bind-mounted
// read-write), bind (from the context or another stage's/image's filesystem, read-only by
// default; read-write binds get a throwaway overlay so writes never reach the source), tmpfs.
import { chown, chmod, lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { invalidArgument, notFound } from '../../lib/errors.js';
import { resolveInRoot } from '../../lib/safe-path.js';
import type { SpecMount } from '../../runtime/specgen/spec-input.js';
import { hostOwner, rootOwnerOf, type IdMap } from '../../lib/id-map.js';
import type { RunMount } from '../dockerfile/run-mount.js';

export interface MountSources {
  contextDir: string;
  /** Mounted root of a stage or image named by `from=` (the caller mounts and releases it). */
  fromRoot: (from: string) => Promise<string>;
  cacheDir: string;
  /** Scratch space for read-write bind overlays (removed with the step). */
  scratchDir: string;
  /** The daemon's --userns-remap maps: a cache dir's uid/gid and a writable bind's top are the host ids they map to. */
  userns?: IdMap;
}

export function cacheMountDir(cacheDir: string, m: RunMount): string {
  const id = m.id || m.target || '';
  return join(cacheDir, createHash('sha256').update(id).digest('hex').slice(0, 32));
}

export async function runMounts(mounts: readonly RunMount[], src: MountSources): Promise<SpecMount[]> {
  const out: SpecMount[] = [];
  let n = 0;
  for (const m of mounts) {
    if (!m.target) throw invalidArgument(`mount target is required for --mount=type=${m.type}`);
    const target = m.target.startsWith('/') ? m.target : `/${m.target}`;
    switch (m.type) {
      case 'cache': {
        const dir = cacheMountDir(src.cacheDir, m);
        const fresh = !(await lstat(dir).catch(() => undefined));
        if (fresh) {
          await mkdir(dir, { recursive: true, mode: 0o755 });
          const owner = hostOwner(src.userns, m.uid ?? 0, m.gid ?? 0);
          await chown(dir, owner.uid, owner.gid);
          await chmod(dir, m.mode ?? 0o755);
        }
        out.push({ destination: target, type: 'bind', source: dir, options: ['rbind', 'rw'] });
        break;
      }
      case 'bind': {
        const root = m.from ? await src.fromRoot(m.from) : src.contextDir;
        // Under --userns-remap the runtime mounts as the step's root, which must reach and read the
        // context (a stage's or image's files already carry its ids): root:<gid> 0750.
        const stepRoot = rootOwnerOf(src.userns);
        if (stepRoot && !m.from) {
          await chown(root, 0, stepRoot.gid);
          await chmod(root, 0o750);
        }
        const source = await resolveInRoot(root, m.source ?? '/');
        if (!(await lstat(source).catch(() => undefined))) throw notFound(`failed to compute cache key: "/${(m.source ?? '').replace(/^\/+/, '')}": not found`);
        if (m.readOnly) {
          out.push({ destination: target, type: 'bind', source, options: ['rbind', 'ro'] });
        } else {
          const base = join(src.scratchDir, `bind-${n++}`);
          await mkdir(join(base, 'upper'), { recursive: true });
          await mkdir(join(base, 'work'), { recursive: true });
          // Under --userns-remap the runtime mounts the overlay as the step's root: it writes to upper and
          // work (the merged top directory takes upper's owner), and may set only user.* xattrs (userxattr).
          const root = rootOwnerOf(src.userns);
          if (root) for (const d of ['upper', 'work']) await chown(join(base, d), root.uid, root.gid);
          out.push({
            destination: target,
            type: 'overlay',
            source: 'overlay',
            options: [`lowerdir=${source}`, `upperdir=${join(base, 'upper')}`, `workdir=${join(base, 'work')}`, ...(root ? ['userxattr'] : [])],
          });
        }
        break;
      }
      case 'tmpfs':
        out.push({ destination: target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(m.sizeLimit ? [`size=${m.sizeLimit}`] : [])] });
        break;
      default:
        throw invalidArgument(`RUN --mount=type=${m.type} is not supported by this builder`);
    }
  }
  return out;
}
