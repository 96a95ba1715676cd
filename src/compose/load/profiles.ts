// Profiles and service selection. A service with profiles is enabled only when one of them is
// active ('*' activates all); naming a service on the command line activates its profiles (the
// compose spec's rule, used by loadProject). An enabled service must not need a disabled one.
// withServices is the blunter tool: it enables the named services and all they depend on.
import { ComposeFileError } from '../errors.js';
import type { Project, ServiceConfig } from '../model.js';

export function activeProfiles(flags: string[] | undefined, env: Record<string, string | undefined>): string[] {
  if (flags?.length) return [...new Set(flags)];
  return [
    ...new Set(
      (env.COMPOSE_PROFILES ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    ),
  ];
}

/** The active profiles plus those of the services named on the command line; unknown names are an error. */
export function withTargetProfiles(profiles: string[], all: Record<string, Pick<ServiceConfig, 'profiles'>>, targets: string[]): string[] {
  const out = new Set(profiles);
  for (const name of targets) {
    const s = all[name];
    if (!s) throw new ComposeFileError(`no such service: ${name}`, { path: `services.${name}` });
    for (const p of s.profiles ?? []) out.add(p);
  }
  return [...out];
}

export function isEnabledBy(service: Pick<ServiceConfig, 'profiles'>, profiles: string[]): boolean {
  if (!service.profiles?.length) return true;
  return profiles.includes('*') || service.profiles.some((p) => profiles.includes(p));
}

/** Splits all services into enabled and disabled by the active profiles. */
export function applyProfiles(all: Record<string, ServiceConfig>, profiles: string[]): Pick<Project, 'services' | 'disabledServices'> {
  const services: Record<string, ServiceConfig> = {};
  const disabledServices: Record<string, ServiceConfig> = {};
  for (const [name, s] of Object.entries(all)) (isEnabledBy(s, profiles) ? services : disabledServices)[name] = s;
  return { services, disabledServices };
}

/** Names of the enabled services (or of all, with `includeDisabled`), sorted. */
export function serviceNamesOf(project: Project, includeDisabled = false): string[] {
  return Object.keys(includeDisabled ? { ...project.services, ...project.disabledServices } : project.services).sort();
}

/** The names given plus everything they depend on, transitively; unknown names are an error. */
export function withDependencies(project: Project, names: string[]): string[] {
  const all = { ...project.disabledServices, ...project.services };
  const out = new Set<string>();
  const add = (n: string) => {
    if (out.has(n)) return;
    if (!all[n]) throw new ComposeFileError(`no such service: ${n}`, { path: `services.${n}` });
    out.add(n);
    for (const dep of Object.keys(all[n]!.depends_on ?? {})) if (all[dep]) add(dep);
  };
  names.forEach(add);
  return [...out];
}

/** The project with `names` and their dependencies enabled (other enabled services stay). */
export function withServices(project: Project, names: string[]): Project {
  const enable = new Set(withDependencies(project, names));
  const services = { ...project.services };
  const disabledServices: Record<string, ServiceConfig> = {};
  for (const [n, s] of Object.entries(project.disabledServices)) (enable.has(n) ? services : disabledServices)[n] = s;
  return { ...project, services, disabledServices };
}

/** The project restricted to `names` and their dependencies (compose's service selection). */
export function selectServices(project: Project, names: string[]): Project {
  if (!names.length) return project;
  const keep = new Set(withDependencies(project, names));
  const services: Record<string, ServiceConfig> = {};
  const disabledServices: Record<string, ServiceConfig> = { ...project.disabledServices };
  for (const [n, s] of Object.entries({ ...project.services, ...project.disabledServices })) {
    if (keep.has(n)) {
      services[n] = s;
      delete disabledServices[n];
    } else disabledServices[n] = s;
  }
  return { ...project, services, disabledServices };
}

/** An enabled service may not require a disabled one; an optional one is dropped from depends_on. */
export function checkEnabledDependencies(project: Project): Project {
  const services: Record<string, ServiceConfig> = {};
  for (const [name, s] of Object.entries(project.services)) {
    let deps = s.depends_on;
    for (const [dep, d] of Object.entries(s.depends_on ?? {})) {
      if (project.services[dep] || !project.disabledServices[dep]) continue;
      if (d.required) {
        throw new ComposeFileError(
          `service ${JSON.stringify(name)} depends on ${JSON.stringify(dep)}, which is not enabled by the active profiles; name it on the command line or give them a common profile`,
          { file: project.configFiles[0], path: `services.${name}.depends_on.${dep}` },
        );
      }
      deps = { ...deps };
      delete deps[dep];
    }
    services[name] = deps === s.depends_on ? s : { ...s, depends_on: deps! };
  }
  return { ...project, services };
}
