// What `compose config` prints: the canonical model of the enabled services with every key
// sorted (stable output to diff), and the `--services`/`--volumes`/... listings.
import { stringify } from 'yaml';
import { canonicalize } from './canonical-json.js';
import type { Project } from './model.js';

/** The printable document: name, enabled services, resources; empty sections left out. */
export function configDocument(project: Project): Record<string, unknown> {
  const doc: Record<string, unknown> = { name: project.name, services: project.services };
  for (const key of ['networks', 'volumes', 'secrets', 'configs'] as const) if (Object.keys(project[key]).length) doc[key] = project[key];
  Object.assign(doc, project.extensions);
  return canonicalize(doc) as Record<string, unknown>;
}

export function configToJson(project: Project): string {
  return `${JSON.stringify(configDocument(project), null, 2)}\n`;
}

export function configToYaml(project: Project): string {
  // No anchors/aliases for repeated values, no folding of long lines: print what was meant.
  return stringify(configDocument(project), { aliasDuplicateObjects: false, lineWidth: 0 });
}

export const volumeNamesOf = (p: Project) => Object.keys(p.volumes).sort();
export const networkNamesOf = (p: Project) => Object.keys(p.networks).sort();
export const secretNamesOf = (p: Project) => Object.keys(p.secrets).sort();
export const configNamesOf = (p: Project) => Object.keys(p.configs).sort();
/** The active profiles plus every profile a service declares, sorted (`config --profiles`). */
export const profileNamesOf = (p: Project) => [...new Set(Object.values({ ...p.services, ...p.disabledServices }).flatMap((s) => s.profiles ?? []))].sort();
/** `config --images`: each enabled service's image, or the name compose gives its build. */
export const imageNamesOf = (p: Project) =>
  Object.entries(p.services)
    .map(([name, s]) => s.image ?? `${p.name}-${name}`)
    .sort();
