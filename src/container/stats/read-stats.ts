// One stats sample for a running container, in Docker's shape. Pass the previous sample to
// fill precpu_stats/preread (what `docker stats` divides by); without one they are zero, as
// in Docker's first sample.
import { totalmem } from 'node:os';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { nowRfc3339Nano } from '../../lib/time-parse.js';
import { readCgroupV1, cgroupV1Procs } from './cgroup-v1.js';
import { readCgroupV2, cgroupV2Procs } from './cgroup-v2.js';
import { readNetworks, readSystemCpu } from './host-stats.js';
import { emptyCpuStats, ZERO_TIME, type ContainerStats } from './stats-types.js';

export type CgroupStatsFormat = 'v1' | 'v2';

export interface ReadStatsOptions {
  id?: string;
  /** Container name; a leading "/" is added if missing, as Docker prints it. */
  name?: string;
  /** Where cgroup hierarchies are mounted (tests, other hosts). */
  cgroupRoot?: string;
  procRoot?: string;
  /** Force a layout instead of detecting it. */
  layout?: CgroupStatsFormat;
  /** The container shares the host's network namespace: Docker reports no networks then. */
  hostNetwork?: boolean;
}

const layoutCache = new Map<string, CgroupStatsFormat>();

/**
 * Which cgroup files hold a container's stats: v2 when the root is a pure unified mount, v1 for
 * legacy and hybrid hosts (whose containers' controllers are v1). Not the host's layout (see
 * runtime/oci's CgroupLayout, which tells hybrid apart): a question of where to read.
 */
export async function detectStatsFormat(root = '/sys/fs/cgroup'): Promise<CgroupStatsFormat> {
  const cached = layoutCache.get(root);
  if (cached) return cached;
  const v2 = await access(join(root, 'cgroup.controllers')).then(
    () => true,
    () => false,
  );
  const layout: CgroupStatsFormat = v2 ? 'v2' : 'v1';
  layoutCache.set(root, layout);
  return layout;
}

export async function readStats(cgroupsPath: string, pid: number, prev?: ContainerStats, opts: ReadStatsOptions = {}): Promise<ContainerStats> {
  const root = opts.cgroupRoot ?? '/sys/fs/cgroup';
  const procRoot = opts.procRoot ?? '/proc';
  const layout = opts.layout ?? (await detectStatsFormat(root));
  const [sample, sys, nets] = await Promise.all([
    layout === 'v2' ? readCgroupV2(root, cgroupsPath) : readCgroupV1(root, cgroupsPath),
    readSystemCpu(procRoot),
    opts.hostNetwork ? Promise.resolve(undefined) : readNetworks(pid, procRoot),
  ]);
  const read = nowRfc3339Nano();
  // An unlimited cgroup reports a huge number (or "max"); Docker shows the machine's memory.
  const machine = totalmem();
  const memory = { ...sample.memory };
  if (memory.limit === undefined || memory.limit > machine) memory.limit = machine;
  const cpu = {
    ...sample.cpu,
    ...(sys ? { system_cpu_usage: sys.systemCpuUsage, online_cpus: sys.onlineCpus } : {}),
  };
  const name = opts.name === undefined ? '' : opts.name.startsWith('/') ? opts.name : `/${opts.name}`;
  const stats: ContainerStats = {
    name,
    id: opts.id ?? '',
    read,
    preread: prev?.read ?? ZERO_TIME,
    pids_stats: sample.pids,
    blkio_stats: sample.blkio,
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu,
    precpu_stats: prev?.cpu_stats ?? emptyCpuStats(),
    memory_stats: memory,
  };
  if (nets && Object.keys(nets).length > 0) stats.networks = nets;
  return stats;
}

/** Pids in the container's cgroup, or undefined when the cgroup does not exist. */
export async function listCgroupPids(cgroupsPath: string, opts: { cgroupRoot?: string; layout?: CgroupStatsFormat } = {}): Promise<number[] | undefined> {
  const root = opts.cgroupRoot ?? '/sys/fs/cgroup';
  const layout = opts.layout ?? (await detectStatsFormat(root));
  return layout === 'v2' ? cgroupV2Procs(root, cgroupsPath) : cgroupV1Procs(root, cgroupsPath);
}
