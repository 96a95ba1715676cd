// Runs node:test over the transpiled tests. "unit" = tests beside the code in src/;
// "all" adds the root-only integration and compat tests under test/.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const which = process.argv[2] ?? 'all';
const filter = process.argv[3];
function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.js') ? [p] : [];
  });
}
let files = walk(join(root, 'dist/src'));
if (which !== 'unit') files.push(...walk(join(root, 'dist/test')));
if (filter) files = files.filter((f) => f.includes(filter));
files.sort();
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
