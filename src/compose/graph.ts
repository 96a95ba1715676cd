// The service dependency graph: depends_on, plus the implicit edges of `service:x` references
// (network_mode, ipc, pid, volumes_from) and links, which need x's container to exist first.
import { ComposeFileError } from './errors.js';
import type { Project, ServiceConfig } from './model.js';

export function dependenciesOf(s: ServiceConfig): string[] {
  const deps = new Set(Object.keys(s.depends_on ?? {}));
  for (const mode of [s.network_mode, s.ipc, s.pid]) if (mode?.startsWith('service:')) deps.add(mode.slice(8));
  for (const v of s.volumes_from ?? []) if (!v.startsWith('container:')) deps.add(v.replace(/:(ro|rw)$/, ''));
  for (const l of s.links ?? []) deps.add(l.split(':')[0]!);
  return [...deps];
}

/** Services in an order where each comes after its dependencies (names sorted within a level). */
export function dependencyOrder(project: Project, names: string[] = Object.keys(project.services)): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    const st = state.get(name);
    if (st === 'done') return;
    if (st === 'visiting') throw new ComposeFileError(`dependency cycle detected: ${[...path, name].join(' -> ')}`);
    const s = project.services[name];
    if (!s) return; // disabled or unknown: the loader reported it if it mattered
    state.set(name, 'visiting');
    for (const d of dependenciesOf(s).sort()) visit(d, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const n of [...names].sort()) visit(n, []);
  return order;
}

/** The named services and, transitively, everything they depend on. */
export function withDependencies(project: Project, names: string[]): string[] {
  const out = new Set<string>();
  const add = (n: string) => {
    if (out.has(n) || !project.services[n]) return;
    out.add(n);
    for (const d of dependenciesOf(project.services[n]!)) add(d);
  };
  names.forEach(add);
  return dependencyOrder(project, [...out]);
}

/** Services that depend (directly or not) on any of `names`: stopped first, started last. */
export function dependents(project: Project, names: string[]): string[] {
  const out = new Set<string>();
  let grew = true;
  const targets = new Set(names);
  while (grew) {
    grew = false;
    for (const [n, s] of Object.entries(project.services)) {
      if (out.has(n) || targets.has(n)) continue;
      if (dependenciesOf(s).some((d) => targets.has(d) || out.has(d))) {
        out.add(n);
        grew = true;
      }
    }
  }
  return [...out];
}
