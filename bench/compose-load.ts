// Compose loading in a fresh process, as `berth compose ...` pays it on every command: a small
// compose file (3 services, .env, override file) loaded into the canonical model and printed as
// JSON, from a CommonJS bundle like the CLI's, run plain and from a V8 code cache (as bin/berth
// does), against Node's own start-up; and the real `berth compose config` against `berth --version`.
// Also the in-process split: module evaluation vs the first loadProject (YAML, interpolation,
// schema check, normalisation).
// Needs no daemon. Run: npm run build && node dist/bench/compose-load.js
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = 30;
const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'berth-bench-compose-'));
try {
  const project = join(work, 'app');
  mkdirSync(project);
  writeFileSync(
    join(project, 'compose.yaml'),
    `
services:
  web:
    image: nginx:\${TAG:-latest}
    ports: ["8080:80", "127.0.0.1:8443:443"]
    volumes: ["./html:/usr/share/nginx/html:ro", "cache:/var/cache/nginx"]
    environment: [MODE=prod, DEBUG]
    depends_on: {api: {condition: service_healthy}}
  api:
    image: node:20
    command: node server.js --port 3000
    healthcheck: {test: ["CMD", "curl", "-f", "http://localhost:3000"], interval: 10s}
    depends_on: [db]
  db:
    image: postgres:16
    volumes: [dbdata:/var/lib/postgresql/data]
volumes: {cache: {}, dbdata: {}}
`,
  );
  writeFileSync(join(project, 'compose.override.yaml'), 'services: {web: {environment: {EXTRA: "1"}}}\n');
  writeFileSync(join(project, '.env'), 'TAG=1.27\n');

  const entry = join(work, 'entry.ts');
  writeFileSync(
    entry,
    `
import { loadProject } from ${JSON.stringify(join(root, 'src/compose/load/index.ts'))};
import { configToJson } from ${JSON.stringify(join(root, 'src/compose/config-output.ts'))};
const t0 = (globalThis as { __t0?: number }).__t0 ?? 0;
const t1 = performance.now();
loadProject({ env: process.env, cwd: ${JSON.stringify(project)} }).then((p) => {
  const out = configToJson(p);
  const t2 = performance.now();
  if (process.env.SPLIT) console.log(JSON.stringify({ modules: t1 - t0, load: t2 - t1, bytes: out.length }));
  if (!out.includes('nginx:1.27')) throw new Error('unexpected output');
});
`,
  );
  const bundle = join(work, 'compose-load.cjs');
  // The banner marks when the bundle starts evaluating: the entry's body runs after its imports.
  await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
    banner: { js: 'globalThis.__t0 = performance.now();' },
  });
  const loader = join(work, 'cached.mjs');
  // bin/berth's code-cache loading, reduced: compile from the cache, write it after the first run.
  writeFileSync(
    loader,
    `
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
const bundle = ${JSON.stringify(bundle)};
const cacheFile = bundle + '.cache';
const cachedData = existsSync(cacheFile) ? readFileSync(cacheFile) : undefined;
const script = new vm.Script('(function (exports, require, module) {' + readFileSync(bundle, 'utf8') + '\\n})', { filename: bundle, cachedData });
if (!cachedData || script.cachedDataRejected) process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
const module = { exports: {} };
script.runInThisContext()(module.exports, createRequire(bundle), module);
`,
  );

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // Wall time suffers when other work shares the 2 cores; the process's own CPU time (user+sys,
  // reported by a preloaded exit hook) much less. Variants are interleaved so drift hits all alike.
  const cpuHook = join(work, 'cpu.cjs');
  writeFileSync(
    cpuHook,
    'process.on("exit", () => { const r = process.resourceUsage(); process.stderr.write("cpu " + (r.userCPUTime + r.systemCPUTime) / 1000 + "\\n"); });',
  );
  // The real CLI too, from its code cache (bin/berth): `compose config` against `--version`.
  const berth = join(root, 'bin/berth');
  const variants: Record<string, string[]> = {
    floor: ['-e', '0'],
    plain: [bundle],
    cached: [loader],
    version: [berth, '--version'],
    config: [berth, 'compose', '--project-directory', project, 'config', '--format', 'json'],
  };
  const wall: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  spawnSync(process.execPath, [berth, '--version']); // (re)writes the CLI's code cache
  spawnSync(process.execPath, [loader]); // writes the code cache
  for (let i = 0; i < RUNS; i++) {
    for (const [name, args] of Object.entries(variants)) {
      const t = performance.now();
      const r = spawnSync(process.execPath, ['-r', cpuHook, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: project });
      if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      wall[name]!.push(performance.now() - t);
      cpu[name]!.push(Number(/cpu ([\d.]+)/.exec(r.stderr.toString())?.[1]));
    }
  }
  const splits = Array.from({ length: 10 }, () => JSON.parse(spawnSync(process.execPath, [bundle], { env: { ...process.env, SPLIT: '1' } }).stdout.toString()));
  const kb = Math.round(readFileSync(bundle).length / 1024);
  const line = (label: string, name: string) => {
    const w = median(wall[name]!);
    const c = median(cpu[name]!);
    const extra = name === 'floor' ? '' : `  (+${(w - median(wall.floor!)).toFixed(1)} wall, +${(c - median(cpu.floor!)).toFixed(1)} cpu over the floor)`;
    console.log(`  ${label.padEnd(34)} ${w.toFixed(1)} ms wall, ${c.toFixed(1)} ms cpu${extra}`);
  };
  console.log(`compose load in a fresh process, medians of ${RUNS} (bundle ${kb} KiB)`);
  line('node -e 0 (floor)', 'floor');
  line('load + config json, plain bundle', 'plain');
  line('same, from a V8 code cache', 'cached');
  line('berth --version (CLI floor)', 'version');
  line('berth compose config --format json', 'config');
  const over = (k: string) => (median(cpu[k]!) - median(cpu.version!)).toFixed(1);
  console.log(`  => compose config costs +${over('config')} ms cpu over berth --version`);
  console.log(
    `  in process (plain bundle): module evaluation ${median(splits.map((s) => s.modules)).toFixed(1)} ms, first loadProject + JSON ${median(splits.map((s) => s.load)).toFixed(1)} ms`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
