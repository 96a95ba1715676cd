// The dashboard's first load stays light: the entry script, every chunk it imports statically
// (not those its tabs load on demand: the terminal and the charts) and the stylesheet, gzipped,
// under 300 KB. Reads the bundle `npm run build` wrote to dist/dashboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packageRoot } from '../runtime/monitor/shim-path.js';

const assets = join(packageRoot(), 'dist', 'dashboard', 'assets');
const skip = existsSync(join(assets, 'app.js')) ? false : 'the dashboard is not built (npm run build)';

/** The files a page loads before it runs: app.js and its static imports, transitively. */
export function firstLoad(dir: string, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    const text = readFileSync(join(dir, f), 'utf8');
    // esbuild's static imports: import{a as b}from"./chunk-X.js" or import"./chunk-X.js"; import("...") is lazy
    for (const m of text.matchAll(/import\s*(?:\{[^}]*\}\s*from\s*|\*\s*as\s*\w+\s*from\s*|[\w$]+\s*from\s*)?"\.\/([^"]+\.js)"/g)) visit(m[1]!);
  };
  visit(entry);
  return [...seen];
}

test('the first load is under 300 KB of JavaScript gzipped', { skip }, () => {
  const files = firstLoad(assets, 'app.js');
  const gz = (f: string) => gzipSync(readFileSync(join(assets, f)), { level: 9 }).length;
  const js = files.reduce((n, f) => n + gz(f), 0);
  process.stdout.write(`# first load: ${files.join(', ')} = ${(js / 1024).toFixed(1)} KiB gzipped JS (+ ${(gz('app.css') / 1024).toFixed(1)} KiB CSS)\n`);
  assert.ok(files.length >= 1);
  assert.ok(js < 300 * 1024, `${js} bytes of gzipped JS on first load`);
  // the terminal (xterm.js) is the largest library: it must stay out of the first load
  for (const f of files) assert.doesNotMatch(readFileSync(join(assets, f), 'utf8'), /xterm-helper-textarea/, `${f} carries xterm.js`);
});
