// What the spec builder needs to know about one container (or build step). Plain data, decided
// by the container domain; the builder turns it into an OCI runtime spec without side effects
// beyond reading the rootfs's /etc/passwd and /etc/group to resolve users.
import type { Mount } from '../../store/layers/layer-store.js';
import type { IdMap } from '../../lib/id-map.js';

export interface SpecMount {
  destination: string;
  type: string; // 'bind' | 'tmpfs' | 'proc' ...
  source: string;
  options: string[];
}

export interface ResourceLimits {
  memory?: number; // bytes; 0/undefined = unlimited
  memorySwap?: number; // bytes, -1 unlimited
  memoryReservation?: number;
  nanoCpus?: number; // --cpus * 1e9
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number; // <=0 unlimited
  blkioWeight?: number;
}

export interface SpecInput {
  /** Absolute path of the mounted (or to-be-mounted) root filesystem. */
  rootfsPath: string;
  /** The rootfs mounts (from the layer store); the runtime performs them if the rootfs is not pre-mounted. */
  rootfsMounts?: Mount[];
  readonlyRootfs?: boolean;
  args: string[];
  env: string[]; // K=V, already merged image + container
  cwd: string; // '' = '/'
  user: string; // Docker form: '', 'name', 'uid', 'uid:gid', 'name:group'
  groupAdd?: string[];
  tty: boolean;
  hostname: string;
  domainname?: string;
  capAdd?: string[]; // 'NET_ADMIN' or 'CAP_NET_ADMIN' or 'ALL'
  capDrop?: string[];
  privileged?: boolean;
  noNewPrivileges?: boolean;
  /** `profileJson`: a Docker-format profile's text, as the docker CLI sends it (`seccomp=<json>`). */
  seccomp?: 'default' | 'unconfined' | { profileJson: string } | { profilePath: string };
  /** --security-opt apparmor=NAME; 'unconfined' or a profile loaded on the host. */
  apparmorProfile?: string;
  /** Extra mounts: volumes, binds, tmpfs, and the per-container /etc/hosts etc. */
  mounts: SpecMount[];
  resources?: ResourceLimits;
  /** Cgroup path for the container (cgroupfs driver), e.g. '/berth/<id>'. */
  cgroupsPath: string;
  /** Network namespace: 'new' (private, loopback only), 'host', or a path to join. */
  netns: 'new' | 'host' | { path: string };
  /** `{ path }` joins an existing namespace (Docker's `container:<id>` modes). */
  ipcMode?: 'private' | 'host' | 'shareable' | { path: string };
  pidMode?: 'private' | 'host' | { path: string };
  utsMode?: 'private' | 'host' | { path: string };
  /** A user namespace with these maps (dockerd's --userns-remap); absent: the host's. */
  userns?: IdMap;
  /** Cgroup namespace; default 'host' (Docker's default on cgroup v1 hosts). */
  cgroupns?: 'private' | 'host';
  sysctls?: Record<string, string>;
  ulimits?: { name: string; soft: number; hard: number }[];
  shmSize?: number; // bytes, default 64 MiB
  oomScoreAdj?: number;
  maskedPaths?: string[]; // override Docker's default list
  readonlyPaths?: string[];
  devices?: { pathOnHost: string; pathInContainer: string; cgroupPermissions: string }[];
  /** --device-cgroup-rule ("c 1:3 rwm", "a *:* m"): allowances added after the devices' own. */
  deviceCgroupRules?: string[];
  init?: { hostPath: string }; // --init: bind the init binary and make it argv[0]
  annotations?: Record<string, string>;
}
