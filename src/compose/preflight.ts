// Checks `up` makes before it builds, pulls or creates anything, so a project that cannot come up
// leaves nothing behind: host ports two of its containers would both publish (pure), and
// external networks and volumes that do not exist (one inspect each).
import { isApiError } from '../api/client/errors.js';
import type { ComposeApi } from './api.js';
import { networkName, serviceNetworks, volumeName } from './container-spec.js';
import { ComposeFileError } from './errors.js';
import type { Project } from './model.js';
import { replicasOf } from './reconcile.js';

function portRange(published: string): [number, number] {
  const [a, b] = published.split('-').map(Number) as [number, number?];
  return [a, b ?? a];
}

/** Host ports the selected services would publish twice (a fixed port on two services, or on several replicas). */
export function portClashes(project: Project, services: string[], scale?: Record<string, number>): ComposeFileError[] {
  const taken = new Map<string, string>();
  const errors: ComposeFileError[] = [];
  const file = project.configFiles[0];
  for (const name of services) {
    const replicas = replicasOf(project, name, scale);
    for (const [i, p] of (project.services[name]!.ports ?? []).entries()) {
      if (!p.published) continue;
      const [lo, hi] = portRange(p.published);
      // A range gives each replica its own port; a single port can serve one container only.
      if (lo === hi && replicas > 1) {
        errors.push(
          new ComposeFileError(`service "${name}" publishes host port ${lo} and has ${replicas} replicas: only one container can bind it`, {
            file,
            path: `services.${name}.ports.${i}`,
          }),
        );
        continue;
      }
      if (lo !== hi) continue;
      const ip = p.host_ip || '0.0.0.0';
      const key = `${p.protocol || 'tcp'}/${lo}`;
      for (const [k, owner] of taken) {
        const [kip, kkey] = k.split(' ') as [string, string];
        if (kkey === key && (kip === ip || kip === '0.0.0.0' || ip === '0.0.0.0')) {
          errors.push(
            new ComposeFileError(`services "${owner}" and "${name}" both publish host port ${lo}/${p.protocol || 'tcp'}`, {
              file,
              path: `services.${name}.ports.${i}`,
            }),
          );
        }
      }
      taken.set(`${ip} ${key}`, name);
    }
  }
  return errors;
}

/** External networks and volumes the selected services use must exist already. */
export async function checkExternals(api: ComposeApi, project: Project, services: string[]): Promise<void> {
  const nets = new Set(services.flatMap((s) => serviceNetworks(project.services[s]!)).filter((k) => project.networks[k]?.external));
  const vols = new Set(
    services.flatMap((s) =>
      (project.services[s]!.volumes ?? []).filter((v) => v.type === 'volume' && v.source && project.volumes[v.source]?.external).map((v) => v.source!),
    ),
  );
  const missing = async (f: () => Promise<unknown>) => {
    try {
      await f();
      return false;
    } catch (e) {
      if (isApiError(e, 404)) return true;
      throw e;
    }
  };
  for (const key of nets) {
    const name = networkName(project, key);
    if (await missing(() => api.networkInspect(name)))
      throw new ComposeFileError(`network ${name} declared as external, but could not be found`, { file: project.configFiles[0], path: `networks.${key}` });
  }
  for (const key of vols) {
    const name = volumeName(project, key);
    if (await missing(() => api.volumeInspect(name)))
      throw new ComposeFileError(`external volume "${name}" not found`, { file: project.configFiles[0], path: `volumes.${key}` });
  }
}
