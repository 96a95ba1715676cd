// Networking across a berthd crash: kill -9 the daemon while one container publishes a port and
// others sit on a user network, start it again on the same data root, and check that the port
// answers (also while the daemon is down: forwarding is in the kernel), DNS by name works, IPAM
// hands out no address twice, and that removing everything afterwards leaves nothing behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { freeSubnets, httpGet, out, randomPort } from './net-helpers.js';
import { assertNoContainerLeftovers, assertNothingLeft, netnsFiles } from './leftovers.js';

const skip = requiresRoot('bridges, namespaces, nftables');
const tag = `${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
let d: TestDaemon;
before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
});
after(async () => {
  if (d) await d.stop();
});

const net = `rs-net-${tag}`;
let netBridge = '';

async function ips(names: string[]): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const n of names) {
    const v = out(await d.berth(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}={{$v.IPAddress}} {{end}}', n]), `inspect ${n}`);
    m.set(n, v);
  }
  return m;
}

test('after kill -9 and restart of berthd, published ports answer, names resolve and no IP is handed out twice', { skip }, async () => {
  const [S] = freeSubnets(1);
  out(await d.berth(['network', 'create', '--subnet', `${S}.0/24`, net]), 'network create');
  netBridge = `br-${out(await d.berth(['network', 'inspect', '-f', '{{.Id}}', net])).slice(0, 12)}`;
  const port = randomPort();
  const pub = `rs-pub-${tag}`;
  const db = `rs-db-${tag}`;
  out(await d.berth(['run', '-d', '--name', pub, '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']), 'run pub');
  out(await d.berth(['run', '-d', '--name', db, '--network', net, '--network-alias', 'database', 'busybox', 'sleep', '3600']), 'run db');
  const first = [pub, db];
  for (let i = 0; i < 2; i++) {
    first.push(`rs-a${i}-${tag}`);
    out(await d.berth(['run', '-d', '--name', `rs-a${i}-${tag}`, '--network', net, 'busybox', 'sleep', '3600']), 'run a');
  }
  const pubId = out(await d.berth(['inspect', '-f', '{{.Id}}', pub]));
  assert.equal((await httpGet(port, '/hostname')).trim(), pubId.slice(0, 12));
  const beforeIps = await ips(first);

  await d.kill('SIGKILL');
  // The DNAT rules are in the kernel: the port keeps answering while berthd is down.
  assert.equal((await httpGet(port, '/hostname', 10)).trim(), pubId.slice(0, 12), 'published port while berthd is down');
  await d.start();

  assert.equal(out(await d.berth(['inspect', '-f', '{{.State.Running}}', pub, db])), 'true\ntrue');
  assert.equal((await httpGet(port, '/hostname')).trim(), pubId.slice(0, 12), 'published port after restart');
  assert.deepEqual(await ips(first), beforeIps, 'addresses changed across the restart');
  const dbIp = beforeIps.get(db)!.split('=')[1]!.trim();
  const look = await d.berth(['run', '--rm', '--network', net, 'busybox', 'sh', '-c', `nslookup ${db}; nslookup database; ping -c 1 -W 2 ${db}`]);
  assert.equal(look.code, 0, `DNS after restart: ${look.stdout}\n${look.stderr}`);
  assert.equal((look.stdout.match(new RegExp(`^Address: ${dbIp.replace(/\./g, '\\.')}$`, 'gm')) ?? []).length, 2, look.stdout);
  // Same-network traffic by name after the restart, too.
  const ping = await d.berth(['exec', `rs-a0-${tag}`, 'ping', '-c', '1', '-W', '2', 'database']);
  assert.equal(ping.code, 0, `${ping.stdout}${ping.stderr}`);

  // IPAM after the restart: more containers on both networks get fresh addresses.
  const more: string[] = [];
  for (let i = 0; i < 3; i++) {
    more.push(`rs-b${i}-${tag}`, `rs-c${i}-${tag}`);
    out(await d.berth(['run', '-d', '--name', `rs-b${i}-${tag}`, '--network', net, 'busybox', 'sleep', '3600']), 'run b');
    out(await d.berth(['run', '-d', '--name', `rs-c${i}-${tag}`, 'busybox', 'sleep', '3600']), 'run c');
  }
  const all = [...(await ips([...first, ...more])).values()].flatMap((v) => v.split(' ').filter(Boolean));
  assert.equal(all.length, first.length + more.length, all.join(' '));
  assert.equal(new Set(all.map((x) => x.split('=')[1])).size, all.length, `duplicate IPs after restart: ${all.join(' ')}`);
  for (const n of more) {
    const v = out(await d.berth(['exec', n, 'ip', '-o', '-4', 'addr', 'show', 'eth0']));
    const inspected = (await ips([n])).get(n)!.split('=')[1]!.trim();
    assert.match(v, new RegExp(`inet ${inspected.replace(/\./g, '\\.')}/`), `${n}: inspect says ${inspected}, interface has ${v}`);
  }
});

test('a second crash with containers gone while berthd was down: recovery releases their addresses and namespaces', { skip }, async () => {
  const victim = `rs-a1-${tag}`;
  const pid = Number(out(await d.berth(['inspect', '-f', '{{.State.Pid}}', victim])));
  await d.kill('SIGKILL');
  process.kill(pid, 'SIGKILL'); // the container's process dies while nobody watches
  await d.start();
  // Bounded: the daemon may notice the exit asynchronously after start.
  let state = '';
  for (let i = 0; i < 50 && state !== 'false'; i++) {
    state = out(await d.berth(['inspect', '-f', '{{.State.Running}}', victim]));
    if (state !== 'false') await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(state, 'false', `${victim} still reported running after its process was killed`);
  const id = out(await d.berth(['inspect', '-f', '{{.Id}}', victim]));
  assert.ok(!netnsFiles(d.dataRoot).includes(id), `netns of ${victim} left after recovery`);
  const members = out(await d.docker(['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{end}}', net]));
  assert.ok(!members.split(' ').includes(victim), `${victim} still listed on ${net}: ${members}`);
});

test('rm -f after the restarts leaves nothing; stopping the daemon leaves nothing at all', { skip }, async () => {
  const ids = out(await d.berth(['ps', '-aq']))
    .split('\n')
    .filter(Boolean);
  if (ids.length) out(await d.berth(['rm', '-f', ...ids]), 'rm -f all');
  const nets = out(await d.berth(['network', 'ls', '-q', '--filter', `name=${net}`]))
    .split('\n')
    .filter(Boolean);
  if (nets.length) out(await d.berth(['network', 'rm', ...nets]), 'network rm');
  await assertNoContainerLeftovers(d.dataRoot, [d.bridge], 'after rm -f');
  const dataRoot = d.dataRoot;
  const bridge = d.bridge;
  await d.stop();
  assertNothingLeft(dataRoot, [bridge, ...(netBridge ? [netBridge] : [])]);
});
