// Settings of one enabled service that contradict each other, rejected before anything is
// created, as compose's consistency check does: two places for one value with different values,
// exclusive settings together, a mount point used twice.
import { ComposeFileError } from '../errors.js';
import type { Project, ServiceConfig } from '../model.js';

const INVALID = 'invalid compose project';

function problems(name: string, s: ServiceConfig, project: Project): [string, string][] {
  const out: [string, string][] = [];
  const where = (path: string) => `services.${name}${path ? `.${path}` : ''}`;
  const at = (path: string, message: string) => out.push([where(path), message]);
  /** A problem told as `services.web.scale: must be ...`. */
  const atPath = (path: string, problem: string) => at(path, `${where(path)}: ${problem}`);
  if (s.network_mode && s.networks && Object.keys(s.networks).length) {
    at('network_mode', `service ${name} declares mutually exclusive \`network_mode\` and \`networks\`: ${INVALID}`);
  }
  if (s.network_mode?.startsWith('service:')) {
    const target = s.network_mode.slice(8);
    if (!project.services[target]) at('network_mode', `service ${JSON.stringify(target)} not found for network_mode 'service:${target}'`);
  }
  const test = s.healthcheck?.test;
  if (test?.length && !['CMD', 'CMD-SHELL', 'NONE'].includes(test[0]!)) {
    at('healthcheck.test', 'healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"');
  }
  if (s.scale !== undefined && s.scale < 0) atPath('scale', 'must be greater than or equal to 0');
  if (s.deploy?.replicas !== undefined && s.deploy.replicas < 0) atPath('deploy.replicas', 'must be greater than or equal to 0');
  const limits = s.deploy?.resources.limits;
  const reservations = s.deploy?.resources.reservations;
  const twice: [string, unknown, string, unknown][] = [
    ['cpus', s.cpus, 'deploy.resources.limits.cpus', limits?.cpus],
    ['mem_limit', s.mem_limit, 'deploy.resources.limits.memory', limits?.memory],
    ['mem_reservation', s.mem_reservation, 'deploy.resources.reservations.memory', reservations?.memory],
    ['pids_limit', s.pids_limit, 'deploy.resources.limits.pids', limits?.pids],
  ];
  for (const [a, va, b, vb] of twice) {
    if (va !== undefined && vb !== undefined && va !== vb) atPath('', `can't set distinct values on '${a}' and '${b}': ${INVALID}`);
  }
  const replicas = s.scale ?? s.deploy?.replicas ?? 1;
  if (replicas > 1 && s.container_name) {
    atPath(
      'container_name',
      `can't set container_name and ${s.scale !== undefined ? 'scale' : 'deploy.replicas'} as container name must be unique: ${INVALID}`,
    );
  }
  (s.develop?.watch ?? []).forEach((w, i) => {
    if (!w.target && w.action !== 'rebuild' && w.action !== 'restart') atPath(`develop.watch.${i}`, `target is required for non-rebuild actions: ${INVALID}`);
  });
  const b = s.build;
  if (b?.platforms?.length && s.platform && !b.platforms.includes(s.platform)) {
    at('build.platforms', `service.build.platforms MUST include service.platform ${JSON.stringify(s.platform)}: ${INVALID}`);
  }
  for (const [ctxName, value] of Object.entries(b?.additional_contexts ?? {})) {
    if (!value.startsWith('service:')) continue;
    const target = project.services[value.slice(8)] ?? project.disabledServices[value.slice(8)];
    if (!target)
      at(
        `build.additional_contexts.${ctxName}`,
        `service ${JSON.stringify(name)} declares unknown service ${JSON.stringify(value.slice(8))} as additional contexts ${ctxName}`,
      );
    else if (!target.build)
      at(
        `build.additional_contexts.${ctxName}`,
        `service ${JSON.stringify(name)} declares non-buildable service ${JSON.stringify(value.slice(8))} as additional contexts ${ctxName}`,
      );
  }
  // One container path, one mount: tmpfs entries and volumes share the namespace.
  const mounted = new Map<string, string>();
  const mount = (target: string, place: string) => {
    const before = mounted.get(target);
    if (before) atPath(place, `target ${target} already mounted as ${where(before)}`);
    else mounted.set(target, place);
  };
  (s.tmpfs ?? []).forEach((t, i) => mount(t.split(':')[0]!, `tmpfs.${i}`));
  (s.volumes ?? []).forEach((v, i) => mount(v.target, `volumes.${i}`));
  return out;
}

export function checkConsistency(project: Project): void {
  for (const [name, s] of Object.entries(project.services)) {
    const [first] = problems(name, s, project);
    if (first) throw new ComposeFileError(first[1], { file: project.configFiles[0], path: first[0] });
  }
}
