// Steps that isolate the container: namespaces, root, mounts, devices, masked paths, seccomp.
import { posix } from 'node:path';
import { invalidArgument } from '../../lib/errors.js';
import type { IdRange } from '../../lib/id-map.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, defaultDeviceRules, defaultMounts } from './defaults.js';
import type { OciDevice, OciDeviceCgroup, OciMount, OciNamespace, OciNamespaceType } from './oci-spec.js';
import { convertSeccompProfile, loadSeccompProfile, parseSeccompProfile } from './seccomp.js';
import type { SpecStep } from './step.js';
import { dockerDefaultSeccomp } from './docker-seccomp.js';

type NsMode = 'private' | 'new' | 'shareable' | 'host' | { path: string } | undefined;

function namespace(type: OciNamespaceType, mode: NsMode): OciNamespace[] {
  if (mode === 'host') return [];
  if (typeof mode === 'object') {
    if (!mode.path.startsWith('/')) throw invalidArgument(`invalid ${type} namespace path: ${mode.path}`);
    return [{ type, path: mode.path }];
  }
  return [{ type }];
}

export const namespacesStep: SpecStep = {
  name: 'namespaces',
  apply(spec, input) {
    spec.linux.namespaces = [
      ...namespace('pid', input.pidMode),
      ...namespace('network', input.netns),
      ...namespace('ipc', input.ipcMode),
      ...namespace('uts', input.utsMode),
      { type: 'mount' },
      ...(input.cgroupns === 'private' ? [{ type: 'cgroup' as const }] : []),
      ...(input.userns ? [{ type: 'user' as const }] : []),
    ];
    if (input.userns) {
      const oci = (r: IdRange) => ({ containerID: r.containerId, hostID: r.hostId, size: r.size });
      spec.linux.uidMappings = input.userns.uids.map(oci);
      spec.linux.gidMappings = input.userns.gids.map(oci);
    }
  },
};

export const rootStep: SpecStep = {
  name: 'root',
  apply(spec, input) {
    if (!input.rootfsPath.startsWith('/')) throw invalidArgument(`rootfs path must be absolute: ${input.rootfsPath}`);
    spec.root = { path: input.rootfsPath, readonly: !!input.readonlyRootfs };
  },
};

export const defaultMountsStep: SpecStep = {
  name: 'default-mounts',
  apply(spec, input) {
    spec.mounts = defaultMounts({ shmSize: input.shmSize, ipcHost: input.ipcMode === 'host' });
  },
};

function cleanDestination(d: string, type: string): string {
  if (!d.startsWith('/')) throw invalidArgument(`invalid mount config for type "${type}": invalid mount path: '${d}' mount path must be absolute`);
  return posix.normalize(d).replace(/(.)\/+$/, '$1');
}

const depth = (d: string) => d.split('/').filter(Boolean).length;

export const userMountsStep: SpecStep = {
  name: 'user-mounts',
  apply(spec, input) {
    const user: OciMount[] = input.mounts.map((m) => ({
      destination: cleanDestination(m.destination, m.type),
      type: m.type,
      source: m.source,
      options: [...m.options],
    }));
    const dests = new Set(user.map((m) => m.destination));
    // A user mount replaces the default at its destination; one at /dev replaces all of /dev/*.
    const keep = spec.mounts.filter((m) => !dests.has(m.destination) && !(dests.has('/dev') && m.destination.startsWith('/dev/')));
    // Parents before children, else a later parent mount would hide an earlier child.
    const sorted = user
      .map((m, i) => ({ m, i }))
      .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
      .map((x) => x.m);
    spec.mounts = [...keep, ...sorted];
  },
};

