// The canonical, normalized compose project: what the loader produces and what observe, reconcile
// and plan consume. One shape per field (the long form), mirroring compose-go's types as
// `docker compose config --format json` prints them, so keys are the compose file's snake_case.
// Durations stay Go duration strings ('1m30s') as compose prints them; byte sizes (mem_limit,
// shm_size, ...) are numbers of bytes, as compose-go's UnitBytes; cpus are numbers.

/** Any `x-*` extension key kept verbatim on the object that carries it. */
export type Extensions = { [key: `x-${string}`]: unknown };

export interface Project {
  name: string;
  /** Absolute project directory: relative paths in the files were resolved against it. */
  workingDir: string;
  /** Absolute paths of the compose files, in the order given (includes/extends files not listed). */
  configFiles: string[];
  /** Enabled services only (active profiles, or named explicitly). */
  services: Record<string, ServiceConfig>;
  /** Services left out by profiles; kept so `withServices` can enable them and `config` can list them. */
  disabledServices: Record<string, ServiceConfig>;
  networks: Record<string, NetworkConfig>;
  volumes: Record<string, VolumeConfig>;
  secrets: Record<string, SecretConfig>;
  configs: Record<string, ConfigObjConfig>;
  /** Active profiles (from --profile and COMPOSE_PROFILES); '*' enables all. */
  profiles: string[];
  /** Variables used for interpolation: the process environment over the .env / --env-file values. */
  environment: Record<string, string>;
  extensions?: Record<string, unknown>;
}

export type RestartPolicy = 'no' | 'always' | 'on-failure' | 'unless-stopped' | `on-failure:${number}` | string;
export type PullPolicy = 'always' | 'never' | 'missing' | 'build' | 'if_not_present' | 'daily' | 'weekly' | string;

