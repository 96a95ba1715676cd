// The container as Berth stores it: configuration (what the user asked for, merged with the
// image) apart from state (what happened). One record per container, written atomically.
import type { Snapshot, StoredRecord } from '../store/records/record-store.js';
import type { Platform } from '../lib/platform.js';
import type { Digest } from '../lib/digest.js';
import type { ResourceLimits } from '../runtime/specgen/spec-input.js';
import type { MountInput } from '../volume/mount-point.js';

export interface HealthcheckConfig {
  test: string[];
  interval?: number; // ns
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
}

/** The process and identity of a container (Docker's `Config`), after merging with the image. */
export interface StoredContainerConfig {
  image: string; // as the user named it
  cmd: string[];
  entrypoint: string[];
  env: string[];
  workingDir: string;
  user: string;
  tty: boolean;
  openStdin: boolean;
  stdinOnce: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  hostname: string;
  domainname: string;
  labels: Record<string, string>;
  stopSignal?: string;
  stopTimeout?: number; // seconds
  exposedPorts: Record<string, object>;
  volumes: Record<string, object>;
  healthcheck?: HealthcheckConfig;
  onBuild?: string[];
  shell?: string[];
  argsEscaped?: boolean;
  networkDisabled?: boolean;
  macAddress?: string;
}

export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure' | '';

/** How the container is run on the host (Docker's `HostConfig`), the parts Berth acts on. */
export interface HostSettings {
  autoRemove: boolean;
  restartPolicy: { name: RestartPolicyName; maximumRetryCount: number };
  privileged: boolean;
  readonlyRootfs: boolean;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  init: boolean;
  resources: ResourceLimits;
  ulimits: { name: string; soft: number; hard: number }[];
  networkMode: string;
  binds: string[];
  mounts: MountInput[];
  tmpfs: Record<string, string>;
  volumesFrom: string[];
  volumeDriver: string;
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  shmSize: number;
  groupAdd: string[];
  sysctls: Record<string, string>;
  oomScoreAdj: number;
  pidMode: string;
  ipcMode: string;
  utsMode: string;
  /** `host`: no user namespace under a daemon with --userns-remap (dockerd's --userns=host). */
  usernsMode?: string;
  runtime: string;
  logConfig: { type: string; config: Record<string, string> };
  /** HostConfig.PortBindings ("80/tcp" -> [{hostIp, hostPort}]) and -P. */
  portBindings: Record<string, { hostIp?: string; hostPort?: string }[] | null>;
  publishAllPorts: boolean;
  /** HostConfig.Links as sent ("name:alias"): legacy links, which only the default bridge honours. */
  links?: string[];
  /** HostConfig.Devices: host device nodes (or directories of them) made in the container. */
  devices?: { pathOnHost: string; pathInContainer: string; cgroupPermissions: string }[];
  /** HostConfig.DeviceCgroupRules ("c 1:3 rwm"): extra device cgroup allowances, without nodes. */
  deviceCgroupRules?: string[];
  /** Initial TTY size [rows, cols] (API >= 1.42), applied before the process runs. */
  consoleSize?: [number, number];
}

export interface EndpointRequest {
  network: string;
  aliases: string[];
  ip?: string;
  mac?: string;
  /** EndpointSettings.Links as sent ("container:alias"): names only this container resolves on the network. */
  links?: string[];
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface HealthState {
  status: 'starting' | 'healthy' | 'unhealthy' | 'none';
  failingStreak: number;
  log: { start: string; end: string; exitCode: number; output: string }[];
}

export interface ContainerState {
  status: ContainerStatus;
  pid: number;
  exitCode: number;
  error: string;
  oomKilled: boolean;
  startedAt: string; // '0001-01-01T00:00:00Z' when never
  finishedAt: string;
  health?: HealthState;
}

export interface ContainerRecord extends StoredRecord {
  id: string; // 64 hex
  name: string; // without the leading '/'
  created: string; // RFC 3339 nano
  /** 'creating' until every side effect of create is done; 'removing' once rm began. */
  phase: 'creating' | 'ready' | 'removing';
  imageId: Digest;
  imageChainId: Digest | null;
  /** The image's platform (absent in records made before platforms): a foreign one starts under emulation. */
  imagePlatform?: Platform;
  config: StoredContainerConfig;
  host: HostSettings;
  /** The create request as the client sent it, returned by inspect for fields Berth ignores. */
  wire: { config: Record<string, unknown>; hostConfig: Record<string, unknown>; networkingConfig: Record<string, unknown> };
  state: ContainerState;
  /** NetworkingConfig.EndpointsConfig: per network, the aliases and static addresses asked for. */
  endpoints: EndpointRequest[];
  /** Set when the container was disconnected from its primary network (host.networkMode, kept as Docker keeps it). */
  primaryDisconnected?: boolean;
  restartCount: number;
  /** Set by an explicit stop, so 'unless-stopped'/'always' do not restart after a daemon restart. */
  manuallyStopped: boolean;
  runtimeName: string;
}

/** A container record as readers get it (frozen); changes go through `RecordStore.update`. */
export type ContainerSnapshot = Snapshot<ContainerRecord>;

export const ZERO_TIME = '0001-01-01T00:00:00Z';
