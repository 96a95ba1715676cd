// Host preparation for the OCI runtime, and locating the runtime binary.
import { access, constants, mkdir, readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { BerthError, messageOf } from '../../lib/errors.js';

export type CgroupLayout = 'v1-hybrid' | 'v2' | 'v1';

interface MountEntry {
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

async function readMounts(): Promise<MountEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
      const [left, right = ''] = line.split(' - ');
      const l = left!.split(' ');
      const r = right.split(' ');
      return { mountPoint: unescapeMount(l[4] ?? ''), fsType: r[0] ?? '', superOptions: (r[2] ?? '').split(',') };
    });
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** v2: /sys/fs/cgroup is cgroup2; v1-hybrid: v1 controllers plus a cgroup2 mount; v1: no cgroup2. */
export async function detectCgroupLayout(): Promise<CgroupLayout> {
  const mounts = await readMounts();
  if (mounts.some((m) => m.mountPoint === '/sys/fs/cgroup' && m.fsType === 'cgroup2')) return 'v2';
  return mounts.some((m) => m.fsType === 'cgroup2') ? 'v1-hybrid' : 'v1';
}

/**
 * Makes crun usable here. On a v1 hybrid layout whose cgroup2 mount still holds the hugetlb
 * controller (no v1 hugetlb hierarchy claimed it), crun 1.8 refuses every container with
 * "cgroups in hybrid mode not supported". Mounting hugetlb as its own v1 hierarchy moves the
 * controller off cgroup2 and fixes it (runc does not need this). Idempotent: does nothing when a
 * v1 hugetlb hierarchy is already mounted or the layout is not hybrid. Lasts until reboot.
 */
export async function prepareHost(): Promise<{ layout: CgroupLayout; mountedHugetlb: boolean }> {
  const layout = await detectCgroupLayout();
  if (layout !== 'v1-hybrid') return { layout, mountedHugetlb: false };
  const mounts = await readMounts();
  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  const hasV1Hugetlb = mounts.some((m) => m.fsType === 'cgroup' && m.superOptions.includes('hugetlb'));
  let controllers: string[] = [];
  try {
    controllers = (await readFile(join(unified!.mountPoint, 'cgroup.controllers'), 'utf8')).trim().split(/\s+/);
  } catch {
    // no controllers file: nothing to move
  }
  if (hasV1Hugetlb || !controllers.includes('hugetlb')) return { layout, mountedHugetlb: false };
  const target = '/sys/fs/cgroup/hugetlb';
  try {
    await mkdir(target, { recursive: true });
    await promisify(execFile)('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', target]);
  } catch (e) {
    throw new BerthError('unavailable', `cannot mount the hugetlb cgroup hierarchy that crun needs on this hybrid cgroup host: ${messageOf(e)}`, { cause: e });
  }
  return { layout, mountedHugetlb: true };
}

const FALLBACK_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The path of the crun (default) or runc binary, searched in PATH and the usual directories. */
export async function findRuntime(name: 'crun' | 'runc' = 'crun', env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dirs = [...(env.PATH ?? '').split(':').filter(Boolean), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const p = join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  throw new BerthError('unavailable', `OCI runtime "${name}" not found in PATH or ${FALLBACK_DIRS.join(', ')}; install it (apt-get install ${name})`);
}
