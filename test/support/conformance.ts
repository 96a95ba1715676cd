// Locates the shared conformance corpus (Docker's swagger, the Dockerfile parser corpus, the
// compose spec) for tests, wherever the checkout sits: BERTH_CONFORMANCE names the directory,
// else the nearest `shared/conformance` beside the repo root or above it (a worktree nests the
// repo one level deeper than the main clone). Tests skip, saying so, when it is not there.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repo root: the nearest ancestor of this module with a package.json (works from src/, test/ and dist/). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** The path of `rel` (e.g. "engine-api/v1.45.yaml") inside the conformance corpus, or undefined. */
export function conformancePath(rel: string): string | undefined {
  const env = process.env.BERTH_CONFORMANCE;
  if (env) return existsSync(join(env, rel)) ? resolve(env, rel) : undefined;
  for (let dir = dirname(repoRoot()); ; dir = dirname(dir)) {
    const p = join(dir, 'shared', 'conformance', rel);
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Why a test that needs `rel` is skipped, or false when it is there. In CI (CI=true, where a
 * copy of shared/ always sits beside the clone) a missing corpus is an error, never a skip.
 */
export function requiresConformance(rel: string): string | false {
  if (conformancePath(rel)) return false;
  const why = `conformance corpus shared/conformance/${rel} not found beside or above the repo (set BERTH_CONFORMANCE)`;
  if (process.env.CI) throw new Error(why);
  return why;
}
