// network connect/disconnect on a running container, and port publishing beyond plain TCP:
// UDP, ranges, bad specs and a host port that is already taken. Through a real berthd with the
// berth CLI and the real docker CLI; traffic only to 127.0.0.1 and this file's containers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { useBusyboxDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { api, expectFail, freeSubnets, httpGet, out, randomPort, udpAsk, udpEchoIn } from './net-helpers.js';
import { assertNoContainerLeftovers, assertNothingLeft, daemonIds, netnsFiles, nftTable, taggedLinks } from './leftovers.js';

const skip = requiresRoot('bridges, namespaces, nftables');
const d = useBusyboxDaemon({ before, after }, skip);
const tag = `${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
const [C] = skip ? [] : freeSubnets(1);
const netC = `cp-c-${tag}`;
let netCBridge = '';

const v4 = (s: string) =>
  s
    .split('\n')
    .map((l) => /^\d+: (\S+)\s+inet (\S+)/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => `${m[1]} ${m[2]}`);

// Negative DNS checks would be forwarded to the host's resolvers (traffic off this machine's
// namespaces), so "the name is gone" is shown by a shared alias losing one of its two addresses.
test('network connect/disconnect on a running container: interface, DNS name and --alias come and go', { skip }, async () => {
  out(await d.berth(['network', 'create', '--subnet', `${C}.0/24`, netC]), 'create');
  netCBridge = `br-${out(await d.berth(['network', 'inspect', '-f', '{{.Id}}', netC])).slice(0, 12)}`;
  const r = `cp-r-${tag}`;
  out(await d.berth(['run', '-d', '--name', r, 'busybox', 'sleep', '3600']), 'run r');
  const bridgeIp = out(await d.berth(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', r]));
  assert.deepEqual(v4(out(await d.berth(['exec', r, 'ip', '-o', '-4', 'addr']))), ['lo 127.0.0.1/8', `eth0 ${bridgeIp}/24`]);

  out(await d.berth(['network', 'connect', '--alias', 'ralias', netC, r]), 'berth network connect --alias');
  const ip = out(await d.berth(['inspect', '-f', `{{(index .NetworkSettings.Networks "${netC}").IPAddress}}`, r]));
  assert.ok(ip.startsWith(`${C}.`), `inspect IP on ${netC}: ${ip}`);
  assert.deepEqual(v4(out(await d.berth(['exec', r, 'ip', '-o', '-4', 'addr']))), ['lo 127.0.0.1/8', `eth0 ${bridgeIp}/24`, `eth1 ${ip}/24`]);
  const members = JSON.parse(out(await d.docker(['network', 'inspect', '-f', '{{json .Containers}}', netC]))) as Record<
    string,
    { Name: string; IPv4Address: string }
  >;
  assert.deepEqual(
    Object.values(members).map((m) => [m.Name, m.IPv4Address]),
    [[r, `${ip}/24`]],
  );

  // The docker CLI's connect, with aliases (one shared with r) and a static IP, on a second running container.
  const s = `cp-s-${tag}`;
  const sip = `${C}.77`;
  out(await d.berth(['run', '-d', '--name', s, 'busybox', 'sleep', '3600']), 'run s');
  out(await d.docker(['network', 'connect', '--alias', 'salias', '--alias', 'ralias', '--ip', sip, netC, s]), 'docker network connect');
  assert.match(out(await d.berth(['exec', s, 'ip', '-o', '-4', 'addr', 'show', 'eth1'])), new RegExp(`inet ${sip.replace(/\./g, '\\.')}/24`));
  const addrs = (text: string) => [...text.matchAll(/^Address: (\d+\.\d+\.\d+\.\d+)$/gm)].map((m) => m[1]).sort();
  const look = await d.berth([
    'run',
    '--rm',
    '--network',
    netC,
    'busybox',
    'sh',
    '-c',
    `nslookup ${r}; echo ---; nslookup ralias; echo ---; nslookup salias; ping -c 1 -W 2 ${r}`,
  ]);
  assert.equal(look.code, 0, `lookups on ${netC}: ${look.stdout}\n${look.stderr}`);
  const [byName, byAlias, byS] = look.stdout.split('---');
  assert.deepEqual(addrs(byName!), [ip], `${r}: ${byName}`);
  assert.deepEqual(addrs(byAlias!), [ip, sip].sort(), `ralias (on r and s): ${byAlias}`);
  assert.deepEqual(addrs(byS!), [sip], `salias: ${byS}`);
  // r itself asks the embedded DNS explicitly: its resolv.conf may still name the host resolvers.
  const fromR = await d.berth(['exec', r, 'nslookup', 'salias', `${C}.1`]);
  assert.deepEqual(addrs(fromR.stdout), [sip], `the connected container resolves a peer by alias: ${fromR.stdout}${fromR.stderr}`);
  expectFail(await d.berth(['network', 'connect', netC, r]), /already exists|already connected/, 'connect twice');

  out(await d.berth(['network', 'disconnect', netC, r]), 'network disconnect');
  assert.deepEqual(v4(out(await d.berth(['exec', r, 'ip', '-o', '-4', 'addr']))), ['lo 127.0.0.1/8', `eth0 ${bridgeIp}/24`]);
  const after = await d.berth(['run', '--rm', '--network', netC, 'busybox', 'nslookup', 'ralias']);
  assert.deepEqual(addrs(after.stdout), [sip], `after disconnect, ralias must be only s's: ${after.stdout}${after.stderr}`);
  assert.equal(out(await d.docker(['network', 'inspect', '-f', '{{len .Containers}}', netC])), '1');
  out(await d.docker(['network', 'disconnect', netC, s]), 'docker network disconnect');
  expectFail(await d.berth(['network', 'disconnect', netC, s]), /is not connected/, 'disconnect twice');
  out(await d.berth(['rm', '-f', r, s]), 'rm');
  out(await d.berth(['network', 'rm', netC]), 'network rm');
  await assertNoContainerLeftovers(d.dataRoot, [d.bridge], 'after connect/disconnect and rm');
});

