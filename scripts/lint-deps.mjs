// Enforces the import direction of ARCHITECTURE.md: a module may import only from its own
// top-level domain or from a domain of a lower rank; cli and compose only reach the daemon
// through api/client.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const src = join(root, 'src');

const rank = {
  lib: 0,
  store: 1,
  image: 2,
  runtime: 2,
  network: 2,
  volume: 2,
  'registry/client': 2.5, // pulls into the image store: above image, below its users
  container: 3,
  builder: 3,
  'registry/server': 3,
  system: 3.5, // whole-store operations across domains (system check)
  'api/routes': 4,
  'api/server': 4,
  'dashboard-server': 4, // the dashboard listener: a client of the Engine API over its socket
  daemon: 5,
};
// Client-side domains: they may import only these (api/types, lib <- api/client <- client <-
// compose <- cli; the dashboard's browser code lives outside src/ and is checked by its tsconfig).
const clientSide = {
  cli: ['lib', 'api/client', 'api/types', 'client', 'compose', 'cli', 'registry/client'],
  compose: ['lib', 'api/client', 'api/types', 'client', 'compose'],
  client: ['lib', 'api/client', 'api/types', 'client'],
  'api/client': ['lib', 'api/types', 'api/client'],
  'api/types': ['lib', 'api/types'],
};

const CLI_REGISTRY_MODULES = new Set(['registry/client/inspect.ts']);

function domainOf(file) {
  const parts = relative(src, file).split('/');
  if (['api', 'registry'].includes(parts[0]) && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return parts[0];
}
function topOf(domain) {
  return domain.split('/')[0];
}

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const problems = [];
for (const file of walk(src)) {
  if (file.endsWith('.test.ts')) continue; // tests may reach across to set up real parts
  const from = domainOf(file);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    const spec = m[1] ?? m[2];
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(src)) {
      problems.push(`${relative(root, file)}: imports outside src: ${spec}`);
      continue;
    }
    const to = domainOf(target);
    if (to === from || (topOf(to) === topOf(from) && !(from in clientSide) && !(to in clientSide))) continue;
    if (from in clientSide) {
      if (!clientSide[from].includes(to)) problems.push(`${relative(root, file)}: ${from} may not import ${to}`);
      // `manifest inspect` talks to a registry from the CLI (as docker's does); only the
      // store-free modules of registry/client may be reached from there.
      else if (to === 'registry/client' && !CLI_REGISTRY_MODULES.has(relative(src, target).replace(/\.js$/, '.ts')))
        problems.push(`${relative(root, file)}: cli may import only ${[...CLI_REGISTRY_MODULES].join(', ')} of registry/client`);
      continue;
    }
    if (to === 'api/types' && rank[from] >= 4) continue;
    const rf = rank[from] ?? rank[topOf(from)];
    const rt = rank[to] ?? rank[topOf(to)];
    if (rf === undefined || rt === undefined) {
      problems.push(`${relative(root, file)}: unknown domain ${from} -> ${to}`);
      continue;
    }
    if (rt >= rf) problems.push(`${relative(root, file)}: ${from} (rank ${rf}) may not import ${to} (rank ${rt})`);
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log('import direction: ok');
