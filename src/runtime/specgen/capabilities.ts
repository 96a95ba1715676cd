// Linux capability names and Docker's --cap-add/--cap-drop arithmetic.
import { invalidArgument } from '../../lib/errors.js';

/** Capability names indexed by their kernel number (linux/capability.h). */
export const CAPABILITY_NAMES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** Docker's default set (moby's caps.DefaultCapabilities), in Docker's order. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const ALL = 'ALL';

/** 'net_admin' / 'NET_ADMIN' / 'CAP_NET_ADMIN' -> 'CAP_NET_ADMIN'; 'all' -> 'ALL'. */
export function normalizeCapability(name: string): string {
  const up = name.trim().toUpperCase();
  if (up === ALL) return ALL;
  const full = up.startsWith('CAP_') ? up : `CAP_${up}`;
  if (!CAPABILITY_NAMES.includes(full)) throw invalidArgument(`unknown capability: "${full}"`);
  return full;
}

function normalizeList(list: string[] | undefined): string[] {
  return [...new Set((list ?? []).map(normalizeCapability))];
}

/** Capability bit mask (as a bigint) -> names; bits beyond our table are ignored. */
export function capabilitiesFromMask(mask: bigint): string[] {
  return CAPABILITY_NAMES.filter((_, i) => (mask >> BigInt(i)) & 1n);
}

export function capabilityMask(names: string[]): bigint {
  let m = 0n;
  for (const n of names) {
    const i = CAPABILITY_NAMES.indexOf(n);
    if (i >= 0) m |= 1n << BigInt(i);
  }
  return m;
}

/**
 * Docker's TweakCapabilities: privileged gets everything; `ALL` in adds means everything except
 * the drops; `ALL` in drops means only the adds; otherwise defaults minus drops plus adds.
 * `available` is "every capability": the ones this host can actually grant (its bounding set),
 * because asking the runtime for a capability the daemon lacks makes the container fail.
 */
export function tweakCapabilities(opts: {
  adds?: string[];
  drops?: string[];
  privileged?: boolean;
  available: readonly string[];
  defaults?: readonly string[];
}): string[] {
  const defaults = opts.defaults ?? DEFAULT_CAPABILITIES;
  // Validate even when privileged so a typo is always reported.
  const adds = normalizeList(opts.adds);
  const drops = normalizeList(opts.drops);
  if (opts.privileged) return [...opts.available];
  let caps: string[];
  if (adds.includes(ALL)) caps = opts.available.filter((c) => !drops.includes(c));
  else if (drops.includes(ALL)) caps = adds;
  else caps = [...defaults.filter((c) => !drops.includes(c)), ...adds];
  return [...new Set(caps)];
}
