// `network create` options and per-container network settings end to end through a real berthd,
// with both the berth CLI and the real docker CLI: subnet/gateway/ip-range, overlap and name
// conflicts, --internal isolation, static --ip, --mac-address, the MTU option, the host/none/
// container: modes, and /etc/hosts + /etc/resolv.conf. Traffic goes only to 127.0.0.1 and to
// containers this file made; the last test stops the daemon and checks nothing is left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useBusyboxDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { api, expectFail, freeSubnets, httpGet, out, randomPort } from './net-helpers.js';
import { assertNoContainerLeftovers, assertNothingLeft, netnsFiles } from './leftovers.js';

const skip = requiresRoot('bridges, namespaces, nftables');
const d = useBusyboxDaemon({ before, after }, skip);
const tag = `${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
const [A, I, M, U] = skip ? [] : freeSubnets(4); // "10.25x.y" prefixes
const netA = `opt-a-${tag}`;
const netI = `opt-int-${tag}`;
const netM = `opt-mtu-${tag}`;
const netU = `opt-u-${tag}`;
const bridges: string[] = [];

async function bridgeOf(net: string): Promise<string> {
  const id = out(await d.berth(['network', 'inspect', '-f', '{{.Id}}', net]), `inspect ${net}`);
  return `br-${id.slice(0, 12)}`;
}

async function ipOn(container: string, net: string): Promise<string> {
  return out(await d.berth(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, container]), `inspect ${container}`);
}

test('network create: subnet, gateway and ip-range are used; overlaps and existing names are errors', { skip }, async () => {
  out(await d.berth(['network', 'create', '--subnet', `${A}.0/24`, '--gateway', `${A}.254`, '--ip-range', `${A}.128/25`, netA]), 'create netA');
  bridges.push(await bridgeOf(netA));
  const ipam = JSON.parse(out(await d.docker(['network', 'inspect', '-f', '{{json .IPAM.Config}}', netA])));
  assert.deepEqual(ipam, [{ Subnet: `${A}.0/24`, Gateway: `${A}.254`, IPRange: `${A}.128/25` }]);

  const inside = out(await d.berth(['run', '--rm', '--network', netA, 'busybox', 'sh', '-c', 'ip -o -4 addr show eth0; ip route']), 'run on netA');
  const ip = /inet (\d+\.\d+\.\d+\.(\d+))\/24/.exec(inside);
  assert.ok(ip, inside);
  assert.ok(Number(ip[2]) >= 128 && Number(ip[2]) < 254, `dynamic address ${ip[1]} outside --ip-range ${A}.128/25`);
  assert.match(inside, new RegExp(`default via ${A.replace(/\./g, '\\.')}\\.254`), `no default route via the --gateway:\n${inside}`);

  for (const cli of ['berth', 'docker'] as const) {
    const same = await d[cli](['network', 'create', '--subnet', `${A}.0/24`, `opt-dup-${tag}`]);
    expectFail(same, /Pool overlaps with other one on this address space/, `${cli} network create with netA's subnet`);
    const wider = await d[cli](['network', 'create', '--subnet', `${A.split('.').slice(0, 2).join('.')}.0.0/16`, `opt-dup-${tag}`]);
    expectFail(wider, /Pool overlaps with other one on this address space/, `${cli} network create with a /16 around netA`);
    expectFail(await d[cli](['network', 'create', netA]), /network with name .* already exists/, `${cli} network create ${netA} again`);
  }
  const r = await api(d.socket, 'POST', '/networks/create', { Name: netA });
  assert.equal(r.status, 409, `POST /networks/create with an existing name: ${r.status} ${r.body}`);
  assert.ok(
    !out(await d.berth(['network', 'ls', '--format', '{{.Name}}']))
      .split('\n')
      .includes(`opt-dup-${tag}`),
    'a failed create left a network',
  );
});

