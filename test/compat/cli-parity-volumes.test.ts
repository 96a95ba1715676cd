// `berth volume …` and `berth network …` against the real docker CLI 28 as the oracle: one
// berthd, the same state, the same command line; stdout, stderr and the exit code must be equal
// ("berth" normalised to "docker"). Commands that change state run once per side on per-side
// objects. Network cases that need the daemon skip, saying so, while berthd answers 404 for
// /networks; their client-side behaviour (help, usage and validation errors) is compared always.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { BERTH, TestDaemon, run, type RunResult } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';

function hasDocker(): boolean {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = requiresRoot() || (!hasDocker() ? 'needs the docker CLI on the PATH' : false);
let d: TestDaemon;
/** Why network cases skip (berthd without /networks), or false. */
let networksMissing: string | false = false;

const ok = (r: RunResult) => {
  assert.equal(r.code, 0, r.stderr);
  return r;
};
const normalise = (s: string, map: [string, string][] = []) => {
  let out = s.replace(/(?<![\w/.-])berth(?![\w.-])/g, 'docker');
  for (const [a, b] of map) out = out.split(a).join(b);
  return out;
};
function berth(args: string[], input?: string): Promise<RunResult> {
  return run(process.execPath, [BERTH, ...args], { input, env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') } });
}
async function compare(args: string[], opts: { berthArgs?: string[]; input?: string; map?: [string, string][] } = {}): Promise<void> {
  const dr = await d.docker(args, { input: opts.input });
  const br = await berth(opts.berthArgs ?? args, opts.input);
  assert.deepEqual(
    { code: br.code, stdout: normalise(br.stdout, opts.map), stderr: normalise(br.stderr, opts.map) },
    dr,
    `berth ${(opts.berthArgs ?? args).join(' ')}`,
  );
}

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
  for (const v of ['V1', 'v10', 'v9', 'shared']) ok(await d.berth(['volume', 'create', v]));
  // one label each: docker joins {{.Labels}} in Go's random map order
  ok(await d.berth(['volume', 'create', '--label', 'a=b', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'lab']));
  ok(await d.berth(['volume', 'create', '--label', 'com.x-y=1', 'lab2']));
  ok(await d.berth(['run', '-d', '--name', 'user', '-v', 'inuse:/data', 'busybox', 'sleep', '1000']));
  const probe = await d.docker(['network', 'ls']);
  if (probe.code !== 0) networksMissing = `berthd does not serve /networks yet (docker network ls: ${probe.stderr.trim()})`;
});

after(async () => {
  if (d) await d.stop();
});

const VOLUME_READ_ONLY: string[][] = [
  ['volume', 'ls'],
  ['volume', 'list', '-q'],
  ['volume', 'ls', '--format', 'json'],
  ['volume', 'ls', '--format', 'table {{.Name}}\t{{.Driver}}\t{{.Scope}}\t{{.Labels}}\t{{.Links}}\t{{.Size}}\t{{.Label "com.x-y"}}'],
  ['volume', 'ls', '--format', '{{.Name}} {{.Mountpoint}} {{.Status}} {{.Group}} {{.Availability}}'],
  ['volume', 'ls', '-f', 'dangling=true'],
  ['volume', 'ls', '-f', 'dangling=false'],
  ['volume', 'ls', '-f', 'name=v'],
  ['volume', 'ls', '-f', 'label=a'],
  ['volume', 'ls', '-f', 'label=a=b', '-f', 'driver=local'],
  ['volume', 'ls', '-f', 'Driver= local '],
  ['volume', 'ls', '-f', 'bogus=1'],
  ['volume', 'ls', '-f', 'bad'],
  ['volume', 'ls', '-f', 'dangling=maybe'],
  ['volume', 'ls', 'x'],
  ['volume', 'inspect', 'lab'],
  ['volume', 'inspect', '-f', '{{.Name}} {{.Labels}} {{.Options}}', 'lab', 'nosuch', 'v9'],
  ['volume', 'inspect', '-f', 'json', 'lab', 'v9'],
  ['volume', 'inspect', 'nosuch'],
  ['volume', 'inspect'],
  ['volume', 'rm', 'inuse'],
  ['volume', 'rm', 'nosuch', 'nosuch2'],
  ['volume', 'rm'],
  ['volume', 'create', 'a', 'b'],
  ['volume', 'create', '--label', '=x'],
  ['volume', 'create', 'x', '--name', 'y'],
  ['volume', 'create', '-d', 'nosuch'],
  ['volume', 'create', '-o', 'bogus=1', 'badopt'],
  ['volume', 'prune', 'a'],
  ['volume', 'prune', '-f', '--filter', 'until=1h'],
  ['volume', '--help'],
  ['volume'],
  ['volume', 'nosuch'],
  ['help', 'volume'],
  ['volume', 'create', '--help'],
  ['volume', 'ls', '--help'],
  ['volume', 'list', '--help'],
  ['volume', 'inspect', '--help'],
  ['volume', 'rm', '--help'],
  ['volume', 'remove', '--help'],
  ['volume', 'prune', '--help'],
  ['volume', 'ls', '-h'],
];
for (const args of VOLUME_READ_ONLY) test(`parity: docker ${args.join(' ')}`, { skip }, () => compare(args));

/** Needs no daemon route: help, usage and client-side validation. */
const NETWORK_CLIENT_ONLY: string[][] = [
  ['network', '--help'],
  ['network'],
  ['network', 'nosuch'],
  ['help', 'network'],
  ['network', 'create', '--help'],
  ['network', 'ls', '--help'],
  ['network', 'list', '--help'],
  ['network', 'inspect', '--help'],
  ['network', 'rm', '--help'],
  ['network', 'remove', '--help'],
  ['network', 'prune', '--help'],
  ['network', 'connect', '--help'],
  ['network', 'disconnect', '--help'],
  ['network', 'create'],
  ['network', 'create', 'a', 'b'],
  ['network', 'ls', 'x'],
  ['network', 'ls', '-f', 'bad'],
  ['network', 'rm'],
  ['network', 'inspect'],
  ['network', 'connect', 'n'],
  ['network', 'disconnect', 'n'],
  ['network', 'prune', 'x'],
  ['network', 'create', '--label', '=x', 'n'],
  ['network', 'create', '--gateway', '10.0.0.1', 'n'],
  ['network', 'create', '--subnet', '10.0.0.0/8', '--subnet', '10.1.0.0/16', 'n'],
  ['network', 'create', '--subnet', '10.0.0.0/16', '--ip-range', '11.0.0.0/24', 'n'],
  ['network', 'create', '--subnet', 'bad', '--gateway', '10.0.0.1', 'n'],
  ['network', 'connect', '--link', 'a:b:c', 'n', 'c'],
  ['network', 'connect', '--driver-opt', 'bad', 'n', 'c'],
  ['network', 'connect', '--gw-priority', 'x', 'n', 'c'],
];
for (const args of NETWORK_CLIENT_ONLY) test(`parity: docker ${args.join(' ')}`, { skip }, () => compare(args));

const NETWORK_DAEMON: string[][] = [
  ['network', 'ls'],
  ['network', 'ls', '-q'],
  ['network', 'ls', '--no-trunc'],
  ['network', 'ls', '--format', 'json'],
  ['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.IPv4}} {{.IPv6}} {{.Internal}} {{.Labels}}'],
  ['network', 'ls', '-f', 'driver=bridge'],
  ['network', 'ls', '-f', 'name=none', '-f', 'type=builtin'],
  ['network', 'ls', '-f', 'bogus=1'],
  ['network', 'inspect', 'bridge'],
  ['network', 'inspect', 'none', 'host'],
  ['network', 'inspect', '-f', '{{.Name}} {{.Driver}}', 'bridge', 'nosuch'],
  ['network', 'inspect', 'nosuch'],
  ['network', 'rm', 'nosuch'],
  ['network', 'rm', '-f', 'nosuch'],
  ['network', 'rm', 'bridge'],
  ['network', 'connect', 'nosuch', 'user'],
  ['network', 'connect', 'bridge', 'nosuch'],
  ['network', 'disconnect', 'nosuch', 'user'],
];
for (const args of NETWORK_DAEMON) {
  test(`parity: docker ${args.join(' ')}`, { skip }, async (t) => {
    if (networksMissing) {
      t.skip(networksMissing);
      return;
    }
    await compare(args);
  });
}

test('parity (own objects): network create / inspect -f / connect / disconnect / rm / prune', { skip }, async (t) => {
  if (networksMissing) {
    t.skip(networksMissing);
    return;
  }
  for (const side of ['d', 'b']) ok(await d.berth(['run', '-d', '--name', `${side}-c`, 'busybox', 'sleep', '1000']));
  const steps: ((s: string) => string[])[] = [
    (s) => ['network', 'create', '--subnet', s === 'd' ? '10.91.0.0/16' : '10.92.0.0/16', '--label', 'side=x', `${s}-net`],
    (s) => ['network', 'create', `${s}-net`],
    (s) => ['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Labels}} {{.Internal}}', `${s}-net`],
    (s) => ['network', 'connect', '--alias', 'al', `${s}-net`, `${s}-c`],
    (s) => ['network', 'connect', `${s}-net`, `${s}-c`],
    (s) => ['network', 'rm', `${s}-net`],
    (s) => ['network', 'disconnect', `${s}-net`, `${s}-c`],
    (s) => ['network', 'disconnect', `${s}-net`, `${s}-c`],
    (s) => ['network', 'rm', `${s}-net`, 'nosuch'],
    (s) => ['network', 'create', '--internal', '--label', `side=${s}`, `${s}-net2`],
    (s) => ['network', 'prune', '-f', '--filter', `label=side=${s}`],
  ];
  for (const step of steps) {
    const dr = await d.docker(step('d'));
    const br = await berth(step('b'));
    // network IDs differ per side: compare their shape
    const id = (x: string) => x.replace(/\b[0-9a-f]{64}\b/g, '<id>').replace(/\b10\.9[12]\./g, '10.9x.');
    assert.deepEqual(
      {
        code: br.code,
        stdout: id(
          normalise(br.stdout, [
            ['b-', 'd-'],
            ['side=b', 'side=d'],
          ]),
        ),
        stderr: id(normalise(br.stderr, [['b-', 'd-']])),
      },
      { ...dr, stdout: id(dr.stdout), stderr: id(dr.stderr) },
      `berth ${step('b').join(' ')}`,
    );
  }
});

test('parity (own volumes): create, rm, prune with and without the prompt', { skip }, async () => {
  const both = async (f: (s: string) => string[], opts: { input?: string; setup?: (s: string) => Promise<[string, string][]> } = {}) => {
    const dm = (await opts.setup?.('d')) ?? [];
    const dr = await d.docker(f('d'), { input: opts.input });
    const bm = (await opts.setup?.('b')) ?? [];
    const br = await berth(f('b'), opts.input);
    const map: [string, string][] = [['b-', 'd-'], ['side=b', 'side=d'], ['side:b', 'side:d'], ...bm.map(([, v], i): [string, string] => [v, dm[i]![1]])];
    assert.deepEqual({ code: br.code, stdout: normalise(br.stdout, map), stderr: normalise(br.stderr, map) }, dr, `berth ${f('b').join(' ')}`);
  };
  await both((s) => ['volume', 'create', `${s}-x`]);
  await both((s) => ['volume', 'create', '--name', `${s}-y`]);
  await both((s) => ['volume', 'create', '--label', `side=${s}`, '-o', 'type=tmpfs', '-o', 'device=tmpfs', `${s}-z`]);
  await both((s) => ['volume', 'inspect', '-f', '{{.Name}} {{.Labels}} {{.Options}}', `${s}-z`]);
  await both((s) => ['volume', 'rm', `${s}-x`, 'nosuch']);
  await both((s) => ['volume', 'rm', '-f', `${s}-x`]);
  // anonymous volumes: each side prunes the one it just made (it is the only anonymous one)
  // anonymous volumes: each side starts with exactly one (its own), made after clearing the rest
  const anon = async (s: string): Promise<[string, string][]> => {
    ok(await d.berth(['volume', 'prune', '-f']));
    return [[s, ok(await d.berth(['volume', 'create'])).stdout.trim()]];
  };
  await both(() => ['volume', 'prune'], { input: 'n\n', setup: anon });
  await both(() => ['volume', 'prune'], { input: 'y\n', setup: anon });
  await both(() => ['volume', 'prune', '-f'], { setup: anon });
  await both((s) => ['volume', 'prune', '-a', '--filter', `label=side=${s}`], { input: 'y\n' });
  await both(() => ['volume', 'prune', '-f']);
  await both((s) => ['volume', 'rm', `${s}-y`]);
});

test('parity: run -it with stdin not a terminal fails before creating a container', { skip }, async () => {
  const count = async () => (await d.berth(['ps', '-aq'])).stdout.split('\n').filter(Boolean).length;
  const n = await count();
  await compare(['run', '-it', 'busybox', 'true'], { input: '' });
  await compare(['run', '-it', '--rm', 'busybox', 'echo', 'x']);
  assert.equal(await count(), n);
});