test('connecting a default-bridge container to a user network points its resolv.conf at the embedded DNS (Docker rebuilds it)', { skip }, async () => {
  const net = `cp-dns-${tag}`;
  const [S] = freeSubnets(1);
  out(await d.berth(['network', 'create', '--subnet', `${S}.0/24`, net]));
  const name = `cp-dnsc-${tag}`;
  try {
    out(await d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '3600']));
    out(await d.berth(['network', 'connect', net, name]));
    const conf = out(await d.berth(['exec', name, 'cat', '/etc/resolv.conf']));
    assert.match(conf, new RegExp(`^nameserver ${S.replace(/\./g, '\\.')}\\.1$`, 'm'), `after connect, resolv.conf still:\n${conf}`);
  } finally {
    await d.berth(['rm', '-f', name]);
    await d.berth(['network', 'rm', net]);
  }
});

test('UDP publishing: a datagram to 127.0.0.1:<port> reaches the container port and the reply comes back', { skip }, async () => {
  const port = randomPort();
  const u = `cp-udp-${tag}`;
  out(await d.berth(['run', '-d', '--name', u, '-p', `127.0.0.1:${port}:53/udp`, 'busybox', 'sleep', '3600']), 'run -p udp');
  assert.equal(out(await d.berth(['port', u])), `53/udp -> 127.0.0.1:${port}`);
  const pid = Number(out(await d.berth(['inspect', '-f', '{{.State.Pid}}', u])));
  const echo = await udpEchoIn(pid);
  try {
    assert.equal(await udpAsk(port, `hello-${tag}`), `echo:hello-${tag}`);
  } finally {
    echo.kill('SIGKILL');
  }
  out(await d.berth(['rm', '-f', u]));
  assert.equal(await udpAsk(port, 'after-rm', 1), undefined, 'the UDP port still forwards after rm');
});

test('port ranges -p 127.0.0.1:P1-P2:80-81 map one to one', { skip }, async () => {
  const p1 = randomPort(2);
  const name = `cp-range-${tag}`;
  const script = 'mkdir -p /w80 /w81; echo eighty > /w80/i; echo eightyone > /w81/i; httpd -p 80 -h /w80; exec httpd -f -p 81 -h /w81';
  out(await d.docker(['run', '-d', '--name', name, '-p', `127.0.0.1:${p1}-${p1 + 1}:80-81`, 'busybox', 'sh', '-c', script]), 'run range');
  assert.equal(out(await d.berth(['port', name])), `80/tcp -> 127.0.0.1:${p1}\n81/tcp -> 127.0.0.1:${p1 + 1}`);
  assert.equal((await httpGet(p1, '/i')).trim(), 'eighty');
  assert.equal((await httpGet(p1 + 1, '/i')).trim(), 'eightyone');
  out(await d.berth(['rm', '-f', name]));
});

