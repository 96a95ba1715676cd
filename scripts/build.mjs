// Build: transpile every TypeScript file to dist/ (tests run from there), bundle the two
// entry points so the CLI starts near Node's floor, and compile the C monitor.
import { build } from 'esbuild';
import { readdirSync, statSync, mkdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;

function listTs(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listTs(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const files = ['src', 'test', 'bench'].flatMap((d) => listTs(join(root, d)));
await build({
  entryPoints: files,
  outdir: join(root, 'dist'),
  outbase: root,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});

// Bundled entry points: one file each plus lazily loaded chunks (code splitting).
const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };
await build({
  entryPoints: { berth: join(root, 'src/cli/main.ts'), berthd: join(root, 'src/daemon/main.ts') },
  outdir: join(root, 'dist/bundle'),
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi'],
  banner,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
}).catch((e) => { if (!process.env.BERTH_BUILD_ALLOW_MISSING) throw e; });

// The per-container monitor is C: it must cost ~1 MB per container, which Node cannot.
const shimSrc = join(root, 'src/runtime/monitor/shim/berth-shim.c');
if (existsSync(shimSrc)) {
  mkdirSync(join(root, 'dist/bin'), { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', join(root, 'dist/bin/berth-shim'), shimSrc], { stdio: 'inherit' });
}
console.log(`built ${files.length} modules -> ${relative(process.cwd(), join(root, 'dist')) || 'dist'}`);
