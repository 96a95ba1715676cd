// `berth search` and `berth context` side by side with the docker CLI 28, both against one
// test berthd: search through GET /images/search to a /v1/search served on loopback; contexts
// made by one CLI and used by the other (they share $DOCKER_CONFIG/contexts and config.json).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, TestDaemon, expectOk, run } from '../../support/daemon.js';
import { dockerCliAvailable } from '../../support/docker-cli.js';
import { requiresRoot } from '../../support/requires-root.js';

const skip = requiresRoot('a real berthd') || (!dockerCliAvailable() && 'the docker CLI is not installed');

let d: TestDaemon;
let cfg: string;
let srv: Server;
let registry: string;
const asked: string[] = [];

const results = [
  {
    name: 'team/app',
    description: 'An application image with a description longer than forty-five characters',
    star_count: 7,
    is_official: false,
    is_automated: true,
  },
  { name: 'app', description: 'the official\nimage', star_count: 120, is_official: true, is_automated: false },
  { name: 'team/app-old', description: '', star_count: 1, is_official: false, is_automated: false },
];

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start();
  cfg = await mkdtemp(join(tmpdir(), 'berth-clictx-'));
  srv = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ num_results: results.length, query: 'app', results }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  registry = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
});

after(async () => {
  srv?.close();
  if (d) await d.stop();
  if (cfg) await rm(cfg, { recursive: true, force: true });
});

/** Both CLIs with the same config dir; `host`: DOCKER_HOST, else none (a context decides). */
function env(host?: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: cfg };
  delete e.DOCKER_HOST;
  delete e.DOCKER_CONTEXT;
  delete e.BERTH_HOST;
  if (host) e.DOCKER_HOST = host;
  return e;
}
const berth = (args: string[], host?: string) => run(process.execPath, [BERTH, ...args], { env: env(host) });
const docker = (args: string[], host?: string) => run('docker', args, { env: env(host) });

test('berth search prints what docker search prints: table, --no-trunc, --limit, --filter, --format; bad filters fail alike', { skip }, async () => {
  const cases = [
    [],
    ['--no-trunc'],
    ['--limit', '2'],
    ['--filter', 'stars=5'],
    ['--filter', 'is-official=true'],
    ['--filter', 'is-automated=true'],
    ['--format', '{{.Name}}: {{.StarCount}} {{.IsOfficial}}'],
    ['--format', 'table {{.Name}}\t{{.Description}}'],
    ['--format', 'json'],
  ];
  for (const flags of cases) {
    const args = ['search', ...flags, `${registry}/app`];
    const [b, k] = [await berth(args, d.host), await docker(args, d.host)];
    expectOk(k);
    assert.deepEqual(b, k, `search ${flags.join(' ')}`);
  }
  assert.ok(asked.includes('/v1/search?q=app&n=2'), `the limit reached the registry: ${asked.join(' ')}`);
  assert.match((await berth(['search', `${registry}/app`], d.host)).stdout, /^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL\n/);
  for (const args of [
    ['search', '--filter', 'nope=x', `${registry}/app`],
    ['search', '--filter', 'stars=many', `${registry}/app`],
  ]) {
    const [b, k] = [await berth(args, d.host), await docker(args, d.host)];
    assert.equal(k.code, 1, k.stderr);
    assert.deepEqual(b, k, args.join(' '));
  }
});

