// Decides, in pure code, what the runtime spec for a container must say: the record (user's
// request merged with the image) becomes a SpecInput for the spec builder.
import { conflict, invalidArgument } from '../lib/errors.js';
import type { SpecInput, SpecMount } from '../runtime/specgen/spec-input.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerPaths } from './paths.js';
import { mergeEnv } from './create-config.js';
import { sortByDepth } from '../volume/resolve-mounts.js';
import { parseGoBool } from '../lib/go-bool.js';
import type { IdMap } from '../lib/id-map.js';
import { parseSeccompProfile } from '../runtime/specgen/seccomp.js';
import { apparmorProfileFor } from '../runtime/specgen/steps-linux.js';

export interface SpecContext {
  paths: ContainerPaths;
  initPath: string; // host path of the --init binary (tini)
  cgroupParent: string; // e.g. '/berth'
  /** dockerd's --no-new-privileges: the default a container's SecurityOpt may override. */
  noNewPrivileges?: boolean;
  /** dockerd's --userns-remap: containers get a user namespace with these maps unless UsernsMode is host. */
  userns?: IdMap;
}

/**
 * Under --userns-remap, what dockerd refuses at create: privileged, the host's network or PID
 * namespace (a user namespace cannot hold them) need `--userns=host`. The host's IPC namespace is
 * refused here too (dockerd takes it and the runtime then fails to mount /dev/mqueue); the host's
 * UTS namespace works, as with dockerd. UsernsMode is '' or host.
 */
export function checkUsernsMode(
  h: Pick<ContainerRecord['host'], 'usernsMode' | 'privileged' | 'networkMode' | 'pidMode' | 'ipcMode'>,
  remapped: boolean,
): void {
  const mode = h.usernsMode ?? '';
  if (mode !== '' && mode !== 'host') throw invalidArgument(`invalid USER mode: ${mode}`);
  if (!remapped || mode === 'host') return;
  if (h.privileged)
    throw invalidArgument(
      'privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode',
    );
  if (h.networkMode === 'host') throw invalidArgument("cannot share the host's network namespace when user namespaces are enabled");
  if (h.pidMode === 'host') throw invalidArgument('cannot share the host PID namespace when user namespaces are enabled');
  if (h.ipcMode === 'host') throw invalidArgument("cannot share the host's IPC namespace when user namespaces are enabled");
}

/** The id maps a container runs under: the daemon's --userns-remap maps unless it opted out with --userns=host. */
export function containerUserns(ctx: Pick<SpecContext, 'userns'>, rec: { host: Pick<ContainerRecord['host'], 'usernsMode'> }): IdMap | undefined {
  return rec.host.usernsMode === 'host' ? undefined : ctx.userns;
}

/** The daemon's defaults for every container (dockerd's --no-new-privileges). */
export interface SecurityDefaults {
  noNewPrivileges?: boolean;
}

/**
 * HostConfig.SecurityOpt, read as dockerd's parseSecurityOpt does: `no-new-privileges[=bool]`
 * (over the daemon's default), `seccomp=unconfined|builtin|<profile JSON>` (the docker CLI reads
 * the file and sends its JSON), `apparmor=NAME`, `label=...` (no SELinux here: accepted, as
 * dockerd on such a host), with `:` as the old separator. Pure; a bad option is a 400.
 */
export function securityOptions(opts: readonly string[], defaults: SecurityDefaults = {}): Pick<SpecInput, 'noNewPrivileges' | 'seccomp' | 'apparmorProfile'> {
  const out: Pick<SpecInput, 'noNewPrivileges' | 'seccomp' | 'apparmorProfile'> = {};
  if (defaults.noNewPrivileges) out.noNewPrivileges = true;
  for (const o of opts) {
    if (o === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (o === 'disable') continue; // label disabling: no SELinux labels here
    const sep = o.includes('=') ? '=' : o.includes(':') ? ':' : undefined;
    if (sep === undefined) throw invalidArgument(`invalid --security-opt 1: "${o}"`);
    const k = o.slice(0, o.indexOf(sep));
    const v = o.slice(o.indexOf(sep) + 1);
    if (k === 'no-new-privileges') {
      const b = parseGoBool(v);
      if (b === undefined) throw invalidArgument(`invalid --security-opt 2: "${o}"`);
      out.noNewPrivileges = b;
    } else if (k === 'seccomp') {
      if (v === 'unconfined') out.seccomp = 'unconfined';
      else if (v === 'builtin' || v === 'default' || v === '') out.seccomp = 'default';
      else {
        parseSeccompProfile(v); // checked now: a bad profile fails the create, not a later start
        out.seccomp = { profileJson: v };
      }
    } else if (k === 'apparmor') out.apparmorProfile = v;
    else if (k === 'label' || k === 'systempaths') {
      // label: no SELinux on this host (accepted, as dockerd); systempaths is the CLI's (it sends MaskedPaths).
    } else throw invalidArgument(`invalid --security-opt 2: "${o}"`);
  }
  return out;
}

/** What create checks before anything is made: the options parse, and a named AppArmor profile can be applied here. */
export function checkSecurityOptions(opts: readonly string[], hostHasAppArmor: boolean): void {
  apparmorProfileFor(securityOptions(opts).apparmorProfile, hostHasAppArmor);
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
    ...securityOptions(rec.host.securityOpt, { noNewPrivileges: ctx.noNewPrivileges ?? false }),
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
    ...(containerUserns(ctx, rec) ? { userns: containerUserns(ctx, rec) } : {}),
    annotations: { 'io.berth.container.name': rec.name },
  };
}
