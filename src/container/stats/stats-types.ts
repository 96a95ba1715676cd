// The shape of Docker's container stats document (GET /containers/{id}/stats). Its keys are
// Docker's own lower snake_case; they are built here because the numbers' meaning (units,
// which file they come from) is a domain matter, and api/ passes the object through as is.

export interface CpuUsage {
  total_usage: number; // ns
  percpu_usage?: number[]; // ns per cpu (cgroup v1 only, as Docker)
  usage_in_kernelmode: number; // ns
  usage_in_usermode: number; // ns
}

export interface ThrottlingData {
  periods: number;
  throttled_periods: number;
  throttled_time: number; // ns
}

export interface CpuStats {
  cpu_usage: CpuUsage;
  system_cpu_usage?: number; // ns, all cpus, from /proc/stat
  online_cpus?: number;
  throttling_data: ThrottlingData;
}

export interface MemoryStats {
  usage?: number;
  max_usage?: number; // v1 only
  stats?: Record<string, number>;
  failcnt?: number; // v1 only
  limit?: number; // capped at the host's memory, as Docker
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface BlkioStats {
  io_service_bytes_recursive: BlkioEntry[] | null;
  io_serviced_recursive: BlkioEntry[] | null;
  io_queue_recursive: BlkioEntry[] | null;
  io_service_time_recursive: BlkioEntry[] | null;
  io_wait_time_recursive: BlkioEntry[] | null;
  io_merged_recursive: BlkioEntry[] | null;
  io_time_recursive: BlkioEntry[] | null;
  sectors_recursive: BlkioEntry[] | null;
}

export interface NetworkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

export interface PidsStats {
  current?: number;
  limit?: number;
}

export interface ContainerStats {
  name: string; // "/name"
  id: string;
  read: string; // RFC 3339 nano
  preread: string; // "0001-01-01T00:00:00Z" when there is no previous sample
  pids_stats: PidsStats;
  blkio_stats: BlkioStats;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: MemoryStats;
  networks?: Record<string, NetworkStats>;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function emptyCpuStats(): CpuStats {
  return {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
}

export function emptyBlkioStats(): BlkioStats {
  return {
    io_service_bytes_recursive: null,
    io_serviced_recursive: null,
    io_queue_recursive: null,
    io_service_time_recursive: null,
    io_wait_time_recursive: null,
    io_merged_recursive: null,
    io_time_recursive: null,
    sectors_recursive: null,
  };
}

/** What a cgroup reader contributes; the host parts (system cpu, networks) are added after. */
export interface CgroupSample {
  cpu: CpuStats;
  memory: MemoryStats;
  pids: PidsStats;
  blkio: BlkioStats;
}
