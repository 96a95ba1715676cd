// Runs every benchmark in dist/bench (top level only; dist/bench/support holds helpers) one
// after the other, so they never compete for the machine's 2 cores. Each prints its own table;
// a failing one is reported and the rest still run.
// Usage: node scripts/run-bench.mjs [name-substring]   (after npm run build)
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = new URL('../dist/bench/', import.meta.url).pathname;
if (!existsSync(dir)) {
  console.error('dist/bench is missing: run npm run build first');
  process.exit(1);
}
const filter = process.argv[2];
const files = readdirSync(dir)
  .filter((n) => n.endsWith('.js') && (!filter || n.includes(filter)))
  .sort();
const failed = [];
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const t0 = Date.now();
  // A whole benchmark is bounded too: each bounds its own loops, this catches a wedged one.
  const r = spawnSync(process.execPath, [join(dir, f)], { stdio: 'inherit', timeout: 45 * 60_000, killSignal: 'SIGINT' });
  if (r.status !== 0) failed.push(f);
  console.log(`=== ${f}: ${r.status === 0 ? 'done' : `FAILED (${r.signal ?? r.status})`} in ${((Date.now() - t0) / 1000).toFixed(1)} s ===`);
}
if (failed.length) console.log(`\nfailed: ${failed.join(', ')}`);
process.exit(failed.length ? 1 : 0);
