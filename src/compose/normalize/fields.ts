// Small service fields that several places share (service, build, deploy).
import type { UlimitsConfig } from '../model.js';
import { isMap } from '../load/tags.js';
import { CastError, toInt } from './cast.js';

/** `host:ip` entries from the list (`host:ip`, `host=ip`) or map (`host: ip | [ips]`) forms. */
export function extraHosts(v: unknown): string[] {
  if (isMap(v)) {
    return Object.entries(v).flatMap(([host, ips]) => (Array.isArray(ips) ? ips : [ips]).map((ip) => `${host}:${String(ip ?? '')}`));
  }
  return (Array.isArray(v) ? v : [v]).map((item) => {
    const s = String(item);
    const eq = s.indexOf('=');
    const i = eq >= 0 ? eq : s.indexOf(':');
    if (i <= 0) throw new CastError(`invalid extra host ${JSON.stringify(s)}: expected host:ip`);
    return `${s.slice(0, i)}:${s.slice(i + 1)}`;
  });
}

export function ulimits(v: unknown): Record<string, UlimitsConfig> {
  const out: Record<string, UlimitsConfig> = {};
  for (const [name, u] of Object.entries(isMap(v) ? v : {})) {
    out[name] = isMap(u) ? { soft: toInt(u.soft), hard: toInt(u.hard) } : toInt(u);
  }
  return out;
}
