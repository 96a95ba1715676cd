// Locates the shared conformance corpus (../shared/conformance/... from the repo root) for tests.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root: the nearest ancestor of this module with a package.json (works from src/ and dist/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

export function conformanceDir(name: string): string | undefined {
  for (const base of [repoRoot(), process.cwd()]) {
    const p = resolve(base, '..', 'shared', 'conformance', name);
    if (existsSync(p)) return p;
  }
  return undefined;
}
