// Build: transpile every TypeScript file to dist/ (tests run from there), bundle the two
// entry points so the CLI starts near Node's floor, and compile the C monitor.
import { build } from 'esbuild';
import { readdirSync, statSync, mkdirSync, existsSync, rmSync, renameSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
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
  // Node 20.10+ reads `import x from './y.json' with { type: 'json' }`; esbuild's node20 means 20.0.
  supported: { 'import-attributes': true },
  sourcemap: 'inline',
  logLevel: 'warning',
});
// JSON the unbundled tree imports beside its modules (the bundles inline it): the compose schema.
for (const asset of ['src/compose/schema/compose-spec.json']) {
  mkdirSync(join(root, 'dist', asset, '..'), { recursive: true });
  copyFileSync(join(root, asset), join(root, 'dist', asset));
}

// Bundled entry points. The CLI is one CommonJS file: every command runs in a fresh process;
// Node's ESM loader spends ~3-4 ms per module file it links (one file made a cached `berth build`
// 20-30 ms faster than lazily loaded chunks), and as a classic script it can be compiled from a
// V8 code cache (bin/berth, ~9 ms less per run; one cache per command). berthd starts once, so it keeps lazily loaded
// chunks (code splitting). Chunk names are content hashes; a berthd already running may still
// load its old chunks lazily, so stale chunks are removed only once they are old.
const bundleDir = join(root, 'dist/bundle');
// esbuild escapes non-ASCII characters in code but keeps comments as written, and one non-ASCII
// character anywhere makes V8 hold the whole source as a two-byte string: berthd's 880 KB bundle
// cost 1.75 MB of heap for one arrow in a comment. Escaping what is left (comments only) keeps
// every bundle one byte per character.
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  if (/^[\x00-\x7f]*$/.test(text)) return;
  writeFileSync(
    file,
    text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  );
}
const banner = { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" };
// Two CLI bundles: berth-full.cjs has every command; berth.cjs leaves out compose (and the YAML
// parser), half of the code, which no other command uses: bin/berth picks the full one for compose.
const leanCli = {
  name: 'lean-cli',
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/compose\.js$/ }, (args) =>
      args.importer === join(root, 'src/cli/main.ts') ? { path: join(root, 'src/cli/commands/compose-relay.ts') } : undefined,
    );
  },
};
const cliBundle = (outName, plugins) =>
  build({
    entryPoints: { berth: join(root, 'src/cli/main.ts') },
    outfile: join(bundleDir, outName),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['koffi'],
    plugins,
    logLevel: 'warning',
  });
const cli = await Promise.all([cliBundle('berth.cjs', [leanCli]), cliBundle('berth-full.cjs', [])]).catch((e) => {
  if (!process.env.BERTH_BUILD_ALLOW_MISSING) throw e;
});
if (cli) {
  for (const name of ['berth.cjs', 'berth-full.cjs']) asciiOnly(join(bundleDir, name));
  // A fresh bundle invalidates the code caches (one per command); each command's first run
  // makes its own (bin/berth writes it).
  for (const name of readdirSync(bundleDir)) {
    if (/^berth(-full)?\.cjs\..*cache(\.\d+)?$/.test(name)) rmSync(join(bundleDir, name), { force: true });
  }
  rmSync(join(bundleDir, 'berth.js'), { force: true }); // the ESM bundle of earlier builds
  execFileSync(process.execPath, [join(root, 'bin/berth'), '--version'], { stdio: 'ignore' });
}
const bundled = await build({
  // The layer-unpack worker is an entry of its own (a Worker runs a file), sharing berthd's chunks.
  entryPoints: { berthd: join(root, 'src/daemon/main.ts'), 'layer-unpack-worker': join(root, 'src/store/layers/unpack-worker.ts') },
  outdir: bundleDir,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi'],
  banner,
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
}).catch((e) => {
  if (!process.env.BERTH_BUILD_ALLOW_MISSING) throw e;
});
if (bundled) {
  const current = new Set(Object.keys(bundled.metafile.outputs).map((o) => resolve(o))); // relative to the cwd
  for (const p of current) if (p.endsWith('.js')) asciiOnly(p);
  const chunkDir = join(bundleDir, 'chunks');
  for (const name of existsSync(chunkDir) ? readdirSync(chunkDir) : []) {
    const p = join(chunkDir, name);
    if (!current.has(p) && Date.now() - statSync(p).mtimeMs > 3600_000) rmSync(p, { force: true });
  }
}

// The dashboard's browser code: one ES module and one stylesheet (Preact, xterm.js and uPlot
// bundled in, never loaded from a CDN), plus index.html. berthd serves dist/dashboard from memory.
const dashboardDir = join(root, 'dist/dashboard');
rmSync(dashboardDir, { recursive: true, force: true });
await build({
  entryPoints: { app: join(root, 'dashboard/src/main.tsx') },
  outdir: join(dashboardDir, 'assets'),
  bundle: true,
  splitting: true, // the terminal and the charts load when their tab opens
  chunkNames: 'chunk-[hash]',
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(join(root, 'dashboard/index.html'), join(dashboardDir, 'index.html'));

// The registry server is its own composition root and its own process: `berth registry serve`
// spawns this bundle, so the CLI bundle never carries server code (and stays as fast to start).
await build({
  entryPoints: { 'berth-registry': join(root, 'src/registry/server/main.ts') },
  outdir: bundleDir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi'], // upload writes start writeback through libc (lib/batched-writer)
  banner,
  logLevel: 'warning',
}).catch((e) => {
  if (!process.env.BERTH_BUILD_ALLOW_MISSING) throw e;
});

// The per-container monitor is C: it must cost ~1 MB per container, which Node cannot.
const shimSrc = join(root, 'src/runtime/monitor/shim/berth-shim.c');
if (existsSync(shimSrc)) {
  mkdirSync(join(root, 'dist/bin'), { recursive: true });
  // Compiled aside and renamed over: running shims keep their inode, new spawns never see a half-written file.
  const out = join(root, 'dist/bin/berth-shim');
  // Linked statically: a shim then maps only the libc code it uses, not all of libc.so and ld.so
  // (VmRSS per running container 1.5 MiB dynamic, 0.9 MiB static; the shim uses no NSS or dlopen).
  // Without a static libc (no libc6-dev's libc.a) it is linked dynamically.
  try {
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-static', '-o', `${out}.tmp`, shimSrc], { stdio: ['ignore', 'inherit', 'pipe'] });
  } catch {
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', `${out}.tmp`, shimSrc], { stdio: 'inherit' });
  }
  renameSync(`${out}.tmp`, out);
}
console.log(`built ${files.length} modules -> ${relative(process.cwd(), join(root, 'dist')) || 'dist'}`);
