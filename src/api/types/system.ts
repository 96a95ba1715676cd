// Docker Engine API v1.45 wire types for system endpoints, events, stats and errors.
import type { ContainerSummary } from './container.js';
import type { ImageSummary } from './image.js';

/** Body of every non-2xx JSON response. */
export interface ErrorResponse {
  message: string;
}

/** GET /version. */
export interface Version {
  Platform?: { Name: string };
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

/** GET /info (the fields berth fills; Docker has more, all optional to clients). */
export interface SystemInfo {
  ID: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  DriverStatus: [string, string][] | null;
  DockerRootDir: string;
  Plugins?: { Volume?: string[] | null; Network?: string[] | null; Authorization?: string[] | null; Log?: string[] | null };
  MemoryLimit: boolean;
  SwapLimit: boolean;
  CpuCfsPeriod: boolean;
  CpuCfsQuota: boolean;
  CPUShares: boolean;
  CPUSet: boolean;
  KernelMemoryTCP?: boolean;
  PidsLimit: boolean;
  OomKillDisable?: boolean;
  IPv4Forwarding: boolean;
  Debug: boolean;
  NFd: number;
  NGoroutines: number;
  SystemTime: string;
  LoggingDriver: string;
  CgroupDriver: string;
  CgroupVersion: string;
  NEventsListener: number;
  KernelVersion: string;
  OperatingSystem: string;
  OSVersion: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  IndexServerAddress: string;
  RegistryConfig?: unknown;
  GenericResources?: unknown;
  HttpProxy: string;
  HttpsProxy: string;
  NoProxy: string;
  Name: string;
  Labels: string[];
  ExperimentalBuild: boolean;
  ServerVersion: string;
  Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] }>;
  DefaultRuntime: string;
  Swarm?: {
    NodeID?: string;
    NodeAddr?: string;
    LocalNodeState: string;
    ControlAvailable?: boolean;
    Error?: string;
    RemoteManagers?: { NodeID: string; Addr: string }[] | null;
  };
  LiveRestoreEnabled: boolean;
  Isolation: string;
  InitBinary: string;
  ContainerdCommit?: { ID: string; Expected?: string };
  RuncCommit?: { ID: string; Expected?: string };
  InitCommit?: { ID: string; Expected?: string };
  SecurityOptions: string[];
  Warnings: string[] | null;
}

/** GET /events line. */
export interface Event {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config' | 'builder';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope?: 'local' | 'swarm';
  time: number;
  timeNano: number;
  // Deprecated fields Docker still sends for containers.
  status?: string;
  id?: string;
  from?: string;
}

export interface CpuUsage {
  total_usage: number;
  percpu_usage?: number[];
  usage_in_kernelmode: number;
  usage_in_usermode: number;
}
export interface CpuStats {
  cpu_usage: CpuUsage;
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data?: { periods: number; throttled_periods: number; throttled_time: number };
}
export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}
/** Docker's ContainerBlkioStats: every list null on cgroup v2 but io_service_bytes_recursive. */
export interface BlkioStats {
  io_service_bytes_recursive?: BlkioEntry[] | null;
  io_serviced_recursive?: BlkioEntry[] | null;
  io_queue_recursive?: BlkioEntry[] | null;
  io_service_time_recursive?: BlkioEntry[] | null;
  io_wait_time_recursive?: BlkioEntry[] | null;
  io_merged_recursive?: BlkioEntry[] | null;
  io_time_recursive?: BlkioEntry[] | null;
  sectors_recursive?: BlkioEntry[] | null;
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

/** GET /containers/{id}/stats object (one per line when streaming). */
export interface ContainerStats {
  name?: string;
  id?: string;
  read: string;
  preread: string;
  pids_stats?: { current?: number; limit?: number };
  blkio_stats?: BlkioStats;
  num_procs?: number;
  storage_stats?: Record<string, number>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; limit?: number; failcnt?: number; stats?: Record<string, number> };
  networks?: Record<string, NetworkStats>;
}

export interface VolumeSummary {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt?: string;
  Labels: Record<string, string> | null;
  Scope: 'local' | 'global';
  Options: Record<string, string> | null;
  UsageData?: { Size: number; RefCount: number } | null;
}

export interface BuildCacheItem {
  ID: string;
  Parent?: string;
  Parents?: string[] | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

/** GET /system/df. */
export interface SystemDf {
  LayersSize: number;
  Images: ImageSummary[];
  Containers: ContainerSummary[];
  Volumes: VolumeSummary[];
  BuildCache: BuildCacheItem[] | null;
}

/** POST /system/check (Berth's; Podman's `system check`): what was checked, what is damaged, what a repair did. */
export interface SystemCheck {
  Checked: { Blobs: number; Layers: number; Images: number; Containers: number };
  Problems: { Type: 'blob' | 'layer' | 'image' | 'container'; ID: string; Name?: string; Problem: string; Action: string; LeftBecause?: string }[];
  Repaired: boolean;
  Quarantine?: string;
}

/** One line of a jsonmessage stream (pull, push, load, import, build). */
/** One message of a jsonmessage stream (pull, push, load, import, build); `Aux` is the route's aux payload. */
export interface JsonMessage<Aux = unknown> {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  error?: string;
  errorDetail?: { code?: number; message: string };
  aux?: Aux;
}

/** POST /build/prune. */
export interface BuildPruneResponse {
  CachesDeleted: string[] | null;
  SpaceReclaimed: number;
}

/** GET /berth/binfmt (Berth's own): the emulators for foreign architectures and the kernel entries that serve them. */
export interface BinfmtStatus {
  Mounted: boolean;
  /** Architectures the host runs without emulation ("amd64", "386"). */
  Native: string[];
  Emulators: {
    /** OCI architecture ("arm64"). */
    Architecture: string;
    Interpreter: string;
    /** The binfmt_misc entry serving it; "" when none. */
    Handler: string;
    Flags: string;
    /** "active" (an enabled entry with the F flag), "no-fix-binary" or "absent". */
    State: string;
    /** The entry is Berth's (berth-qemu-*), which --uninstall removes. */
    Owned: boolean;
  }[];
}

/** POST /berth/binfmt/install and /berth/binfmt/uninstall. */
export interface BinfmtChange {
  /** Architectures registered (install) or entries removed (uninstall). */
  Changed: string[];
  Status: BinfmtStatus;
}
