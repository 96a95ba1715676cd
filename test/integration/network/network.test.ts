// Networks, published ports and volumes end to end through a real berthd: containers on a user
// network reach each other by name and alias, networks are isolated, published ports answer on
// the host's loopback, and volumes keep data. Traffic goes only to 127.0.0.1 and to containers
// this test made; every loop is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { useBusyboxDaemon, expectOk as ok } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { httpGet } from './net-helpers.js';

const skip = requiresRoot('bridges, namespaces, nftables');
const d = useBusyboxDaemon({ before, after }, skip);
const tag = `${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

/** This daemon's network namespaces (mounted under its data root) and veths (on its bridge). */
function hostState(): { links: string; netns: string } {
  const mounts = execFileSync('cat', ['/proc/self/mountinfo']).toString().split('\n');
  return {
    links: execFileSync('ip', ['-o', 'link', 'show', 'master', d.bridge]).toString(),
    netns: String(mounts.filter((l) => l.includes(' nsfs ') && l.includes(d.dataRoot)).length),
  };
}

test('containers on a user network reach each other by name and alias; other networks are isolated', { skip }, async () => {
  const net = `appnet-${tag}`;
  ok(await d.berth(['network', 'create', net]));
  ok(await d.berth(['run', '-d', '--name', `web-${tag}`, '--network', net, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']));
  ok(await d.berth(['run', '-d', '--name', `db-${tag}`, '--network', net, '--network-alias', 'database', 'busybox', 'sleep', '600']));
  const byName = ok(
    await d.berth([
      'run',
      '--rm',
      '--network',
      net,
      'busybox',
      'sh',
      '-c',
      `for i in 1 2 3 4 5 6 7 8 9 10; do timeout 2 wget -qO- http://web-${tag}/hostname && exit 0; sleep 0.2; done; exit 1`,
    ]),
  );
  const webId = (await d.berth(['inspect', '-f', '{{.Id}}', `web-${tag}`])).stdout.trim();
  assert.equal(byName.stdout.trim(), webId.slice(0, 12));
  const alias = ok(await d.berth(['run', '--rm', '--network', net, 'busybox', 'ping', '-c', '1', '-W', '2', 'database']));
  const dbIp = (await d.berth(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, `db-${tag}`])).stdout.trim();
  assert.match(dbIp, /^\d+\.\d+\.\d+\.\d+$/);
  assert.match(alias.stdout, new RegExp(`PING database \\(${dbIp.replace(/\./g, '\\.')}\\)`));

  const other = `other-${tag}`;
  ok(await d.berth(['network', 'create', other]));
  const isolated = await d.berth(['run', '--rm', '--network', other, 'busybox', 'sh', '-c', `timeout 2 wget -qO- http://${dbIp}/ || echo unreachable`]);
  assert.match(isolated.stdout, /unreachable/);
  // The default bridge has no embedded DNS, as in Docker: its resolv.conf names the daemon's --dns
  // (127.0.0.1 in tests, so no lookup leaves the machine).
  const noDns = ok(await d.berth(['run', '--rm', 'busybox', 'cat', '/etc/resolv.conf']));
  assert.match(noDns.stdout, /^nameserver 127\.0\.0\.1$/m);

  ok(await d.berth(['rm', '-f', `web-${tag}`, `db-${tag}`]));
  ok(await d.berth(['network', 'rm', net, other]));
  const ls = ok(await d.berth(['network', 'ls', '--format', '{{.Name}}'])).stdout.split('\n');
  assert.ok(!ls.includes(net) && ls.includes('bridge') && ls.includes('host') && ls.includes('none'));
});

test('published ports answer on 127.0.0.1; -P maps every EXPOSEd port; port and inspect report them', { skip }, async () => {
  const before = hostState();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const name = `pub-${tag}`;
  ok(await d.berth(['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']));
  const id = (await d.berth(['inspect', '-f', '{{.Id}}', name])).stdout.trim();
  assert.equal((await httpGet(port, '/hostname')).trim(), id.slice(0, 12));
  assert.equal(ok(await d.berth(['port', name])).stdout.trim(), `80/tcp -> 127.0.0.1:${port}`);
  const taken = await d.berth(['run', '-d', '--name', `taken-${tag}`, '-p', `127.0.0.1:${port}:80`, 'busybox', 'true']);
  assert.notEqual(taken.code, 0, 'a port in use is an error');
  await d.berth(['rm', '-f', `taken-${tag}`]);

  ok(await d.berth(['commit', '--change', 'EXPOSE 80/tcp 8125/udp', name, `exposer:${tag}`]));
  const all = `all-${tag}`;
  ok(await d.berth(['run', '-d', '--name', all, '-P', `exposer:${tag}`, 'httpd', '-f', '-p', '80', '-h', '/etc']));
  const ports = ok(await d.berth(['port', all])).stdout;
  const tcp = /80\/tcp -> 0\.0\.0\.0:(\d+)/.exec(ports);
  assert.ok(tcp, ports);
  assert.match(ports, /8125\/udp -> 0\.0\.0\.0:\d+/);
  const viaInspect = (await d.berth(['inspect', '-f', '{{(index (index .NetworkSettings.Ports "80/tcp") 0).HostPort}}', all])).stdout.trim();
  assert.equal(viaInspect, tcp[1]);
  assert.ok((await httpGet(Number(tcp[1]), '/hostname')).length > 0);

  ok(await d.berth(['rm', '-f', name, all]));
  ok(await d.berth(['rmi', `exposer:${tag}`]));
  // The ports are released and nothing of the containers' networking is left on the host.
  await assert.rejects(httpGet(port, '/', 2));
  const after = hostState();
  assert.equal(after.netns, before.netns, 'network namespaces left behind');
  const vethsBefore = before.links.split('\n').filter((l) => l.includes('veth')).length;
  assert.equal(after.links.split('\n').filter((l) => l.includes('veth')).length, vethsBefore, 'veth interfaces left behind');
});

test('volumes: data outlives its container, a new volume is filled from the image, rm -v removes anonymous ones', { skip }, async () => {
  const vol = `data-${tag}`;
  ok(await d.berth(['run', '--rm', '-v', `${vol}:/data`, 'busybox', 'sh', '-c', 'echo kept > /data/f']));
  assert.equal(ok(await d.berth(['run', '--rm', '-v', `${vol}:/data`, 'busybox', 'cat', '/data/f'])).stdout, 'kept\n');
  const etc = `etc-${tag}`;
  assert.match(ok(await d.berth(['run', '--rm', '-v', `${etc}:/etc`, 'busybox', 'cat', '/etc/passwd'])).stdout, /^root:x:0:0/);
  const c = `anon-${tag}`;
  ok(await d.berth(['run', '-d', '--name', c, '-v', '/scratch', '-v', `${vol}:/data`, 'busybox', 'sleep', '600']));
  const anon = (await d.berth(['inspect', '-f', '{{range .Mounts}}{{if eq .Destination "/scratch"}}{{.Name}}{{end}}{{end}}', c])).stdout.trim();
  assert.match(anon, /^[0-9a-f]{64}$/);
  const inUse = await d.berth(['volume', 'rm', vol]);
  assert.notEqual(inUse.code, 0);
  assert.match(inUse.stderr, /volume is in use/);
  ok(await d.berth(['rm', '-f', '-v', c]));
  const vols = ok(await d.berth(['volume', 'ls', '-q'])).stdout.split('\n');
  assert.ok(!vols.includes(anon), 'rm -v removed the anonymous volume');
  assert.ok(vols.includes(vol), 'named volumes stay');
  ok(await d.berth(['volume', 'rm', vol, etc]));
});
