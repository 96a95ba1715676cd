// Docker's security defaults as data: masked and read-only /proc and /sys paths, the standard
// mounts every container gets, and the device cgroup allow list (moby's and runc's defaults).
import type { OciDeviceCgroup, OciMount } from './oci-spec.js';

export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Docker's RLIMIT_NOFILE (dockerd runs with LimitNOFILE=1048576 and containers inherit it). */
export const DEFAULT_RLIMITS = [{ type: 'RLIMIT_NOFILE', soft: 1048576, hard: 1048576 }] as const;

export function defaultMounts(opts: { shmSize?: number; ipcHost: boolean }): OciMount[] {
  const shm = opts.shmSize && opts.shmSize > 0 ? opts.shmSize : DEFAULT_SHM_SIZE;
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    // An mqueue mount shows the queues of the IPC namespace it is made in, so with the host's
    // namespace a fresh one already shows the host's queues (as in dockerd); a bind of the host's
    // /dev/mqueue would fail on hosts that have none mounted. Shared memory is a tmpfs: with the
    // host's IPC namespace the container gets the host's /dev/shm.
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    opts.ipcHost
      ? { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'nosuid', 'noexec', 'nodev'] }
      : { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shm}`] },
  ];
}

const allow = (type: 'c' | 'b', major: number | undefined, minor: number | undefined, access: string): OciDeviceCgroup => {
  const r: OciDeviceCgroup = { allow: true, type };
  if (major !== undefined) r.major = major;
  if (minor !== undefined) r.minor = minor;
  r.access = access;
  return r;
};

/** Deny everything, then allow mknod of any node and use of the standard pseudo devices. */
export function defaultDeviceRules(): OciDeviceCgroup[] {
  return [
    { allow: false, access: 'rwm' },
    allow('c', undefined, undefined, 'm'), // mknod of any char device (using it stays denied)
    allow('b', undefined, undefined, 'm'),
    allow('c', 1, 3, 'rwm'), // /dev/null
    allow('c', 1, 5, 'rwm'), // /dev/zero
    allow('c', 1, 7, 'rwm'), // /dev/full
    allow('c', 1, 8, 'rwm'), // /dev/random
    allow('c', 1, 9, 'rwm'), // /dev/urandom
    allow('c', 5, 0, 'rwm'), // /dev/tty
    allow('c', 5, 1, 'rwm'), // /dev/console
    allow('c', 5, 2, 'rwm'), // /dev/ptmx
    allow('c', 136, undefined, 'rwm'), // /dev/pts/*
    allow('c', 10, 200, 'rwm'), // /dev/net/tun
  ];
}