test('--internal: no default route, no way to another network or to the host published ports; same network still works', { skip }, async () => {
  out(await d.berth(['network', 'create', '--internal', '--subnet', `${I}.0/24`, netI]), 'create internal');
  bridges.push(await bridgeOf(netI));
  const port = randomPort();
  // Published on 127.0.0.1 (control, from the host) and on the internal network's own gateway address.
  const web = `opt-web-${tag}`;
  out(
    await d.berth([
      'run',
      '-d',
      '--name',
      web,
      '--network',
      netA,
      '-p',
      `127.0.0.1:${port}:80`,
      '-p',
      `${I}.1:${port}:80`,
      'busybox',
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/etc',
    ]),
    'run web',
  );
  const webIp = await ipOn(web, netA);
  assert.ok((await httpGet(port, '/hostname')).length > 0, 'control: the published port answers from the host');
  // Control: a container on a normal network reaches the port published on the internal gateway.
  const ctl = await d.berth(['run', '--rm', '--network', netA, 'busybox', 'sh', '-c', `timeout 3 wget -qO- http://${I}.1:${port}/hostname && echo REACHED`]);
  assert.match(ctl.stdout, /REACHED/, `control from netA to ${I}.1:${port} failed: ${ctl.stderr}`);

  out(await d.berth(['run', '-d', '--name', `opt-ipeer-${tag}`, '--network', netI, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']), 'run internal peer');
  const probe = [
    'ip route',
    `timeout 3 wget -qO- http://${webIp}/hostname && echo OTHERNET-REACHED`,
    `timeout 3 wget -qO- http://${I}.1:${port}/hostname && echo PUBLISHED-REACHED`,
    `timeout 3 wget -qO- http://opt-ipeer-${tag}/hostname >/dev/null && echo PEER-REACHED`,
    'true',
  ].join('; ');
  const r = await d.berth(['run', '--rm', '--network', netI, 'busybox', 'sh', '-c', probe]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /^default/m, `internal network has a default route:\n${r.stdout}`);
  assert.doesNotMatch(r.stdout, /OTHERNET-REACHED/, 'internal container reached a container of another network');
  assert.doesNotMatch(r.stdout, /PUBLISHED-REACHED/, 'internal container reached a host published port');
  assert.match(r.stdout, /PEER-REACHED/, `internal containers must reach each other by name:\n${r.stdout}\n${r.stderr}`);
  out(await d.berth(['rm', '-f', web, `opt-ipeer-${tag}`]), 'rm');
});

test('static --ip: inspect and the interface show it; a second container asking for it fails clearly and leaves nothing', { skip }, async () => {
  const s1 = `opt-st1-${tag}`;
  const s2 = `opt-st2-${tag}`;
  out(await d.berth(['run', '-d', '--name', s1, '--network', netA, '--ip', `${A}.10`, 'busybox', 'sleep', '3600']), 'run --ip');
  assert.equal(await ipOn(s1, netA), `${A}.10`);
  assert.equal(out(await d.berth(['inspect', '-f', `{{(index .NetworkSettings.Networks "${netA}").IPAMConfig.IPv4Address}}`, s1])), `${A}.10`);
  assert.match(out(await d.berth(['exec', s1, 'ip', '-o', '-4', 'addr', 'show', 'eth0'])), new RegExp(`inet ${A.replace(/\./g, '\\.')}\\.10/24`));
  const netnsBefore = netnsFiles(d.dataRoot).length;
  expectFail(
    await d.docker(['run', '-d', '--name', s2, '--network', netA, '--ip', `${A}.10`, 'busybox', 'sleep', '3600']),
    /Address already in use/,
    'docker run with a taken --ip',
  );
  assert.notEqual(out(await d.berth(['inspect', '-f', '{{.State.Status}}', s2])), 'running');
  assert.equal(netnsFiles(d.dataRoot).length, netnsBefore, 'the failed start left a network namespace');
  expectFail(await d.berth(['run', '-d', '--network', netA, '--ip', `${A}.300`, 'busybox', 'true']), /invalid|IP/i, 'berth run --ip 300');
  expectFail(
    await d.berth(['run', '--rm', '--ip', `${A}.11`, 'busybox', 'true']),
    /user specified IP address is supported on user defined networks only/,
    '--ip on the default bridge',
  );
  out(await d.berth(['rm', '-f', s1, s2]), 'rm');
});

test('--mac-address through the docker CLI sets eth0 and inspect', { skip }, async () => {
  const mac = '02:aa:bb:cc:dd:01';
  const name = `opt-mac-${tag}`;
  out(await d.docker(['run', '-d', '--name', name, '--network', netA, '--mac-address', mac, 'busybox', 'sleep', '3600']), 'docker run --mac-address');
  assert.equal(out(await d.berth(['exec', name, 'cat', '/sys/class/net/eth0/address'])), mac);
  assert.equal(out(await d.berth(['inspect', '-f', `{{(index .NetworkSettings.Networks "${netA}").MacAddress}}`, name])), mac);
  out(await d.berth(['rm', '-f', name]));
});

test('--mac-address through the berth CLI sets eth0 (user network and default bridge)', { skip }, async () => {
  const a = out(await d.berth(['run', '--rm', '--network', netA, '--mac-address', '02:aa:bb:cc:dd:02', 'busybox', 'cat', '/sys/class/net/eth0/address']));
  const b = out(await d.berth(['run', '--rm', '--mac-address', '02:aa:bb:cc:dd:03', 'busybox', 'cat', '/sys/class/net/eth0/address']));
  assert.deepEqual([a, b], ['02:aa:bb:cc:dd:02', '02:aa:bb:cc:dd:03'], 'berth run --mac-address ignored');
});

test('-o com.docker.network.driver.mtu=1400: the container interface has mtu 1400', { skip }, async () => {
  out(await d.docker(['network', 'create', '--subnet', `${M}.0/24`, '-o', 'com.docker.network.driver.mtu=1400', netM]), 'create mtu net');
  bridges.push(await bridgeOf(netM));
  const link = out(await d.berth(['run', '--rm', '--network', netM, 'busybox', 'ip', 'link', 'show', 'eth0']));
  assert.match(link, /mtu 1400 /, link);
  assert.equal(out(await d.docker(['network', 'inspect', '-f', '{{index .Options "com.docker.network.driver.mtu"}}', netM])), '1400');
  expectFail(await d.berth(['network', 'create', '-o', 'com.docker.network.driver.mtu=abc', `opt-badmtu-${tag}`]), /MTU/i, 'bad mtu');
});

test('--network host sees the host interfaces, none only lo, container:<other> the other IP', { skip }, async () => {
  const hostLinks = readFileSync('/proc/net/dev', 'utf8');
  const inHost = out(await d.berth(['run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link']));
  assert.match(inHost, new RegExp(`: ${d.bridge}: `), `host mode does not see the daemon bridge ${d.bridge}:\n${inHost}`);
  assert.ok(hostLinks.includes(`${d.bridge}:`));
  const none = out(await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']));
  assert.deepEqual(
    none.split('\n').map((l) => l.split(': ')[1]),
    ['lo'],
    none,
  );
  const other = `opt-other-${tag}`;
  out(await d.berth(['run', '-d', '--name', other, '--network', netA, 'busybox', 'sleep', '3600']), 'run other');
  const ip = await ipOn(other, netA);
  const joined = out(await d.docker(['run', '--rm', '--network', `container:${other}`, 'busybox', 'ip', '-o', '-4', 'addr', 'show', 'eth0']));
  assert.match(joined, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`), joined);
  expectFail(await d.berth(['run', '--rm', '--network', 'container:nosuch-' + tag, 'busybox', 'true']), /No such container|not found/i, 'container: unknown');
  out(await d.berth(['rm', '-f', other]));
});

test('container:<other> takes the other container hostname (Docker copies Config.Hostname and the etc files)', { skip }, async () => {
  const other = `opt-oth1-${tag}`;
  out(await d.berth(['run', '-d', '--name', other, '--network', netA, 'busybox', 'sleep', '3600']), 'run other');
  try {
    const want = out(await d.berth(['exec', other, 'hostname']));
    const got = out(await d.berth(['run', '--rm', '--network', `container:${other}`, 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname']));
    assert.equal(got, `${want}\n${want}`, 'hostname and /etc/hostname in container: mode');
  } finally {
    await d.berth(['rm', '-f', other]);
  }
});

test('container:<other> refuses --hostname and -p, as Docker (validateNetMode) does', { skip }, async () => {
  const other = `opt-oth2-${tag}`;
  out(await d.berth(['run', '-d', '--name', other, '--network', netA, 'busybox', 'sleep', '3600']), 'run other');
  try {
    expectFail(
      await d.docker(['run', '--rm', '--network', `container:${other}`, '--hostname', 'foo', 'busybox', 'true']),
      /conflicting options: hostname and the network mode/,
      '--hostname with container:',
    );
    expectFail(
      await d.docker(['run', '--rm', '--network', `container:${other}`, '-p', '127.0.0.1:1:80', 'busybox', 'true']),
      /conflicting options: port publishing and the container type network mode/,
      '-p with container:',
    );
  } finally {
    await d.berth(['rm', '-f', other]);
  }
});

function nameservers(text: string): string[] {
  return text
    .split('\n')
    .map((l) => /^nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => !!x);
}

test("/etc/resolv.conf: the daemon's --dns on the default bridge, the embedded DNS on a user network; --dns replaces them", { skip }, async () => {
  // TestDaemon runs berthd with --dns 127.0.0.1 (no lookup may leave the machine in tests).
  const onBridge = out(await d.berth(['run', '--rm', 'busybox', 'cat', '/etc/resolv.conf']));
  assert.deepEqual(nameservers(onBridge), ['127.0.0.1']);
  const onUser = out(await d.berth(['run', '--rm', '--network', netA, 'busybox', 'cat', '/etc/resolv.conf']));
  assert.deepEqual(nameservers(onUser), [`${A}.254`], 'user network: nameserver is the embedded DNS on the gateway');
  const dnsBridge = out(await d.docker(['run', '--rm', '--dns', '9.9.9.9', 'busybox', 'cat', '/etc/resolv.conf']));
  assert.deepEqual(nameservers(dnsBridge), ['9.9.9.9']);
});

test('--dns on a user network keeps the embedded DNS as nameserver (it forwards to 9.9.9.9), so names still resolve', { skip }, async () => {
  const conf = out(await d.docker(['run', '--rm', '--network', netA, '--dns', '9.9.9.9', 'busybox', 'cat', '/etc/resolv.conf']));
  assert.deepEqual(nameservers(conf), [`${A}.254`], `Docker keeps its embedded resolver with --dns on user networks; got:\n${conf}`);
});

test('/etc/hosts and hostname: own IP -> hostname, --add-host, --hostname; default bridge and user network', { skip }, async () => {
  for (const net of ['bridge', netU]) {
    if (net === netU) {
      out(await d.berth(['network', 'create', '--subnet', `${U}.0/24`, netU]));
      bridges.push(await bridgeOf(netU));
    }
    const name = `opt-h-${net === 'bridge' ? 'b' : 'u'}-${tag}`;
    out(
      await d.berth(['run', '-d', '--name', name, '--network', net, '--add-host', 'x:1.2.3.4', '--hostname', 'myhost', 'busybox', 'sleep', '3600']),
      `run on ${net}`,
    );
    const ip = await ipOn(name, net);
    const hosts = out(await d.berth(['exec', name, 'cat', '/etc/hosts']));
    assert.match(hosts, /^1\.2\.3\.4\s+x$/m, hosts);
    assert.match(hosts, new RegExp(`^${ip.replace(/\./g, '\\.')}\\s+myhost(\\s|$)`, 'm'), `own IP ${ip} -> myhost missing on ${net}:\n${hosts}`);
    assert.match(hosts, /^127\.0\.0\.1\s+localhost/m);
    assert.equal(out(await d.berth(['exec', name, 'hostname'])), 'myhost');
    assert.equal(out(await d.berth(['exec', name, 'cat', '/etc/hostname'])), 'myhost');
    out(await d.berth(['rm', '-f', name]));
  }
});

test('removing everything leaves no veth, namespace or rule; stopping the daemon leaves nothing at all', { skip }, async () => {
  const ids = out(await d.berth(['ps', '-aq']))
    .split('\n')
    .filter(Boolean);
  if (ids.length) out(await d.berth(['rm', '-f', ...ids]), 'rm -f all');
  out(await d.berth(['network', 'rm', netA, netI, netM, netU]), 'network rm');
  for (const b of bridges) assert.ok(!readFileSync('/proc/net/dev', 'utf8').includes(`${b}:`), `bridge ${b} left after network rm`);
  await assertNoContainerLeftovers(d.dataRoot, [d.bridge], 'after rm -f and network rm');
  const dataRoot = d.dataRoot;
  const defaultBridge = d.bridge;
  await d.stop();
  assertNothingLeft(dataRoot, [defaultBridge, ...bridges]);
});