test('bad port specs are clear errors and create nothing', { skip }, async () => {
  const count = () => d.berth(['ps', '-aq']).then((r) => out(r).split('\n').filter(Boolean).length);
  const n0 = await count();
  for (const cli of ['berth', 'docker'] as const) {
    expectFail(await d[cli](['run', '-d', '-p', '99999:80', 'busybox', 'true']), /invalid hostPort: 99999/i, `${cli} run -p 99999:80`);
    expectFail(await d[cli](['run', '-d', '-p', 'abc', 'busybox', 'true']), /invalid containerPort: abc/i, `${cli} run -p abc`);
    expectFail(
      await d[cli](['run', '-d', '-p', '127.0.0.1:8000-8001:80-82', 'busybox', 'true']),
      /invalid ranges|Invalid ranges/i,
      `${cli} run -p mismatched ranges`,
    );
  }
  assert.equal(await count(), n0, 'a bad -p created a container');
});

test('the API rejects a bad PortBindings at create, as Docker does (400, no container)', { skip }, async () => {
  const name = `cp-badapi-${tag}`;
  const r = await api(d.socket, 'POST', `/containers/create?name=${name}`, {
    Image: 'busybox',
    Cmd: ['true'],
    HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } },
  });
  await d.berth(['rm', '-f', name]);
  assert.equal(r.status, 400, `POST /containers/create with HostPort 99999: ${r.status} ${r.body}`);
});

test('a host port already taken is an error before start, with no partial state; freeing it lets the container start', { skip }, async () => {
  const port = randomPort();
  const srv = createServer();
  await new Promise<void>((res, rej) => srv.once('error', rej).listen(port, '127.0.0.1', () => res()));
  const { tag: ltag, table } = daemonIds(d.dataRoot);
  const linksBefore = taggedLinks(ltag).sort();
  const nsBefore = netnsFiles(d.dataRoot).sort();
  const name = `cp-taken-${tag}`;
  try {
    for (const [cli, n] of [
      ['berth', name],
      ['docker', `${name}-d`],
    ] as const) {
      expectFail(
        await d[cli](['run', '-d', '--name', n, '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']),
        /Bind for 127\.0\.0\.1:\d+ failed: port is already allocated/,
        `${cli} run on a taken port`,
      );
      assert.equal(out(await d.berth(['inspect', '-f', '{{.State.Running}}', n])), 'false', `${n} is running`);
    }
    assert.deepEqual(taggedLinks(ltag).sort(), linksBefore, 'veth links left by the failed start');
    assert.deepEqual(netnsFiles(d.dataRoot).sort(), nsBefore, 'netns left by the failed start');
    assert.doesNotMatch(nftTable(table), new RegExp(`dport ${port} `), 'DNAT rule left by the failed start');
  } finally {
    await new Promise((r) => srv.close(r));
  }
  out(await d.berth(['start', name]), 'start once the port is free');
  assert.ok((await httpGet(port, '/hostname')).length > 0);
  out(await d.berth(['rm', '-f', name, `${name}-d`]));
});

