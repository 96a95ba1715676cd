// Decides, in pure code, what the runtime spec for a container must say: the record (user's
// request merged with the image) becomes a SpecInput for the spec builder.
import { conflict, invalidArgument } from '../lib/errors.js';
import type { SpecInput, SpecMount } from '../runtime/specgen/spec-input.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerPaths } from './paths.js';
import { mergeEnv } from './create-config.js';
import { sortByDepth } from '../volume/resolve-mounts.js';

export interface SpecContext {
  paths: ContainerPaths;
  initPath: string; // host path of the --init binary (tini)
  cgroupParent: string; // e.g. '/berth'
}

export function securityOptions(opts: string[]): Pick<SpecInput, 'noNewPrivileges' | 'seccomp'> {
  const out: Pick<SpecInput, 'noNewPrivileges' | 'seccomp'> = {};
  for (const o of opts) {
    const [k, v] = o.includes('=')
      ? [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]
      : o.includes(':')
        ? [o.slice(0, o.indexOf(':')), o.slice(o.indexOf(':') + 1)]
        : [o, ''];
    if (k === 'no-new-privileges') {
      if (v !== '' && v !== 'true' && v !== 'false') throw invalidArgument(`invalid --security-opt 2: "${o}"`);
      out.noNewPrivileges = v !== 'false';
    } else if (k === 'seccomp') {
      if (v === 'unconfined') out.seccomp = 'unconfined';
      else if (v === 'builtin' || v === '') out.seccomp = 'default';
      else out.seccomp = { profilePath: v };
    } else if (k === 'apparmor' || k === 'label' || k === 'systempaths') {
      // Not enforced on this host (no AppArmor/SELinux); accepted like Docker does when disabled.
    } else throw invalidArgument(`invalid --security-opt 1: "${o}"`);
  }
  return out;
}

/** Namespaces taken from another running container (`--ipc container:x`, `--pid container:x`), by its pid. */
export interface NamespaceDonors {
  ipc?: { pid: number; hostIpc: boolean };
  pid?: { pid: number };
}

/**
 * Resolves the donors of `container:<x>` IPC and PID modes at start, with Docker's checks: the
 * donor must be running, and an IPC donor must have made its IPC shareable (or use the host's).
 */
export function namespaceDonors(rec: ContainerRecord, lookup: (ref: string) => ContainerRecord): NamespaceDonors {
  const out: NamespaceDonors = {};
  const running = (what: string, ref: string): ContainerRecord => {
    let donor: ContainerRecord;
    try {
      donor = lookup(ref);
    } catch (e) {
      throw conflict(`cannot join ${what} of a non running container: ${ref}`, e);
    }
    if ((donor.state.status !== 'running' && donor.state.status !== 'paused') || !donor.state.pid)
      throw conflict(`cannot join ${what} of a non running container: ${ref}`);
    return donor;
  };
  if (rec.host.ipcMode.startsWith('container:')) {
    const ref = rec.host.ipcMode.slice('container:'.length);
    const donor = running('IPC', ref);
    if (donor.host.ipcMode !== 'shareable' && donor.host.ipcMode !== 'host')
      throw conflict(`can't join IPC of container ${ref}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)`);
    out.ipc = { pid: donor.state.pid, hostIpc: donor.host.ipcMode === 'host' };
  }
  if (rec.host.pidMode.startsWith('container:')) out.pid = { pid: running('PID', rec.host.pidMode.slice('container:'.length)).state.pid };
  return out;
}

/**
 * `mounts` are the container's volumes, binds and tmpfs mounts (decided by the volume domain).
 * Berth's own /etc/hostname, /etc/hosts and /etc/resolv.conf give way to a user mount at the same
 * place, as in Docker; the whole list is ordered parents first.
 */
export function specInputFor(
  rec: ContainerRecord,
  ctx: SpecContext,
  mounts: SpecMount[],
  netns: SpecInput['netns'],
  donors: NamespaceDonors = {},
  linkEnv: string[] = [],
): SpecInput {
  const p = ctx.paths;
  // Joining another container's IPC namespace shares its SysV IPC and message queues. Its
  // /dev/shm is a tmpfs inside its own mount namespace, which the kernel will not bind from
  // there, so only a donor on the host's IPC gives its /dev/shm (Docker keeps a shareable
  // container's shm on the host and binds that).
  const shm: SpecMount[] = donors.ipc?.hostIpc
    ? [{ destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'nosuid', 'noexec', 'nodev'] }]
    : [];
  const hostNet = rec.host.networkMode === 'host';
  const etcMounts: SpecMount[] = [
    { destination: '/etc/hostname', type: 'bind', source: p.hostname(rec.id), options: ['rbind', 'rprivate'] },
    { destination: '/etc/hosts', type: 'bind', source: p.hosts(rec.id), options: ['rbind', 'rprivate'] },
    { destination: '/etc/resolv.conf', type: 'bind', source: p.resolvConf(rec.id), options: ['rbind', 'rprivate'] },
  ];
  return {
    rootfsPath: p.rootfs(rec.id),
    readonlyRootfs: rec.host.readonlyRootfs,
    args: [...rec.config.entrypoint, ...rec.config.cmd],
    // Link variables come first; the container's own environment wins over them (as dockerd).
    env: linkEnv.length ? mergeEnv(linkEnv, rec.config.env) : rec.config.env,
    cwd: rec.config.workingDir || '/',
    user: rec.config.user,
    groupAdd: rec.host.groupAdd,
    tty: rec.config.tty,
    hostname: rec.config.hostname,
    domainname: rec.config.domainname,
    capAdd: rec.host.capAdd,
    capDrop: rec.host.capDrop,
    privileged: rec.host.privileged,
    ...securityOptions(rec.host.securityOpt),
    mounts: sortByDepth([
      ...etcMounts.filter((e) => !mounts.some((m) => m.destination === e.destination)),
      ...shm.filter((s) => !mounts.some((m) => m.destination === s.destination)),
      ...mounts,
    ]),
    resources: rec.host.resources,
    cgroupsPath: `${ctx.cgroupParent}/${rec.id}`,
    netns,
    ipcMode: donors.ipc ? { path: `/proc/${donors.ipc.pid}/ns/ipc` } : rec.host.ipcMode === 'host' ? 'host' : 'private',
    pidMode: donors.pid ? { path: `/proc/${donors.pid.pid}/ns/pid` } : rec.host.pidMode === 'host' ? 'host' : 'private',
    utsMode: rec.host.utsMode === 'host' || hostNet ? 'host' : 'private',
    sysctls: rec.host.sysctls,
    devices: rec.host.devices ?? [],
    deviceCgroupRules: rec.host.deviceCgroupRules ?? [],
    ulimits: rec.host.ulimits,
    shmSize: rec.host.shmSize || 64 * 1024 * 1024,
    oomScoreAdj: rec.host.oomScoreAdj,
    init: rec.host.init ? { hostPath: ctx.initPath } : undefined,
    annotations: { 'io.berth.container.name': rec.name },
  };
}
