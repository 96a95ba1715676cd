// Resource limits: Docker's --ulimit names, and clamping to what the host can grant. A spec
// that asks for more than the daemon's own hard limit makes the runtime fail (setrlimit EPERM
// without CAP_SYS_RESOURCE), so every limit is clamped to the host's hard limit, with a warning
// when the caller asked for more explicitly.
import { invalidArgument } from '../../lib/errors.js';
import type { OciRlimit } from './oci-spec.js';
import type { HostRlimit } from './host-facts.js';

const ULIMIT_TYPES: Record<string, string> = {
  as: 'RLIMIT_AS',
  core: 'RLIMIT_CORE',
  cpu: 'RLIMIT_CPU',
  data: 'RLIMIT_DATA',
  fsize: 'RLIMIT_FSIZE',
  locks: 'RLIMIT_LOCKS',
  memlock: 'RLIMIT_MEMLOCK',
  msgqueue: 'RLIMIT_MSGQUEUE',
  nice: 'RLIMIT_NICE',
  nofile: 'RLIMIT_NOFILE',
  nproc: 'RLIMIT_NPROC',
  rss: 'RLIMIT_RSS',
  rtprio: 'RLIMIT_RTPRIO',
  rttime: 'RLIMIT_RTTIME',
  sigpending: 'RLIMIT_SIGPENDING',
  stack: 'RLIMIT_STACK',
};

/** 'nofile' -> 'RLIMIT_NOFILE' (also accepts 'RLIMIT_NOFILE'); unknown names are invalid. */
export function ulimitType(name: string): string {
  const n = name.toLowerCase().replace(/^rlimit_/, '');
  const t = ULIMIT_TYPES[n];
  if (!t) throw invalidArgument(`invalid ulimit type: ${name}`);
  return t;
}

/** Docker's -1 (and anything negative) means unlimited; kept as Infinity until serialisation. */
const limitValue = (v: number) => (v < 0 ? Infinity : v);

/**
 * Merges Docker's defaults with the user's ulimits (user wins per type) and clamps each to the
 * host's hard limit. `warn` hears about explicit requests that were lowered.
 */
export function buildRlimits(
  defaults: readonly OciRlimit[],
  ulimits: { name: string; soft: number; hard: number }[] | undefined,
  host: Readonly<Record<string, HostRlimit>>,
  warn: (msg: string) => void,
): OciRlimit[] {
  const wanted = new Map<string, { soft: number; hard: number; explicit: boolean }>();
  for (const d of defaults) wanted.set(d.type, { soft: d.soft, hard: d.hard, explicit: false });
  for (const u of ulimits ?? []) {
    const type = ulimitType(u.name);
    const soft = limitValue(u.soft);
    const hard = limitValue(u.hard);
    if (soft > hard) throw invalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${u.soft} > ${u.hard}`);
    wanted.set(type, { soft, hard, explicit: true });
  }
  const out: OciRlimit[] = [];
  for (const [type, w] of wanted) {
    const cap = host[type]?.hard ?? Infinity;
    const hard = Math.min(w.hard, cap);
    const soft = Math.min(w.soft, hard);
    if (w.explicit && hard < w.hard) {
      const name = type.slice('RLIMIT_'.length).toLowerCase();
      warn(`ulimit ${name} lowered to the host's hard limit ${cap} (requested ${w.hard === Infinity ? 'unlimited' : w.hard})`);
    }
    out.push({ type, soft, hard });
  }
  return out;
}
