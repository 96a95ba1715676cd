// Sources of the secrets and configs the enabled services use, checked before anything is
// created: a `file` must exist, an `environment` variable must be set. External ones live in the
// engine (swarm), which berth does not have; they are left to the executor to refuse.
import { statSync } from 'node:fs';
import { ComposeFileError } from '../errors.js';
import type { FileObjectConfig, Project } from '../model.js';

type Kind = 'secrets' | 'configs';

function usedBy(project: Project, kind: Kind): Set<string> {
  const used = new Set<string>();
  for (const s of Object.values(project.services)) {
    for (const ref of s[kind] ?? []) used.add(ref.source);
    if (kind === 'secrets') for (const ref of s.build?.secrets ?? []) used.add(ref.source);
  }
  return used;
}

export function checkFileObjectSources(project: Project): void {
  for (const kind of ['secrets', 'configs'] as const) {
    const singular = kind.slice(0, -1);
    for (const name of usedBy(project, kind)) {
      const obj = project[kind][name];
      if (!obj || obj.external) continue;
      const where = { file: project.configFiles[0], path: `${kind}.${name}` };
      if (obj.file !== undefined) {
        let ok = false;
        try {
          ok = statSync(obj.file).isFile() || statSync(obj.file).isDirectory();
        } catch {
          ok = false;
        }
        if (!ok) throw new ComposeFileError(`${singular} ${JSON.stringify(name)}: file ${obj.file} not found`, where);
      }
      if (obj.environment !== undefined && project.environment[obj.environment] === undefined) {
        throw new ComposeFileError(`${singular} ${JSON.stringify(name)}: environment variable ${obj.environment} is not set`, where);
      }
    }
  }
}

/** The bytes of a non-external secret or config: its file, its variable's value or its content. */
export function fileObjectContent(project: Project, obj: FileObjectConfig, read: (path: string) => Buffer): Buffer {
  if (obj.file !== undefined) return read(obj.file);
  if (obj.environment !== undefined) return Buffer.from(project.environment[obj.environment] ?? '');
  return Buffer.from(obj.content ?? '');
}
