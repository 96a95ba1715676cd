// Real namespaces, bridges and nftables (root). Traffic only between namespaces this test made
// and the host's loopback. Every name includes the run id; everything is removed at the end.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import { NetworkManager } from './network-manager.js';
import { listTable } from './ruleset.js';
import { taggedLinks } from './link.js';
import { mountedNetns } from './netns.js';
import { probePort } from './ports.js';
import { macForIp, parseIp } from './subnet.js';
import { isBerthError } from '../lib/errors.js';
import dnsPacket from 'dns-packet';

const exec = promisify(execFile);
const run = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 5)}`;
const children: ChildProcess[] = [];
const sockets: ReturnType<typeof createSocket>[] = [];
let dir = '';
let mgr: NetworkManager | undefined;

after(async () => {
  for (const c of children) killGroup(c);
  await mgr?.purge().catch(() => {});
  await mgr?.close();
  for (const s of sockets) s.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let upstream = '';
async function open(): Promise<NetworkManager> {
  return NetworkManager.open({
    dnsUpstreams: [upstream],
    stateDir: join(dir, 'state'),
    netnsDir: join(dir, 'netns'),
    tableName: `bt_${run}`,
    defaultBridge: `bt${run}0`,
  });
}

/** Runs busybox inside a namespace, bounded by `timeout`. */
async function inNs(ns: string, args: string[], secs = 3): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await exec('nsenter', [`--net=${ns}`, 'timeout', String(secs), 'busybox', ...args]);
    return { ok: true, out: r.stdout + r.stderr };
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
}

/** An A query for `name` over TCP to server:53 from inside a namespace; the addresses answered. */
function tcpLookupInNs(ns: string, server: string, name: string): Promise<string[]> {
  const q = dnsPacket.encode({ type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] });
  const framed = Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q]);
  return new Promise((resolve, reject) => {
    const c = spawn('nsenter', [`--net=${ns}`, 'timeout', '3', 'busybox', 'nc', server, '53'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const out: Buffer[] = [];
    c.stdout!.on('data', (d: Buffer) => out.push(d));
    c.on('error', reject);
    c.on('close', () => {
      try {
        const b = Buffer.concat(out);
        if (b.length < 2) return resolve([]); // no reply at all
        const r = dnsPacket.streamDecode(b);
        resolve(r.id === 4242 ? (r.answers ?? []).map((x) => String((x as { data: unknown }).data)) : []);
      } catch (e) {
        reject(e);
      }
    });
    c.stdin!.end(framed);
  });
}

/** A server inside a namespace, in its own process group so killGroup() ends sh, nc and all. */
function serve(ns: string, cmd: string[]): ChildProcess {
  const c = spawn('nsenter', [`--net=${ns}`, 'timeout', '10', ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(c);
  return c;
}

function killGroup(c: ChildProcess): void {
  try {
    if (c.pid) process.kill(-c.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  c.stdout?.destroy();
  c.stderr?.destroy();
}

const pathOf = (r: { netns: unknown }) => (r.netns as { path: string }).path;

test('bridge networks: DNS, isolation, published ports, IPAM across restart, cleanup', async () => {
  dir = await mkdtemp(join(tmpdir(), `berth-net-${run}-`));
  upstream = await fakeUpstream();
  mgr = await open();
  await mgr.recover(() => false);
  assert.deepEqual(
    mgr
      .list()
      .map((n) => n.name)
      .sort(),
    ['bridge', 'host', 'none'],
  );

  const a = await mgr.create({ name: `a-${run}` });
  const b = await mgr.create({ name: `b-${run}`, subnet: '10.231.7.0/24' });
  await assert.rejects(mgr.create({ name: `a-${run}` }), /already exists/);
  await assert.rejects(mgr.create({ name: `c-${run}`, subnet: '10.231.7.128/25' }), /Pool overlaps/);
  await assert.rejects(mgr.create({ name: `c-${run}`, subnet: 'nonsense' }), /invalid CIDR/);
  assert.equal(mgr.list().length, 5, 'failed creates leave nothing');

  const t0 = performance.now();
  const web = await mgr.attach('c1' + run, {
    containerName: '/web',
    networks: [{ name: a.name, aliases: ['www'] }],
    exposedPorts: ['80/tcp'],
    publishAll: true,
  });
  const attachMs = performance.now() - t0;
  const udpPort = (await probePort('udp', '127.0.0.1', 0))!;
  const cli = await mgr.attach('c2' + run, {
    containerName: 'cli',
    networks: [{ name: a.name }],
    portBindings: { '53/udp': [{ hostIp: '127.0.0.1', hostPort: String(udpPort) }] },
  });
  const other = await mgr.attach('c3' + run, { containerName: 'other', networks: [{ name: b.name, ip: '10.231.7.50' }] });
  assert.equal(other.endpoints[0]!.ip, '10.231.7.50');
  assert.equal(web.endpoints[0]!.gateway, a.gateway);
  assert.deepEqual(web.dnsServers, [a.gateway]);
  assert.match(web.endpoints[0]!.mac, /^02:42:/);
  console.log(`attach took ${attachMs.toFixed(1)} ms`);

  // Same network: by IP and by name/alias through the embedded DNS; other names are forwarded (or fail), never invented.
  assert.ok((await inNs(pathOf(cli), ['ping', '-c', '1', '-W', '2', web.endpoints[0]!.ip])).ok, 'ping by IP');
  const ns1 = await inNs(pathOf(cli), ['nslookup', 'web', a.gateway]);
  assert.match(ns1.out, new RegExp(web.endpoints[0]!.ip.replace(/\./g, '\\.')));
  // And over TCP (busybox nslookup cannot force TCP: busybox nc carries one framed query).
  assert.deepEqual(await tcpLookupInNs(pathOf(cli), a.gateway, 'web'), [web.endpoints[0]!.ip], 'DNS over TCP');
  assert.match((await inNs(pathOf(cli), ['nslookup', 'www', a.gateway])).out, new RegExp(web.endpoints[0]!.ip.replace(/\./g, '\\.')));
  assert.doesNotMatch(
    (await inNs(pathOf(other), ['nslookup', 'web', b.gateway], 2)).out,
    new RegExp(web.endpoints[0]!.ip.replace(/\./g, '\\.')),
    'no names across networks',
  );
  // Unknown names go to the upstream resolver (a fake one on the host's loopback here).
  assert.match((await inNs(pathOf(cli), ['nslookup', 'outside.test', a.gateway])).out, /192\.0\.2\.99/);
  // The gateway keeps its MAC whatever ports join the bridge (else neighbours' ARP caches go stale).
  const bridgeMac = async () => (await readFile(`/sys/class/net/${a.bridgeName}/address`, 'utf8')).trim();
  assert.equal(await bridgeMac(), macForIp(parseIp(a.gateway)!));
  // A container's own --dns servers are its upstreams (as Docker's embedded DNS); names stay answered.
  const own = await mgr.attach('c9' + run, { containerName: 'own', networks: [{ name: a.name }], dnsUpstreams: [await fakeUpstream('192.0.2.77')] });
  assert.match((await inNs(pathOf(own), ['nslookup', 'outside.test', a.gateway])).out, /192\.0\.2\.77/);
  assert.match((await inNs(pathOf(own), ['nslookup', 'web', a.gateway])).out, new RegExp(web.endpoints[0]!.ip.replace(/\./g, '\\.')));
  assert.match((await inNs(pathOf(cli), ['nslookup', 'outside.test', a.gateway])).out, /192\.0\.2\.99/, 'others keep the daemon upstream');
  assert.equal(await bridgeMac(), macForIp(parseIp(a.gateway)!), 'attaching a container changed the gateway MAC');
  await mgr.detach('c9' + run);
  // Isolation: another network cannot reach it.
  assert.equal((await inNs(pathOf(other), ['ping', '-c', '1', '-W', '1', web.endpoints[0]!.ip])).ok, false, 'isolated');

  // -P gave 80/tcp a host port; reachable from the host's loopback.
  const tcpPort = Number(web.ports['80/tcp']![0]!.hostPort);
  assert.ok(tcpPort > 1024);
  const srv = serve(pathOf(web), ['busybox', 'sh', '-c', 'echo hello-tcp | busybox nc -l -p 80']);
  const got = await retry(() => readTcp('127.0.0.1', tcpPort));
  assert.equal(got.trim(), 'hello-tcp');
  killGroup(srv);
  // From another container of the same network via the gateway address (hairpin NAT).
  serve(pathOf(web), ['busybox', 'sh', '-c', 'echo hello-again | busybox nc -l -p 80']);
  const via = await retry(async () => {
    const r = await inNs(pathOf(cli), ['nc', a.gateway, String(tcpPort)], 2);
    if (!r.out.includes('hello-again')) throw new Error(r.out);
    return r.out;
  });
  assert.match(via, /hello-again/);

  // UDP published on 127.0.0.1.
  // (busybox nc has no UDP mode: a tiny Node echo server inside the namespace.)
  const udpSrv = serve(pathOf(cli), [
    process.execPath,
    '-e',
    "setTimeout(() => process.exit(), 10000); require('dgram').createSocket('udp4').on('message', (m) => process.stdout.write(m)).bind(53)",
  ]);
  let udpOut = '';
  udpSrv.stdout!.on('data', (d: Buffer) => (udpOut += d.toString()));
  await retry(async () => {
    await sendUdp('127.0.0.1', udpPort, 'hello-udp\n');
    await new Promise((r) => setTimeout(r, 200));
    if (!udpOut.includes('hello-udp')) throw new Error('no udp yet');
  });
  killGroup(udpSrv);

  // A taken port is an error before anything is made.
  const err = await mgr
    .attach('c4' + run, { containerName: 'dup', networks: [{ name: a.name }], portBindings: { '80/tcp': [{ hostPort: String(tcpPort) }] } })
    .catch((e) => e);
  assert.ok(isBerthError(err, 'conflict') && /port is already allocated/.test(err.message), String(err));
  await assert.rejects(
    mgr.attach('c4' + run, { containerName: 'dup', networks: [{ name: a.name }], portBindings: { '80/tcp': [{ hostPort: 'abc' }] } }),
    /Invalid hostPort/,
  );
  await assert.rejects(mgr.attach('c4' + run, { containerName: 'dup', networks: [{ name: 'nope' + run }] }), /not found/);
  assert.equal(mgr.info('c4' + run), undefined);
  assert.ok(!(await readdir(join(dir, 'netns'))).includes('c4' + run));

  // Connect/disconnect a running container.
  const both = await mgr.connect('c3' + run, { name: a.name });
  assert.equal(both.endpoints.length, 2);
  assert.ok((await inNs(pathOf(other), ['ping', '-c', '1', '-W', '2', web.endpoints[0]!.ip])).ok, 'reachable after connect');
  await mgr.disconnect('c3' + run, a.name);
  assert.equal((await inNs(pathOf(other), ['ping', '-c', '1', '-W', '1', web.endpoints[0]!.ip])).ok, false);
  await assert.rejects(mgr.remove(a.name), /active endpoints/);

  // A network create killed after its record and before its address pool (found by the torture
  // driver: every later container on it failed with "has no IPv4 address pool").
  const k = await mgr.create({ name: `k-${run}` });

  // "kill -9 and restart": reopen the stores; c2 died meanwhile, c1 and c3 still run.
  await mgr.close();
  await rm(join(dir, 'state', 'ipam', `${k.id}.json`));
  mgr = await open();
  const running = new Set(['c1' + run, 'c3' + run]);
  await mgr.recover((id) => running.has(id));
  const onK = await mgr.attach('c6' + run, { containerName: 'onk', networks: [{ name: k.name }] });
  assert.notEqual(onK.endpoints[0]!.ip, k.gateway, 'the recovered pool keeps the gateway reserved');
  await mgr.detach('c6' + run);
  await mgr.remove(k.name);
  assert.equal(mgr.info('c2' + run), undefined, 'dead container torn down');
  assert.ok(!(await listTable(`bt_${run}`)).includes(`dport ${udpPort}`), 'its port rule is gone');
  const fresh = await mgr.attach('c5' + run, { containerName: 'fresh', networks: [{ name: a.name }] });
  assert.notEqual(fresh.endpoints[0]!.ip, web.endpoints[0]!.ip, 'no double allocation after restart');
  assert.match(
    (await inNs(pathOf(fresh), ['nslookup', 'web', a.gateway])).out,
    new RegExp(web.endpoints[0]!.ip.replace(/\./g, '\\.')),
    'DNS serves again after restart',
  );

  // Cleanup: detach all, remove networks; nothing of ours remains.
  for (const id of ['c1', 'c3', 'c5']) await mgr.detach(id + run);
  await mgr.remove(a.name);
  await mgr.remove(b.name);
  assert.deepEqual(await mountedNetns(join(dir, 'netns')), []);
  assert.deepEqual(await readdir(join(dir, 'netns')), []);
  assert.deepEqual((await taggedLinks(mgr.tag)).sort(), [`bt${run}0`], 'only the default bridge is left');
  assert.ok(!(await listTable(`bt_${run}`)).includes('dnat to'), 'no port rules');
  await mgr.purge();
  assert.deepEqual(await taggedLinks(mgr.tag), []);
  assert.equal(await listTable(`bt_${run}`), '');
});

/** A resolver on 127.0.0.1 that answers every A query with 192.0.2.99 (no traffic leaves the host). */
async function fakeUpstream(answer = '192.0.2.99'): Promise<string> {
  const s = createSocket('udp4');
  s.on('message', (m, r) => {
    const q = dnsPacket.decode(m);
    s.send(
      dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags: dnsPacket.RECURSION_AVAILABLE,
        questions: q.questions,
        answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 60, data: answer }],
      }),
      r.port,
      r.address,
    );
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  sockets.push(s);
  return `127.0.0.1:${s.address().port}`;
}

async function retry<T>(fn: () => Promise<T>, tries = 20): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function readTcp(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    let out = '';
    const t = setTimeout(() => s.destroy(new Error('timeout')), 2000);
    s.on('data', (d) => (out += d.toString()));
    s.on('error', (e) => (clearTimeout(t), reject(e)));
    s.on('close', () => (clearTimeout(t), out ? resolve(out) : reject(new Error('empty'))));
    s.end();
  });
}

function sendUdp(host: string, port: number, msg: string): Promise<void> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.send(msg, port, host, () => s.close(() => resolve()));
  });
}

test('a free pool another engine takes at the same moment (its gateway address in use) is skipped: create picks the next one', async (t) => {
  const root = await mkdtemp(join(tmpdir(), `berth-net-race-${run}-`));
  const second = 100 + Math.floor(Math.random() * 100);
  const m = await NetworkManager.open({
    stateDir: join(root, 'state'),
    netnsDir: join(root, 'netns'),
    tableName: `btr_${run}`,
    defaultBridge: `btr${run}0`,
    defaultSubnet: `10.${second}.255.0/24`, // out of the way: the user network gets the pool's first subnet
    addressPools: [{ base: { base: parseIp(`10.${second}.0.0`)!, prefix: 16 }, size: 24 }],
  });
  // The other engine's bridge, caught between its address and its route: the first pool's
  // gateway is in use (a /32 adds no route, so the pick cannot see it) and its DNS port bound.
  const dummy = `dmr${run}`.slice(0, 15);
  await exec('ip', ['link', 'add', dummy, 'type', 'bridge']);
  const udp = createSocket('udp4');
  t.after(async () => {
    await new Promise<void>((r) => udp.close(() => r()));
    await exec('ip', ['link', 'del', dummy]).catch(() => {});
    await m.purge().catch(() => {});
    await m.close();
    await rm(root, { recursive: true, force: true });
  });
  await exec('ip', ['addr', 'add', `10.${second}.0.1/32`, 'dev', dummy]);
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(53, `10.${second}.0.1`, () => resolve());
  });
  await m.recover(() => false);
  const n = await m.create({ name: `race-${run}`, driver: 'bridge' });
  assert.equal(n.subnet, `10.${second}.1.0/24`, 'the taken pool is skipped');
  assert.equal(n.gateway, `10.${second}.1.1`);
  await m.remove(n.id);
});
