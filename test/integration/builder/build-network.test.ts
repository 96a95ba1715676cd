// RUN steps' networking through a real berthd: by default (and with --network bridge) a sandbox on
// the daemon's default bridge, with --network none loopback only, with --network host the host's
// interfaces; the sandbox goes away after the step whether it succeeded, failed, was aborted or
// the daemon was killed in the middle. Traffic only to the bridge gateway (ping) and loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, useBusyboxDaemon, type RunResult } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { assertNoContainerLeftovers } from '../network/leftovers.js';
import { freeSubnets } from '../network/net-helpers.js';

const skip = requiresRoot('bridges, namespaces, crun');
const d = useBusyboxDaemon({ before, after }, skip);
let root = '';

before(async () => {
  if (!skip) root = await mkdtemp(join(tmpdir(), `berth-build-net-${process.pid}-`));
});
after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** A context dir holding just this Dockerfile. */
async function context(name: string, dockerfile: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

const ok = (r: RunResult, what: string) => {
  assert.equal(r.code, 0, `${what}: ${r.stderr}\n${r.stdout}`);
  return r.stdout;
};
const gateway = () => d.bip.replace(/\.0\/24$/, '.1');
const inSubnet = (ip: string) => ip.startsWith(d.bip.replace(/0\/24$/, '')) && ip !== gateway();
/** Interfaces named in /proc/net/dev text. */
const ifaces = (text: string) => [...text.matchAll(/^\s*([^\s:|]+):\s+\d/gm)].map((m) => m[1]!).sort();
const bridgeMembers = () => execFileSync('ip', ['-o', 'link', 'show', 'master', d.bridge]).toString().split('\n').filter(Boolean);

/**
 * Everything a RUN sandbox could leave: veths on the bridge, namespaces, sandbox records, address
 * leases. The kernel destroys a veth with its namespace shortly after the detach (berthd's reaper
 * waits for it), so the links get a bounded moment to go.
 */
async function assertNoSandboxLeft(why: string): Promise<void> {
  await until(() => bridgeMembers().length === 0, 5_000, `${why}: links still on ${d.bridge}: ${bridgeMembers().join('; ')}`).catch(() => undefined);
  assert.deepEqual(bridgeMembers(), [], `${why}: links still on ${d.bridge}`);
  await assertNoContainerLeftovers(d.dataRoot, [d.bridge], why);
  const sandboxes = join(d.dataRoot, 'network', 'sandboxes');
  assert.deepEqual(existsSync(sandboxes) ? readdirSync(sandboxes).filter((f) => f.endsWith('.json')) : [], [], `${why}: sandbox records left`);
  const ipam = join(d.dataRoot, 'network', 'ipam');
  for (const f of existsSync(ipam) ? readdirSync(ipam) : []) {
    assert.doesNotMatch(readFileSync(join(ipam, f), 'utf8'), /build-/, `${why}: an address is still leased to a build step (${f})`);
  }
}

// Markers are built at run time so the echoed Step line never matches them.
const PROBE =
  'RUN M=@@; echo "$M dev"; cat /proc/net/dev; echo "$M ip $(hostname -i)"; echo "$M hosts"; cat /etc/hosts; echo "$M resolv"; cat /etc/resolv.conf; echo "$M end"\n';
const section = (out: string, name: string) => out.split(`@@ ${name}`)[1]!.split('\n@@ ')[0]!;

test('default and bridge: eth0 on the daemon bridge, hostname -i its address, the gateway answers; nothing left after', { skip }, async () => {
  await assertNoSandboxLeft('before');
  const ctx = await context('bridge', `FROM busybox\n${PROBE}RUN ping -c1 -W3 ${gateway()} >/dev/null && echo GATEWAY-OK\n`);
  for (const args of [[], ['--network', 'default'], ['--network', 'bridge']]) {
    const out = ok(await d.berth(['build', '--no-cache', ...args, ctx]), `build ${args.join(' ')}`);
    assert.deepEqual(ifaces(section(out, 'dev')), ['eth0', 'lo'], out);
    const ip = section(out, 'ip').trim();
    assert.ok(inSubnet(ip), `hostname -i ${ip} is in ${d.bip}`);
    const hostname = /Running in ([0-9a-f]{12})/.exec(out)![1]!;
    assert.match(section(out, 'hosts'), new RegExp(`^127\\.0\\.0\\.1\\tlocalhost$`, 'm'));
    assert.match(section(out, 'hosts'), new RegExp(`^${ip.replace(/\./g, '\\.')}\\t${hostname}$`, 'm'), 'its own address and name in /etc/hosts');
    // The test daemon runs with --dns 127.0.0.1: build steps use the daemon's DNS like containers.
    assert.match(section(out, 'resolv'), /^nameserver 127\.0\.0\.1$/m);
    assert.match(out, /GATEWAY-OK/, 'outbound through the bridge gateway');
    await assertNoSandboxLeft(`after build ${args.join(' ')}`);
  }
});

test('none: only lo; a RUN --network=none step inside a default build too', { skip }, async () => {
  const ctx = await context('none', `FROM busybox\n${PROBE}`);
  const out = ok(await d.berth(['build', '--no-cache', '--network', 'none', ctx]), 'build --network none');
  assert.deepEqual(ifaces(section(out, 'dev')), ['lo'], out);
  const step = await context('step-none', 'FROM busybox\nRUN --network=none cat /proc/net/dev\n');
  const out2 = ok(await d.docker(['build', '--no-cache', step]), 'docker build with RUN --network=none');
  assert.deepEqual(ifaces(out2), ['lo'], out2);
  await assertNoSandboxLeft('after none');
});

test('host: the host interfaces (the daemon bridge among them); no sandbox is made', { skip }, async () => {
  const ctx = await context('host', 'FROM busybox\nRUN cat /proc/net/dev\n');
  const out = ok(await d.docker(['build', '--no-cache', '--network', 'host', ctx]), 'docker build --network host');
  // Other tests' links come and go meanwhile: look for this daemon's bridge and the host's uplink.
  const seen = ifaces(out);
  const uplink = /\bdev (\S+)/.exec(execFileSync('ip', ['route', 'show', 'default']).toString())?.[1];
  assert.ok(seen.includes(d.bridge), `the step sees ${d.bridge}: ${seen.join(' ')}`);
  if (uplink) assert.ok(seen.includes(uplink), `the step sees the host uplink ${uplink}: ${seen.join(' ')}`);
  assert.ok(seen.includes('lo'));
  await assertNoSandboxLeft('after host');
});

test('a user-defined network: RUN steps join it (as the classic builder); an unknown one fails the build', { skip }, async () => {
  const net = `bn${process.pid}`;
  // A subnet no host route uses: a fixed one could be another test daemon's network at the same moment.
  const [prefix] = freeSubnets(1);
  ok(await d.docker(['network', 'create', '--subnet', `${prefix}.0/24`, net]), 'network create');
  try {
    const ctx = await context('usernet', `FROM busybox\nRUN M=@@; echo "$M ip $(hostname -i)"; echo "$M end"\n`);
    const out = ok(await d.docker(['build', '--no-cache', '--network', net, ctx]), 'docker build --network <user network>');
    assert.match(section(out, 'ip').trim(), new RegExp(`^${prefix!.replaceAll('.', '\\.')}\\.\\d+$`), out);
  } finally {
    ok(await d.docker(['network', 'rm', net]), 'network rm (no step is left on it)');
  }
  await assertNoSandboxLeft('after a user network');
  const unknown = await context('unknown', 'FROM busybox\nRUN true\n');
  const r = await d.docker(['build', '--network', 'nosuchnet', unknown]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /network nosuchnet not found/);
});

test("container:<name>: RUN steps share that container's namespace, hostname and hosts (as the classic builder); a missing one fails the step", {
  skip,
}, async () => {
  const donor = `bdonor${process.pid}`;
  ok(
    await d.docker(['run', '-d', '--name', donor, '--hostname', 'donorhost', 'busybox', 'sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done']),
    'run donor',
  );
  try {
    const donorIp = ok(await d.docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', donor]), 'inspect').trim();
    const ctx = await context(
      'shared',
      `FROM busybox\nRUN M=@@; echo "$M host $(hostname)"; echo "$M ip $(hostname -i)"; echo "$M hosts"; cat /etc/hosts; echo "$M end"\n`,
    );
    const out = ok(await d.docker(['build', '--no-cache', '--network', `container:${donor}`, ctx]), 'docker build --network container:<name>');
    assert.equal(section(out, 'host').trim(), 'donorhost', out);
    assert.equal(section(out, 'ip').trim(), donorIp, "the donor's own address: its namespace");
    assert.match(section(out, 'hosts'), new RegExp(`^${donorIp.replace(/\./g, '\\.')}\tdonorhost`, 'm'));
  } finally {
    ok(await d.docker(['rm', '-f', donor]), 'rm donor');
  }
  const missing = await context('shared-missing', 'FROM busybox\nRUN true\n');
  const r = await d.docker(['build', '--network', 'container:nosuchdonor', missing]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr + r.stdout, /No such container: nosuchdonor/);
  await assertNoSandboxLeft('after container:');
});

test('a failing step and an aborted build release their sandboxes', { skip }, async () => {
  const fail = await context('fail', 'FROM busybox\nRUN ip -o -4 addr show eth0 && exit 3\n');
  const r = await d.berth(['build', '--no-cache', fail]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /eth0\s+inet /);
  await assertNoSandboxLeft('after a failing step');

  // The client goes away mid-step: the daemon kills the step and detaches its sandbox.
  const slow = await context('abort', 'FROM busybox\nRUN echo STAR""TED; sleep 60\n');
  const client = spawn(process.execPath, [BERTH, 'build', '--no-cache', slow], {
    env: { ...process.env, DOCKER_HOST: d.host },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await waitFor(client, 'STARTED');
  assert.equal(bridgeMembers().length, 1, 'the running step has a veth on the bridge');
  client.kill('SIGKILL');
  await until(() => bridgeMembers().length === 0, 20_000, 'the aborted step left its veth');
  await until(() => readdirSync(join(d.dataRoot, 'netns')).length === 0, 10_000, 'the aborted step left its netns');
  await assertNoSandboxLeft('after an aborted build');
});

test('berthd killed during a step: the restarted daemon removes the step sandbox', { skip }, async () => {
  // A sleep length unique to this run, so other tests' processes never match.
  const secs = 1000 + Math.floor(Math.random() * 8000);
  const slow = await context('crash', `FROM busybox\nRUN echo STAR""TED; sleep ${secs}\n`);
  const client = spawn(process.execPath, [BERTH, 'build', '--no-cache', slow], {
    env: { ...process.env, DOCKER_HOST: d.host },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await waitFor(client, 'STARTED');
  assert.equal(bridgeMembers().length, 1);
  assert.equal(readdirSync(join(d.dataRoot, 'netns')).length, 1);
  await d.kill('SIGKILL');
  client.kill('SIGKILL');
  assert.equal(bridgeMembers().length, 1, 'a killed daemon cannot clean up: the veth is still there');
  await d.start();
  await assertNoSandboxLeft('after restart');
  // And the step's process is gone with its runtime container (nothing holds the old namespace).
  // (A SIGKILLed process may linger a moment until its new parent reaps it.)
  const sleeping = new RegExp(`^sleep ${secs}$`, 'm');
  await until(() => !sleeping.test(execFileSync('ps', ['-eo', 'args']).toString()), 10_000, "the step's process outlived the restart");
  // The bridge still works for the next build.
  const again = await context('after-crash', 'FROM busybox\nRUN echo "IP=$(hostname -i)"\n');
  const ip = /IP=(\d+\.\d+\.\d+\.\d+)/.exec(ok(await d.berth(['build', '--no-cache', again]), 'build after restart'))?.[1] ?? '';
  assert.ok(inSubnet(ip), `the next build's step is on the bridge again: ${ip}`);
  await assertNoSandboxLeft('after the build after restart');
});

function waitFor(child: ReturnType<typeof spawn>, text: string, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${text}: ${seen}`)), ms);
    child.stdout!.on('data', (c: Buffer) => {
      seen += c.toString();
      if (seen.includes(text)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', () => {
      clearTimeout(t);
      reject(new Error(`build exited before ${text}: ${seen}`));
    });
  });
}

async function until(cond: () => boolean, ms: number, why: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(why);
    await new Promise((r) => setTimeout(r, 100));
  }
}
