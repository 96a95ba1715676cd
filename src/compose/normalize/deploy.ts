// `deploy:` with its numbers, sizes and durations typed; `resources` always present (compose-go
// prints it), swarm-only parts kept as written.
import type { DeployConfig, DeviceRequest, ResourceSpec } from '../model.js';
import { isMap, type RawMap } from '../load/tags.js';
import { listOrDict, stringList, stringMap, toBytes, toDuration, toFloat, toInt } from './cast.js';
import { at, type NormalizeContext } from './context.js';

function resources(r: unknown): ResourceSpec & { devices?: DeviceRequest[] } {
  const m = isMap(r) ? r : {};
  const out: ResourceSpec & RawMap = { ...m };
  if (m.cpus !== undefined) out.cpus = toFloat(m.cpus);
  if (m.memory !== undefined) out.memory = toBytes(m.memory);
  if (m.pids !== undefined) out.pids = toInt(m.pids);
  if (Array.isArray(m.devices)) {
    out.devices = m.devices.map((d) => {
      const x = isMap(d) ? d : {};
      const dev: DeviceRequest = { ...x, capabilities: stringList(x.capabilities) };
      if (x.count !== undefined) dev.count = x.count === 'all' ? 'all' : toInt(x.count);
      if (x.device_ids !== undefined) dev.device_ids = stringList(x.device_ids);
      if (x.options !== undefined) dev.options = Object.fromEntries(Object.entries(listOrDict(x.options)).map(([k, v]) => [k, v ?? '']));
      return dev;
    });
  }
  return out;
}

export function deployConfig(ctx: NormalizeContext, v: unknown, path: string): DeployConfig {
  const d = isMap(v) ? v : {};
  const out: DeployConfig = { ...(d as Partial<DeployConfig>), resources: {} };
  if (d.replicas !== undefined) out.replicas = at(ctx, `${path}.replicas`, () => toInt(d.replicas));
  if (d.labels !== undefined) out.labels = stringMap(d.labels);
  const r = isMap(d.resources) ? d.resources : {};
  if (r.limits !== undefined) out.resources.limits = at(ctx, `${path}.resources.limits`, () => resources(r.limits));
  if (r.reservations !== undefined) out.resources.reservations = at(ctx, `${path}.resources.reservations`, () => resources(r.reservations));
  if (isMap(d.restart_policy)) {
    const p = d.restart_policy;
    out.restart_policy = at(ctx, `${path}.restart_policy`, () => ({
      ...p,
      ...(p.delay !== undefined ? { delay: toDuration(p.delay) } : {}),
      ...(p.window !== undefined ? { window: toDuration(p.window) } : {}),
      ...(p.max_attempts !== undefined ? { max_attempts: toInt(p.max_attempts) } : {}),
    }));
  }
  return out;
}
