// Consistency checks over the normalised project, run before anything is created: references
// between services and to top-level resources, dependency cycles, and build inputs on disk.
// Messages follow compose's (`service "web" refers to undefined volume data: invalid compose project`).
import { statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ComposeFileError } from '../errors.js';
import type { Project, ServiceConfig } from '../model.js';
import { isRemoteContext } from './rebase.js';

const INVALID = 'invalid compose project';

function fail(project: Project, path: string, message: string): never {
  throw new ComposeFileError(message, { file: project.configFiles[0], path });
}

function exists(p: string, kind: 'file' | 'dir'): boolean {
  try {
    const st = statSync(p);
    return kind === 'dir' ? st.isDirectory() : st.isFile();
  } catch {
    return false;
  }
}

/**
 * References of the enabled services (compose checks only those: a service the profiles leave out
 * may refer to things that exist only where its profile is used).
 */
export function checkReferences(project: Project): void {
  const all: Record<string, ServiceConfig> = { ...project.disabledServices, ...project.services };
  for (const [name, s] of Object.entries(project.services)) {
    const path = `services.${name}`;
    const undefinedRef = (kind: string, ref: string, at: string): never =>
      fail(project, `${path}.${at}`, `service ${JSON.stringify(name)} refers to undefined ${kind} ${ref}: ${INVALID}`);
    for (const dep of Object.keys(s.depends_on ?? {})) {
      if (!all[dep]) fail(project, `${path}.depends_on`, `service ${JSON.stringify(name)} depends on undefined service ${JSON.stringify(dep)}: ${INVALID}`);
    }
    for (const net of Object.keys(s.networks ?? {})) if (!project.networks[net]) undefinedRef('network', net, 'networks');
    (s.volumes ?? []).forEach((v, i) => {
      if (v.type === 'volume' && v.source && !project.volumes[v.source]) undefinedRef('volume', v.source, `volumes.${i}`);
    });
    (s.secrets ?? []).forEach((r, i) => project.secrets[r.source] || undefinedRef('secret', r.source, `secrets.${i}`));
    (s.configs ?? []).forEach((r, i) => project.configs[r.source] || undefinedRef('config', r.source, `configs.${i}`));
    (s.build?.secrets ?? []).forEach((r, i) => project.secrets[r.source] || undefinedRef('secret', r.source, `build.secrets.${i}`));
    if (!s.image && !s.build && s.provider === undefined)
      fail(project, path, `service ${JSON.stringify(name)} has neither an image nor a build context specified: ${INVALID}`);
  }
  checkCycles(project, project.services);
}

function checkCycles(project: Project, all: Record<string, ServiceConfig>): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...chain.slice(chain.indexOf(name)), name];
      fail(project, `services.${name}.depends_on`, `dependency cycle detected: ${cycle.join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const dep of Object.keys(all[name]?.depends_on ?? {})) if (all[dep]) visit(dep, [...chain, name]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(all).sort()) visit(name, []);
}

/** Build inputs of the enabled services: the context folder and, unless inline, the Dockerfile. */
export function checkBuildInputs(project: Project): void {
  for (const [name, s] of Object.entries(project.services)) {
    const b = s.build;
    if (!b || isRemoteContext(b.context)) continue;
    if (!exists(b.context, 'dir')) {
      fail(project, `services.${name}.build.context`, `build path ${b.context} either does not exist, is not accessible, or is not a valid URL.`);
    }
    if (b.dockerfile_inline !== undefined) continue;
    const dockerfile = isAbsolute(b.dockerfile) ? b.dockerfile : join(b.context, b.dockerfile);
    if (!exists(dockerfile, 'file'))
      fail(project, `services.${name}.build.dockerfile`, `service ${JSON.stringify(name)}: Dockerfile ${dockerfile} does not exist`);
  }
}