test('a container that exits on its own releases its port rule, namespace and veth; connect while stopped applies at start', { skip }, async () => {
  const [S] = freeSubnets(1);
  const net = `cp-ex-${tag}`;
  out(await d.berth(['network', 'create', '--subnet', `${S}.0/24`, net]));
  const { tag: ltag, table } = daemonIds(d.dataRoot);
  const port = randomPort();
  const name = `cp-exit-${tag}`;
  try {
    const linksBefore = taggedLinks(ltag).sort();
    // The first time it exits once the test has seen its rule (it waits for /go, 60 s at most: a
    // fixed sleep raced the checks on a loaded machine); started again it stays up (/ran stays).
    out(
      await d.berth([
        'run',
        '-d',
        '--name',
        name,
        '-p',
        `127.0.0.1:${port}:80`,
        'busybox',
        'sh',
        '-c',
        'httpd -p 80 -h /etc; [ -e /ran ] && exec sleep 3600; touch /ran; i=0; while [ ! -e /go ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done',
      ]),
      'run',
    );
    const id = out(await d.berth(['inspect', '-f', '{{.Id}}', name]));
    assert.match(nftTable(table), new RegExp(`dport ${port} dnat`), 'no DNAT rule while running');
    out(await d.berth(['exec', name, 'touch', '/go']), 'let it exit');
    const code = out(await d.berth(['wait', name]), 'wait');
    assert.equal(code, '0');
    let left = true;
    for (let i = 0; i < 30 && left; i++) {
      left = netnsFiles(d.dataRoot).includes(id) || new RegExp(`dport ${port} `).test(nftTable(table));
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(!left, 'netns or DNAT rule left after the container exited');
    assert.deepEqual(taggedLinks(ltag).sort(), linksBefore, 'veth left after the container exited');
    // Connected while stopped: at the next start it is on both networks, with the port again.
    out(await d.berth(['network', 'connect', net, name]), 'connect while stopped');
    out(await d.berth(['start', name]), 'start');
    const addrs = out(await d.berth(['exec', name, 'ip', '-o', '-4', 'addr']));
    assert.match(addrs, /eth0 /);
    assert.match(addrs, new RegExp(`eth1\\s+inet ${S.replace(/\./g, '\\.')}\\.`), addrs);
    assert.ok((await httpGet(port, '/hostname')).length > 0, 'port after restart of the container');
  } finally {
    await d.berth(['rm', '-f', name]);
    await d.berth(['network', 'rm', net]);
  }
});

// docker-compose 1.x creates each container on the project network, then (before starting it)
// disconnects and reconnects it with the service's aliases. Docker keeps the network mode on
// disconnect; the reconnect must work and the container must start on that network, reachable
// by its alias.
test('created container: disconnect from its only network, reconnect with an alias (docker-compose 1.x), start on it', { skip }, async () => {
  const [S] = freeSubnets(1);
  const net = `cp-dc-${tag}`;
  const name = `cp-dc-c-${tag}`;
  out(await d.berth(['network', 'create', '--subnet', `${S}.0/24`, net]));
  try {
    out(await d.docker(['create', '--name', name, '--network', net, 'busybox', 'sleep', '3600']), 'create');
    out(await d.docker(['network', 'disconnect', net, name]), 'disconnect the created container');
    out(await d.docker(['network', 'connect', '--alias', 'svc', net, name]), 'reconnect with an alias');
    assert.equal(out(await d.berth(['inspect', '-f', '{{.HostConfig.NetworkMode}}', name])), net);
    out(await d.berth(['start', name]), 'start');
    const ip = out(await d.berth(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, name]));
    assert.ok(ip.startsWith(`${S}.`), `address on ${net}: ${ip}`);
    const look = await d.berth(['run', '--rm', '--network', net, 'busybox', 'nslookup', 'svc']);
    assert.match(look.stdout, new RegExp(`Address: ${ip.replace(/\./g, '\\.')}$`, 'm'), `svc resolves to the container: ${look.stdout}${look.stderr}`);
    // A running container on no network still cannot join one (its namespace is not a sandbox).
    const lone = `cp-dc-none-${tag}`;
    out(await d.berth(['run', '-d', '--name', lone, '--network', 'none', 'busybox', 'sleep', '3600']), 'run --network none');
    expectFail(await d.berth(['network', 'connect', net, lone]), /host network|none/, 'connect a running --network none container');
  } finally {
    await d.berth(['rm', '-f', name, `cp-dc-none-${tag}`]);
    await d.berth(['network', 'rm', net]);
  }
});

test('removing everything leaves nothing; stopping the daemon removes its bridges and table', { skip }, async () => {
  const ids = out(await d.berth(['ps', '-aq']))
    .split('\n')
    .filter(Boolean);
  if (ids.length) out(await d.berth(['rm', '-f', ...ids]), 'rm -f all');
  const nets = out(await d.berth(['network', 'ls', '-q', '--filter', `name=${netC}`]))
    .split('\n')
    .filter(Boolean);
  if (nets.length) out(await d.berth(['network', 'rm', ...nets]), 'network rm');
  await assertNoContainerLeftovers(d.dataRoot, [d.bridge], 'after rm -f');
  const dataRoot = d.dataRoot;
  const bridge = d.bridge;
  await d.stop();
  assertNothingLeft(dataRoot, [bridge, ...(netCBridge ? [netCBridge] : [])]);
});
