// cgroup v2 (unified): every controller's files in one directory per cgroup.
import { join } from 'node:path';
import { parseIoStatV2, parseKeyValues, readInt, readText } from './cgroup-files.js';
import { parseProcs } from './cgroup-v1.js';
import { emptyBlkioStats, type CgroupSample } from './stats-types.js';

export async function readCgroupV2(root: string, cgroupsPath: string): Promise<CgroupSample> {
  const dir = join(root, cgroupsPath.replace(/^\/+/, ''));
  const [cpuStat, memCur, memMax, memStat, pidsCur, pidsMax, ioStat] = await Promise.all([
    readText(join(dir, 'cpu.stat')),
    readInt(join(dir, 'memory.current')),
    readInt(join(dir, 'memory.max')),
    readText(join(dir, 'memory.stat')),
    readInt(join(dir, 'pids.current')),
    readInt(join(dir, 'pids.max')),
    readText(join(dir, 'io.stat')),
  ]);
  const cpu = parseKeyValues(cpuStat);
  const io = parseIoStatV2(ioStat);
  const blkio = emptyBlkioStats();
  blkio.io_service_bytes_recursive = io.bytes;
  blkio.io_serviced_recursive = io.ios;
  return {
    cpu: {
      cpu_usage: {
        total_usage: (cpu.usage_usec ?? 0) * 1000,
        usage_in_kernelmode: (cpu.system_usec ?? 0) * 1000,
        usage_in_usermode: (cpu.user_usec ?? 0) * 1000,
      },
      throttling_data: {
        periods: cpu.nr_periods ?? 0,
        throttled_periods: cpu.nr_throttled ?? 0,
        throttled_time: (cpu.throttled_usec ?? 0) * 1000,
      },
    },
    memory: {
      ...(memCur !== undefined ? { usage: memCur } : {}),
      ...(memStat !== undefined ? { stats: parseKeyValues(memStat) } : {}),
      ...(memMax !== undefined ? { limit: memMax } : {}),
    },
    pids: {
      ...(pidsCur !== undefined ? { current: pidsCur } : {}),
      ...(pidsMax !== undefined ? { limit: pidsMax } : {}),
    },
    blkio,
  };
}

export async function cgroupV2Procs(root: string, cgroupsPath: string): Promise<number[] | undefined> {
  const t = await readText(join(root, cgroupsPath.replace(/^\/+/, ''), 'cgroup.procs'));
  return t === undefined ? undefined : parseProcs(t);
}
