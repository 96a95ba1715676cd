// What the spec builder must know about the host it builds for. Read once from /proc and
// /sys by default; tests (and callers building for another host) pass their own values.
import { readFileSync, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { errnoCode, invalidArgument } from '../../lib/errors.js';
import { CAPABILITY_NAMES, capabilitiesFromMask } from './capabilities.js';
import { goArch } from './seccomp.js';
import type { OciDevice } from './oci-spec.js';

/** Infinity means RLIM_INFINITY (see specToJson). */
export interface HostRlimit {
  soft: number;
  hard: number;
}

export interface HostFacts {
  /** Capabilities the daemon can hand out: its bounding set. "ALL" and privileged mean these. */
  capabilities: readonly string[];
  /** Current limits of this process keyed by OCI type ('RLIMIT_NOFILE'); specs are clamped to the hard ones. */
  rlimits: Readonly<Record<string, HostRlimit>>;
  kernel: string; // os.release()
  arch: string; // GOARCH, e.g. 'amd64'
  seccompProfilePath: string;
  /** Whether the kernel enforces AppArmor (/sys/module/apparmor/parameters/enabled is Y). */
  apparmor: boolean;
  /** Whether cgroup knobs exist; a knob the kernel lacks is dropped with a warning, as dockerd does. */
  cgroup: { swap: boolean; blkioWeight: boolean };
  /** Every device node of the host (for privileged containers). */
  listHostDevices(): Promise<OciDevice[]>;
  /** Device nodes at a host path (a node, or a directory walked recursively), for --device. */
  devicesAt(hostPath: string): Promise<OciDevice[]>;
}

const LIMIT_ROWS: Record<string, string> = {
  'Max cpu time': 'RLIMIT_CPU',
  'Max file size': 'RLIMIT_FSIZE',
  'Max data size': 'RLIMIT_DATA',
  'Max stack size': 'RLIMIT_STACK',
  'Max core file size': 'RLIMIT_CORE',
  'Max resident set': 'RLIMIT_RSS',
  'Max processes': 'RLIMIT_NPROC',
  'Max open files': 'RLIMIT_NOFILE',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
};

/** Parses /proc/<pid>/limits text. */
export function parseProcLimits(text: string): Record<string, HostRlimit> {
  const out: Record<string, HostRlimit> = {};
  const val = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  for (const line of text.split('\n')) {
    for (const [row, type] of Object.entries(LIMIT_ROWS)) {
      if (!line.startsWith(row + ' ')) continue;
      const [soft, hard] = line.slice(row.length).trim().split(/\s+/);
      if (soft !== undefined && hard !== undefined) out[type] = { soft: val(soft), hard: val(hard) };
    }
  }
  return out;
}

function readBoundingSet(): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) return [...CAPABILITY_NAMES];
  let last = CAPABILITY_NAMES.length - 1;
  try {
    last = Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  } catch {
    /* keep table */
  }
  return capabilitiesFromMask(BigInt('0x' + m[1])).filter((c) => CAPABILITY_NAMES.indexOf(c) <= last);
}

function deviceFromStat(path: string, st: import('node:fs').BigIntStats): OciDevice | undefined {
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : undefined;
  if (!type) return undefined;
  // glibc's major()/minor() bit layout of dev_t.
  const r = st.rdev;
  const major = Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn));
  const minor = Number((r & 0xffn) | ((r >> 12n) & ~0xffn));
  return { type, path, major, minor, fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
}

/** Walks `dir` for device nodes; returned paths are host paths. */
async function walkDevices(dir: string, skipDirs: ReadonlySet<string>, skipNames: ReadonlySet<string>): Promise<OciDevice[]> {
  const out: OciDevice[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return out;
  }
  for (const n of names.sort()) {
    const p = join(dir, n);
    let st;
    try {
      st = await stat(p, { bigint: true });
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      if (!skipDirs.has(n)) out.push(...(await walkDevices(p, skipDirs, skipNames)));
      continue;
    }
    if (skipNames.has(n)) continue;
    const d = deviceFromStat(p, st);
    if (d) out.push(d);
  }
  return out;
}

// The runtime makes its own pts/shm/mqueue; console is the container's own tty.
const HOST_SKIP_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);
const HOST_SKIP_NAMES = new Set(['console']);

export async function devicesAt(hostPath: string): Promise<OciDevice[]> {
  let st;
  try {
    st = await stat(hostPath, { bigint: true });
  } catch (e) {
    if (errnoCode(e) === 'ENOENT')
      throw invalidArgument(`error gathering device information while adding custom device "${hostPath}": no such file or directory`);
    throw e;
  }
  if (st.isDirectory()) return walkDevices(hostPath, new Set(), new Set());
  const d = deviceFromStat(hostPath, st);
  if (!d) throw invalidArgument(`error gathering device information while adding custom device "${hostPath}": not a device node`);
  return [d];
}

function probeCgroup(): HostFacts['cgroup'] {
  // A pure cgroup v2 host has cgroup.controllers at the top; a hybrid one only under unified/,
  // and the runtimes then use the v1 hierarchies.
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    let ctl = '';
    try {
      ctl = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8');
    } catch {
      /* none */
    }
    return { swap: ctl.includes('memory'), blkioWeight: /\bio\b/.test(ctl) };
  }
  return {
    swap: existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    blkioWeight: existsSync('/sys/fs/cgroup/blkio/blkio.weight') || existsSync('/sys/fs/cgroup/blkio/blkio.bfq.weight'),
  };
}

let cachedCaps: string[] | undefined;

/** AppArmor is on when its module is loaded and enabled (as runc's apparmor.IsEnabled). */
export function hostHasAppArmor(): boolean {
  try {
    return readFileSync('/sys/module/apparmor/parameters/enabled', 'utf8').trim() === 'Y';
  } catch {
    return false;
  }
}

/** The facts of the host this process runs on. */
export function currentHostFacts(): HostFacts {
  cachedCaps ??= readBoundingSet();
  let limits: Record<string, HostRlimit> = {};
  try {
    limits = parseProcLimits(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    /* no /proc: no clamping */
  }
  return {
    capabilities: cachedCaps,
    rlimits: limits,
    kernel: release(),
    arch: goArch(),
    seccompProfilePath: '/usr/share/containers/seccomp.json',
    apparmor: hostHasAppArmor(),
    cgroup: probeCgroup(),
    listHostDevices: () => walkDevices('/dev', HOST_SKIP_DIRS, HOST_SKIP_NAMES),
    devicesAt,
  };
}