test('a context made by docker serves berth -c, one made by berth serves docker --context; ls, inspect, use, rm agree', { skip }, async () => {
  const vol = `clictx-${process.pid}`;
  expectOk(await berth(['volume', 'create', vol], d.host));
  try {
    const made = await docker(['context', 'create', 'from-docker', '--description', 'made by docker', '--docker', `host=${d.host}`]);
    expectOk(made);
    const bmade = await berth(['context', 'create', 'from-berth', '--description', 'made by berth', '--docker', `host=${d.host}`]);
    assert.deepEqual(
      bmade,
      made.stdout === 'from-docker\n' ? { ...made, stdout: 'from-berth\n', stderr: made.stderr.replace('from-docker', 'from-berth') } : made,
    );
    // the same meta.json bytes, as docker writes them
    const inspected = JSON.parse(expectOk(await docker(['context', 'inspect', 'from-berth'])).stdout) as { Storage: { MetadataPath: string } }[];
    const meta = JSON.parse(await readFile(join(inspected[0]!.Storage.MetadataPath, 'meta.json'), 'utf8'));
    assert.deepEqual(meta, { Name: 'from-berth', Metadata: { Description: 'made by berth' }, Endpoints: { docker: { Host: d.host, SkipTLSVerify: false } } });

    const bps = expectOk(await berth(['-c', 'from-docker', 'ps']));
    assert.equal(bps.stdout, expectOk(await docker(['-H', d.host, 'ps'])).stdout);
    assert.equal(expectOk(await berth(['--context', 'from-docker', 'volume', 'ls', '-q'])).stdout, `${vol}\n`);
    const kps = expectOk(await docker(['--context', 'from-berth', 'ps']));
    assert.equal(kps.stdout, bps.stdout);
    assert.equal(expectOk(await docker(['--context', 'from-berth', 'volume', 'ls', '-q'])).stdout, `${vol}\n`);

    for (const args of [
      ['context', 'inspect', 'from-docker', 'from-berth'],
      ['context', 'inspect', '-f', '{{.Name}} {{.Endpoints.docker.Host}}', 'from-berth'],
      ['context', 'ls', '--format', 'json'],
    ]) {
      const [b, k] = [await berth(args, d.host), await docker(args, d.host)];
      assert.deepEqual(b, k, args.join(' '));
    }
    // the default context stands for DOCKER_HOST: with it set, both list the same table and warning
    assert.deepEqual(await berth(['context', 'ls'], d.host), await docker(['context', 'ls'], d.host));

    // `context use` by one CLI is the current context of the other, with no DOCKER_HOST
    expectOk(await berth(['context', 'use', 'from-docker']));
    assert.equal(expectOk(await docker(['context', 'show'])).stdout, 'from-docker\n');
    assert.equal(expectOk(await berth(['volume', 'ls', '-q'])).stdout, `${vol}\n`);
    assert.equal(expectOk(await berth(['context', 'ls', '-q'])).stdout, 'default\nfrom-berth\nfrom-docker\n');
    assert.match(expectOk(await berth(['context', 'ls'])).stdout, /^from-docker \*\s+made by docker\s/m);
    // DOCKER_CONTEXT beats config.json; DOCKER_HOST and -H beat both; -H with -c is an error
    assert.equal(expectOk(await run(process.execPath, [BERTH, 'context', 'show'], { env: { ...env(), DOCKER_CONTEXT: 'from-berth' } })).stdout, 'from-berth\n');
    assert.equal(expectOk(await berth(['context', 'show'], 'unix:///nonexistent.sock')).stdout, 'default\n');
    const both = await berth(['-H', d.host, '-c', 'from-docker', 'ps']);
    assert.deepEqual([both.code, both.stderr], [1, 'conflicting options: cannot specify both --host and --context\n']);
    const missing = await berth(['-c', 'nosuch', 'ps']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Failed to initialize: unable to resolve docker endpoint: context "nosuch": context not found/);

    for (const args of [
      ['context', 'rm', 'from-docker'],
      ['context', 'rm', 'default'],
      ['context', 'rm', 'nosuch'],
      ['context', 'create', 'from-berth', '--docker', 'host=unix:///x'],
      ['context', 'create', 'bad name'],
      ['context', 'use', 'nosuch'],
    ]) {
      const [b, k] = [await berth(args), await docker(args)];
      assert.deepEqual(b, k, args.join(' '));
    }
    // export by one CLI, import by the other (docker's own exports stop short of tar's end blocks)
    const viaBerth = join(cfg, 'b.dockercontext');
    expectOk(await berth(['context', 'export', 'from-docker', viaBerth]));
    expectOk(await docker(['context', 'import', 'imp-docker', viaBerth]));
    const kexp = await run('docker', ['context', 'export', 'from-berth', '-'], { env: env() });
    expectOk(kexp);
    expectOk(await run(process.execPath, [BERTH, 'context', 'import', 'imp-berth', '-'], { env: env(), input: kexp.stdout }));
    const seen = async (cli: typeof berth, name: string) => {
      const [i] = JSON.parse(expectOk(await cli(['context', 'inspect', name])).stdout) as { Metadata: unknown; Endpoints: unknown }[];
      return [i!.Metadata, i!.Endpoints];
    };
    assert.deepEqual(await seen(berth, 'imp-docker'), await seen(docker, 'from-docker'));
    assert.deepEqual(await seen(docker, 'imp-berth'), await seen(berth, 'from-berth'));
    expectOk(await berth(['context', 'rm', 'imp-docker', 'imp-berth']));
    // rm -f of the context in use goes back to the default; docker sees it gone
    assert.equal(expectOk(await berth(['context', 'rm', '-f', 'from-docker', 'from-berth'])).stdout, 'from-docker\nfrom-berth\n');
    assert.equal(expectOk(await docker(['context', 'ls', '-q'])).stdout, 'default\n');
    assert.equal(expectOk(await docker(['context', 'show'])).stdout, 'default\n');
  } finally {
    await berth(['volume', 'rm', vol], d.host);
  }
});
