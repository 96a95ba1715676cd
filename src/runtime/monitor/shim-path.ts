// Locates the berth-shim binary: BERTH_SHIM overrides; otherwise dist/bin/berth-shim under the
// package root, found by walking up from this module (the transpiled tree and the bundle sit
// at different depths, so a fixed relative path would break one of them).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../../lib/errors.js';

export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  for (let dir = dirname(from); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'berth') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    if (dirname(dir) === dir) throw new BerthError('internal', `cannot find the berth package root above ${from}`);
  }
}

export function findShimBinary(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.BERTH_SHIM;
  if (override) {
    if (!existsSync(override)) throw new BerthError('unavailable', `BERTH_SHIM=${override} does not exist`);
    return override;
  }
  const p = join(packageRoot(), 'dist', 'bin', 'berth-shim');
  if (!existsSync(p)) throw new BerthError('unavailable', `berth-shim not found at ${p} (run npm run build)`);
  return p;
}
