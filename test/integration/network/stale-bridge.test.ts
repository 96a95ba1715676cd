// Issue 13's first gap, end to end: a berthd is killed with -9 and its data root deleted; its
// bridge and nftables table stay behind (by design). The next berthd reusing that bridge name
// must adopt the bridge's address (dockerd adopts docker0's) or, given another --bip, reset it,
// and must remove the dead daemon's table, whose DNAT rule would otherwise still catch the port
// the new daemon publishes. Tables of a live daemon, or of unknown owners, are never removed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { TestDaemon, cleanupHost } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { freeSubnets, httpGet, out, randomPort } from './net-helpers.js';
import { daemonIds, linkExists, nftTable } from './leftovers.js';
import { processStartTime } from '../../../src/network/table-owner.js';

const skip = requiresRoot('bridges, nftables');
const started: TestDaemon[] = [];
const fakeTables: string[] = [];
after(async () => {
  for (const d of started) await d.stop().catch(() => {});
  for (const t of fakeTables) execFileSync('nft', ['-f', '-'], { input: `add table ip ${t}\ndelete table ip ${t}\n` });
});

/** A daemon on `bridge` with busybox, serving its hostname on 127.0.0.1:port; returns the container's short id. */
async function serve(d: TestDaemon, port: number): Promise<string> {
  await d.importBusybox();
  out(await d.berth(['run', '-d', '-p', `127.0.0.1:${port}:80`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']), 'run httpd');
  const id = out(await d.berth(['ps', '-q'])).split('\n')[0]!;
  assert.equal((await httpGet(port, '/hostname')).trim(), id, 'published port answers');
  return id;
}

/** kill -9 the daemon, then its containers (as a reboot-less "rm -rf the data root" leaves it), then the data root. */
async function crashAndDeleteRoot(d: TestDaemon): Promise<void> {
  const pids = out(await d.berth(['ps', '-q']))
    .split('\n')
    .filter(Boolean);
  const procs = [];
  for (const id of pids) procs.push(Number(out(await d.berth(['inspect', '-f', '{{.State.Pid}}', id]))));
  await d.kill('SIGKILL');
  for (const p of procs) process.kill(p, 'SIGKILL');
  await cleanupHost(d.dataRoot, d.cgroupParent);
  await rm(d.dataRoot, { recursive: true, force: true, maxRetries: 5 });
}

function bridgeAddrs(bridge: string): string[] {
  const j = JSON.parse(execFileSync('ip', ['-j', '-4', 'addr', 'show', 'dev', bridge]).toString()) as { addr_info: { local: string; prefixlen: number }[] }[];
  return j.flatMap((l) => l.addr_info).map((a) => `${a.local}/${a.prefixlen}`);
}

/** A berth_* table with the given comment (none: an older Berth's table). */
function fakeTable(comment?: string): string {
  const t = `berth_${randomBytes(4).toString('hex')}`;
  execFileSync('nft', ['-f', '-'], { input: `table ip ${t} {\n${comment ? `  comment "${comment}"\n` : ''}}\n` });
  fakeTables.push(t);
  return t;
}

test('after kill -9 and deleting the data root, a new berthd adopts the bridge, drops the dead table and its published port works', { skip }, async () => {
  const a = await TestDaemon.create();
  started.push(a);
  await a.start();
  const port = randomPort();
  await serve(a, port);
  const oldTable = daemonIds(a.dataRoot).table;
  await crashAndDeleteRoot(a);
  assert.ok(linkExists(a.bridge) && nftTable(oldTable), 'the bridge and table outlive the daemon (by design)');

  // Other owners' tables: a live process's (its data root is gone too), a dead one's, and one without a comment.
  const selfStart = await processStartTime(process.pid);
  const live = fakeTable(`berth pid=${process.pid} start=${selfStart} state=/nonexistent/${randomBytes(4).toString('hex')}/network`);
  const dead = fakeTable(`berth pid=${process.pid} start=1 state=/nonexistent/${randomBytes(4).toString('hex')}/network`);
  const unknown = fakeTable();

  // No --bip: the new daemon takes the bridge's address as it is.
  const b = await TestDaemon.create({ bridge: a.bridge });
  started.push(b);
  await b.start([], { bip: false });
  const gw = a.bip.replace(/\.0\/24$/, '.1');
  assert.equal(out(await b.berth(['network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}', 'bridge'])), `${a.bip} ${gw}`);
  assert.deepEqual(bridgeAddrs(a.bridge), [`${gw}/24`]);
  assert.equal(nftTable(oldTable), '', 'the dead daemon table is removed');
  assert.ok(nftTable(live), 'the table of a live process is kept');
  assert.ok(nftTable(unknown), 'a table without an owner comment is kept');
  assert.equal(nftTable(dead), '', 'a table whose owner and state dir are gone is removed');
  assert.match(nftTable(daemonIds(b.dataRoot).table), /comment "berth pid=\d+ start=\d+ state=.*\/network"/);

  // The same host port again: only the new daemon's rule may catch it.
  const id = await serve(b, port);
  const inside = out(await b.berth(['exec', id, 'ip', '-o', '-4', 'addr', 'show', 'eth0']));
  assert.match(inside, new RegExp(`inet ${a.bip.replace(/\.0\/24$/, '').replace(/\./g, '\\.')}\\.`), 'the container is in the adopted subnet');

  // Again, now with another --bip: the bridge is reset to it (one address, the new one).
  await crashAndDeleteRoot(b);
  const c = await TestDaemon.create({ bridge: a.bridge });
  started.push(c);
  const [s] = freeSubnets(1);
  await c.start([], { bip: `${s}.0/24` });
  assert.deepEqual(bridgeAddrs(a.bridge), [`${s}.1/24`]);
  assert.equal(nftTable(daemonIds(b.dataRoot).table), '');
  await serve(c, port);
});
