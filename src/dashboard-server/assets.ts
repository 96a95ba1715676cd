// The dashboard's browser bundle (built by scripts/build.mjs into dist/dashboard), read once at
// start: a handful of files, served from memory with the right types.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';

export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Every file under `dir` by its URL path ("/index.html", "/assets/app.js"); empty when not built. */
export function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  if (!existsSync(dir)) return out;
  const walk = (d: string, depth: number): void => {
    if (depth > 4) return; // the bundle is flat; a deep tree is not ours
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, depth + 1);
      else if (TYPES[extname(name)] && !name.endsWith('.map')) out.set(`/${relative(dir, p)}`, { body: readFileSync(p), type: TYPES[extname(name)]! });
    }
  };
  walk(dir, 0);
  return out;
}