export interface ServiceConfig extends Extensions {
  image?: string;
  build?: BuildConfig;
  /** null = not set (the image's own); [] = explicitly empty. Strings were shell-split. */
  command?: string[] | null;
  entrypoint?: string[] | null;
  /** env_file contents merged under `environment`; null = a bare name with no value. */
  environment?: Record<string, string | null>;
  /** Kept for `config` output (compose prints it); the values are already in `environment`. */
  env_file?: EnvFileConfig[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ports?: ServicePortConfig[];
  expose?: string[];
  volumes?: ServiceVolumeConfig[];
  volumes_from?: string[];
  tmpfs?: string[];
  depends_on?: Record<string, ServiceDependency>;
  /** null value = joined with no per-network options. Absent (and no network_mode) means `default`. */
  networks?: Record<string, ServiceNetworkConfig | null>;
  network_mode?: string;
  links?: string[];
  external_links?: string[];
  healthcheck?: HealthCheckConfig;
  deploy?: DeployConfig;
  scale?: number;
  restart?: RestartPolicy;
  user?: string;
  working_dir?: string;
  hostname?: string;
  domainname?: string;
  mac_address?: string;
  init?: boolean;
  stop_signal?: string;
  stop_grace_period?: string;
  tty?: boolean;
  stdin_open?: boolean;
  attach?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  privileged?: boolean;
  read_only?: boolean;
  security_opt?: string[];
  sysctls?: Record<string, string>;
  ulimits?: Record<string, UlimitsConfig>;
  shm_size?: number;
  pid?: string;
  ipc?: string;
  uts?: string;
  userns_mode?: string;
  cgroup?: string;
  cgroup_parent?: string;
  devices?: DeviceMapping[];
  device_cgroup_rules?: string[];
  group_add?: string[];
  dns?: string[];
  dns_opt?: string[];
  dns_search?: string[];
  /** "host:ip" entries (a map form or "host=ip" normalized to this list; several IPs give several entries). */
  extra_hosts?: string[];
  mem_limit?: number;
  mem_reservation?: number;
  /** -1 = unlimited swap. */
  memswap_limit?: number;
  mem_swappiness?: number;
  oom_kill_disable?: boolean;
  oom_score_adj?: number;
  pids_limit?: number;
  cpus?: number;
  cpu_shares?: number;
  cpu_quota?: number;
  cpu_period?: number;
  cpuset?: string;
  secrets?: ServiceSecretConfig[];
  configs?: ServiceConfigObjConfig[];
  logging?: LoggingConfig;
  pull_policy?: PullPolicy;
  platform?: string;
  container_name?: string;
  profiles?: string[];
  runtime?: string;
  storage_opt?: Record<string, string>;
  develop?: DevelopConfig;
  post_start?: ServiceHook[];
  pre_stop?: ServiceHook[];
  /** Any other schema field, kept as written (after interpolation) so `config` prints it. */
  [other: string]: unknown;
}

export interface EnvFileConfig {
  /** Absolute path. */
  path: string;
  required: boolean;
  format?: string;
}

export interface BuildConfig extends Extensions {
  /** Absolute path, or a URL (git / http) kept as written. */
  context: string;
  /** Relative to the context as written ('Dockerfile' by default); ignored with dockerfile_inline. */
  dockerfile: string;
  dockerfile_inline?: string;
  args?: Record<string, string | null>;
  ssh?: string[];
  labels?: Record<string, string>;
  cache_from?: string[];
  cache_to?: string[];
  no_cache?: boolean;
  additional_contexts?: Record<string, string>;
  network?: string;
  pull?: boolean;
  target?: string;
  shm_size?: number;
  extra_hosts?: string[];
  isolation?: string;
  privileged?: boolean;
  secrets?: ServiceSecretConfig[];
  tags?: string[];
  ulimits?: Record<string, UlimitsConfig>;
  platforms?: string[];
  entitlements?: string[];
  provenance?: string | boolean;
  sbom?: string | boolean;
}

export interface ServicePortConfig extends Extensions {
  name?: string;
  mode: 'ingress' | 'host' | string;
  host_ip?: string;
  target: number;
  /** A port or a range ('8000-8002'); absent = an ephemeral host port. */
  published?: string;
  protocol: 'tcp' | 'udp' | 'sctp' | string;
  app_protocol?: string;
}

export type VolumeType = 'volume' | 'bind' | 'tmpfs' | 'npipe' | 'cluster' | 'image';

export interface ServiceVolumeConfig extends Extensions {
  type: VolumeType;
  /** Volume name, absolute host path (binds) or image reference; absent for tmpfs and anonymous volumes. */
  source?: string;
  target: string;
  read_only?: boolean;
  consistency?: string;
  bind?: { propagation?: string; create_host_path?: boolean; selinux?: 'z' | 'Z'; recursive?: string };
  volume?: { nocopy?: boolean; subpath?: string; labels?: Record<string, string> };
  tmpfs?: { size?: number; mode?: number };
  image?: { subpath?: string };
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ServiceDependency extends Extensions {
  condition: DependencyCondition;
  restart?: boolean;
  required: boolean;
}

export interface ServiceNetworkConfig extends Extensions {
  aliases?: string[];
  interface_name?: string;
  ipv4_address?: string;
  ipv6_address?: string;
  link_local_ips?: string[];
  mac_address?: string;
  driver_opts?: Record<string, string>;
  priority?: number;
  gw_priority?: number;
}

export interface HealthCheckConfig extends Extensions {
  /** ['CMD', ...], ['CMD-SHELL', cmd] or ['NONE']; a string test becomes ['CMD-SHELL', test]. */
  test?: string[];
  interval?: string;
  timeout?: string;
  start_period?: string;
  start_interval?: string;
  retries?: number;
  disable?: boolean;
}

export interface DeployConfig extends Extensions {
  mode?: string;
  replicas?: number;
  labels?: Record<string, string>;
  endpoint_mode?: string;
  resources: {
    limits?: ResourceSpec;
    reservations?: ResourceSpec & { devices?: DeviceRequest[]; generic_resources?: unknown[] };
  };
  restart_policy?: { condition?: string; delay?: string; max_attempts?: number; window?: string };
  update_config?: Record<string, unknown>;
  rollback_config?: Record<string, unknown>;
  placement?: Record<string, unknown>;
}

export interface ResourceSpec {
  cpus?: number;
  /** Bytes. */
  memory?: number;
  pids?: number;
}

export interface DeviceRequest {
  capabilities: string[];
  count?: number | 'all';
  device_ids?: string[];
  driver?: string;
  options?: Record<string, string>;
}

export interface DeviceMapping {
  source: string;
  target: string;
  permissions: string;
}

export type UlimitsConfig = number | { soft: number; hard: number };

export interface ServiceSecretConfig extends Extensions {
  source: string;
  target?: string;
  uid?: string;
  gid?: string;
  mode?: number;
}
export type ServiceConfigObjConfig = ServiceSecretConfig;

export interface LoggingConfig {
  driver?: string;
  options?: Record<string, string>;
}

export interface ServiceHook {
  command: string[];
  user?: string;
  privileged?: boolean;
  working_dir?: string;
  environment?: Record<string, string | null>;
}

export type WatchAction = 'sync' | 'rebuild' | 'restart' | 'sync+restart' | 'sync+exec';

export interface DevelopConfig extends Extensions {
  watch?: WatchRule[];
}

export interface WatchRule extends Extensions {
  /** Absolute host path. */
  path: string;
  action: WatchAction;
  target?: string;
  ignore?: string[];
  include?: string[];
  exec?: ServiceHook;
  initial_sync?: boolean;
}

export interface IpamPool {
  subnet?: string;
  gateway?: string;
  ip_range?: string;
  aux_addresses?: Record<string, string>;
}

export interface NetworkConfig extends Extensions {
  /** The engine-side name: `<project>_<key>` unless set, or the key itself when external. */
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  ipam?: { driver?: string; config?: IpamPool[]; options?: Record<string, string> };
  external?: boolean;
  internal?: boolean;
  attachable?: boolean;
  enable_ipv4?: boolean;
  enable_ipv6?: boolean;
  labels?: Record<string, string>;
}

export interface VolumeConfig extends Extensions {
  /** The engine-side name: `<project>_<key>` unless set, or the key itself when external. */
  name: string;
  driver?: string;
  driver_opts?: Record<string, string>;
  external?: boolean;
  labels?: Record<string, string>;
}

/** Top-level secrets and configs share one shape; `file` is absolute. */
export interface FileObjectConfig extends Extensions {
  name: string;
  file?: string;
  environment?: string;
  content?: string;
  external?: boolean;
  labels?: Record<string, string>;
  driver?: string;
  driver_opts?: Record<string, string>;
  template_driver?: string;
}
export type SecretConfig = FileObjectConfig;
export type ConfigObjConfig = FileObjectConfig;

export * from './labels.js';
export { serviceConfigHash } from './config-hash.js';
