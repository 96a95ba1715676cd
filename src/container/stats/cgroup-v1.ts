// cgroup v1 (and the v1 part of a hybrid host): one hierarchy per controller, each holding the
// container's cgroup at the same relative path (the cgroupfs driver's cgroupsPath).
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBlkioV1, parseIntList, parseKeyValues, readInt, readText } from './cgroup-files.js';
import { emptyBlkioStats, type CgroupSample } from './stats-types.js';

const USER_HZ = 100; // cpuacct.stat counts in USER_HZ ticks; Linux fixes it at 100 for userspace
const NS_PER_TICK = 1e9 / USER_HZ;

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** The controller's hierarchy directory: "cpuacct" alone, or co-mounted as "cpu,cpuacct". */
async function controllerDir(root: string, names: string[]): Promise<string> {
  for (const n of names) if (await exists(join(root, n))) return join(root, n);
  return join(root, names[0]!);
}

export async function readCgroupV1(root: string, cgroupsPath: string): Promise<CgroupSample> {
  const rel = cgroupsPath.replace(/^\/+/, '');
  const [cpuDir, acctDir] = await Promise.all([
    controllerDir(root, ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']),
    controllerDir(root, ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu']),
  ]);
  const cpu = join(cpuDir, rel);
  const acct = join(acctDir, rel);
  const mem = join(root, 'memory', rel);
  const pids = join(root, 'pids', rel);
  const blkio = join(root, 'blkio', rel);

  const [usage, percpu, acctStat, cpuStat, memUsage, memMax, memFail, memLimit, memStat, pidsCur, pidsMax] = await Promise.all([
    readInt(join(acct, 'cpuacct.usage')),
    readText(join(acct, 'cpuacct.usage_percpu')),
    readText(join(acct, 'cpuacct.stat')),
    readText(join(cpu, 'cpu.stat')),
    readInt(join(mem, 'memory.usage_in_bytes')),
    readInt(join(mem, 'memory.max_usage_in_bytes')),
    readInt(join(mem, 'memory.failcnt')),
    readInt(join(mem, 'memory.limit_in_bytes')),
    readText(join(mem, 'memory.stat')),
    readInt(join(pids, 'pids.current')),
    readInt(join(pids, 'pids.max')),
  ]);
  const ticks = parseKeyValues(acctStat);
  const thr = parseKeyValues(cpuStat);

  // Which blkio files hold data depends on the I/O scheduler: CFQ, then BFQ, then throttle.
  const blk = emptyBlkioStats();
  for (const prefix of ['blkio.', 'blkio.bfq.', 'blkio.throttle.']) {
    const [bytes, ios] = await Promise.all([
      readText(join(blkio, `${prefix}io_service_bytes_recursive`)),
      readText(join(blkio, `${prefix}io_serviced_recursive`)),
    ]);
    const b = parseBlkioV1(bytes);
    const i = parseBlkioV1(ios);
    if (b.length || i.length || prefix === 'blkio.throttle.') {
      blk.io_service_bytes_recursive = b;
      blk.io_serviced_recursive = i;
      break;
    }
  }
  for (const k of Object.keys(blk) as (keyof typeof blk)[]) blk[k] ??= [];

  const percpuList = parseIntList(percpu);
  return {
    cpu: {
      cpu_usage: {
        total_usage: usage ?? 0,
        ...(percpuList ? { percpu_usage: percpuList } : {}),
        usage_in_kernelmode: (ticks.system ?? 0) * NS_PER_TICK,
        usage_in_usermode: (ticks.user ?? 0) * NS_PER_TICK,
      },
      throttling_data: {
        periods: thr.nr_periods ?? 0,
        throttled_periods: thr.nr_throttled ?? 0,
        throttled_time: thr.throttled_time ?? 0,
      },
    },
    memory: {
      ...(memUsage !== undefined ? { usage: memUsage } : {}),
      ...(memMax !== undefined ? { max_usage: memMax } : {}),
      ...(memStat !== undefined ? { stats: parseKeyValues(memStat) } : {}),
      ...(memFail !== undefined ? { failcnt: memFail } : {}),
      ...(memLimit !== undefined ? { limit: memLimit } : {}),
    },
    pids: {
      ...(pidsCur !== undefined ? { current: pidsCur } : {}),
      ...(pidsMax !== undefined ? { limit: pidsMax } : {}),
    },
    blkio: blk,
  };
}

/** Pids of the processes in the container's cgroup (for `top`). */
export async function cgroupV1Procs(root: string, cgroupsPath: string): Promise<number[] | undefined> {
  const rel = cgroupsPath.replace(/^\/+/, '');
  for (const c of ['pids', 'memory', 'cpu', 'cpuacct', 'cpu,cpuacct', 'freezer']) {
    const t = await readText(join(root, c, rel, 'cgroup.procs'));
    if (t !== undefined) return parseProcs(t);
  }
  return undefined;
}

export function parseProcs(text: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}