const DEVICE_CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** One `--device-cgroup-rule` ("c 1:3 rwm"; `*` is any number) as an OCI allowance; dockerd's grammar and message. */
export function parseDeviceCgroupRule(rule: string): OciDeviceCgroup {
  const m = DEVICE_CGROUP_RULE.exec(rule);
  if (!m) throw invalidArgument(`invalid device cgroup rule format: '${rule}'`);
  const [, type, major, minor, access] = m;
  return {
    allow: true,
    type: type as 'a' | 'b' | 'c',
    ...(major === '*' ? {} : { major: Number(major) }),
    ...(minor === '*' ? {} : { minor: Number(minor) }),
    access: access!,
  };
}

export const devicesStep: SpecStep = {
  name: 'devices',
  async apply(spec, input, ctx) {
    const devices: OciDevice[] = [];
    const rules = defaultDeviceRules();
    for (const d of input.devices ?? []) {
      const perms = d.cgroupPermissions || 'rwm';
      if (!/^[rwm]{1,3}$/.test(perms)) throw invalidArgument(`invalid device mode: ${perms}`);
      const target = d.pathInContainer || d.pathOnHost;
      for (const found of await ctx.host.devicesAt(d.pathOnHost)) {
        // A directory maps its nodes under the container path.
        const path = found.path === d.pathOnHost ? target : posix.join(target, posix.relative(d.pathOnHost, found.path));
        devices.push({ ...found, path });
        rules.push({ allow: true, type: found.type === 'b' ? 'b' : 'c', major: found.major, minor: found.minor, access: perms });
      }
    }
    for (const r of input.deviceCgroupRules ?? []) rules.push(parseDeviceCgroupRule(r));
    spec.linux.devices = devices;
    spec.linux.resources.devices = rules;
  },
};

export const maskedPathsStep: SpecStep = {
  name: 'masked-paths',
  apply(spec, input) {
    spec.linux.maskedPaths = [...(input.maskedPaths ?? DEFAULT_MASKED_PATHS)];
    spec.linux.readonlyPaths = [...(input.readonlyPaths ?? DEFAULT_READONLY_PATHS)];
  },
};

/**
 * --security-opt apparmor=NAME. On a host with AppArmor the runtime applies the profile (it must be
 * loaded); on a host without it a named profile is refused rather than silently dropped (dockerd
 * drops it), because the container would run without the confinement it asked for. `unconfined`
 * is always accepted. Berth installs no default profile (dockerd's docker-default).
 */
export const apparmorStep: SpecStep = {
  name: 'apparmor',
  apply(spec, input, ctx) {
    const name = apparmorProfileFor(input.apparmorProfile, ctx.host.apparmor);
    if (name !== undefined) spec.process.apparmorProfile = name; // an explicit profile wins over privileged, as in dockerd
  },
};

/** The profile the spec names, or undefined for none; throws for a named profile AppArmor cannot apply. */
export function apparmorProfileFor(name: string | undefined, hostHasAppArmor: boolean): string | undefined {
  if (name === undefined || name === '') return undefined;
  if (!hostHasAppArmor) {
    if (name === 'unconfined') return undefined;
    throw invalidArgument(`AppArmor profile "${name}" requested, but AppArmor is not enabled on this host (no /sys/module/apparmor)`);
  }
  return name;
}

export const seccompStep: SpecStep = {
  name: 'seccomp',
  async apply(spec, input, ctx) {
    const mode = input.seccomp ?? 'default';
    // Privileged containers run unconfined whatever profile was asked for, as in Docker.
    if (mode === 'unconfined' || input.privileged) {
      delete spec.linux.seccomp;
      return;
    }
    const profile =
      mode === 'default'
        ? dockerDefaultSeccomp(await loadSeccompProfile(ctx.host.seccompProfilePath))
        : 'profileJson' in mode
          ? parseSeccompProfile(mode.profileJson)
          : await loadSeccompProfile(mode.profilePath);
    spec.linux.seccomp = convertSeccompProfile(profile, { arch: ctx.host.arch, capabilities: ctx.capabilities ?? [], kernel: ctx.host.kernel });
  },
};
