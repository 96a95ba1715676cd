// The subset of the OCI runtime spec (config.json, version 1.0.x/1.1) that Berth produces.
// Field names follow the spec exactly because the object is serialised as-is for crun/runc.

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  domainname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: OciLinux;
}

export interface OciUser {
  uid: number;
  gid: number;
  umask?: number;
  additionalGids?: number[];
}

export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  inheritable: string[];
  permitted: string[];
  ambient: string[];
}

export interface OciRlimit {
  type: string; // 'RLIMIT_NOFILE' ...
  soft: number;
  hard: number;
}

export interface OciProcess {
  terminal: boolean;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits: OciRlimit[];
  noNewPrivileges: boolean;
  oomScoreAdj?: number;
  apparmorProfile?: string;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export type OciNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';
export interface OciNamespace {
  type: OciNamespaceType;
  path?: string;
}

export interface OciDevice {
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface OciDeviceCgroup {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number; // absent = wildcard
  minor?: number;
  access?: string; // 'rwm'
}

export interface OciResources {
  devices: OciDeviceCgroup[];
  memory?: { limit?: number; reservation?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  blockIO?: { weight?: number };
}

export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string; // 'SCMP_CMP_EQ' ...
}

export interface OciSeccompSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

export interface OciSeccomp {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  syscalls: OciSeccompSyscall[];
}

export interface OciLinux {
  namespaces: OciNamespace[];
  devices: OciDevice[];
  resources: OciResources;
  cgroupsPath?: string;
  sysctl?: Record<string, string>;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp?: OciSeccomp;
  uidMappings?: OciIdMapping[];
  gidMappings?: OciIdMapping[];
}

export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}
