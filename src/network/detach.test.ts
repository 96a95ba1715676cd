// The fast detach (root, real namespaces, bridge, nftables): the sandbox is forgotten at once and
// the kernel objects follow in the background; a crash in between is finished by recover(); the
// same container can attach again right away. Names include the run id; all is removed at the end.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { NetworkManager } from './network-manager.js';
import { listTable } from './ruleset.js';
import { taggedLinks } from './link.js';
import { mountedNetns } from './netns.js';
import { nftInProcess } from './nft.js';
import { requiresRoot } from '../../test/support/requires-root.js';

const run = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 5)}`;
const skip = requiresRoot();
let dir = '';
const managers: NetworkManager[] = [];
const holders: ChildProcess[] = [];

after(async () => {
  for (const h of holders) h.kill('SIGKILL');
  for (const m of managers.reverse()) {
    await m.purge().catch(() => {});
    await m.close().catch(() => {});
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function open(): Promise<NetworkManager> {
  const m = await NetworkManager.open({
    stateDir: join(dir, 'state'),
    netnsDir: join(dir, 'netns'),
    tableName: `bd_${run}`,
    defaultBridge: `bd${run}0`,
    dnsUpstreams: ['127.0.0.1:9'],
  });
  managers.push(m);
  return m;
}

const veths = async (m: NetworkManager) => (await taggedLinks(m.tag)).filter((l) => l !== `bd${run}0`).sort();

test('detach forgets the sandbox at once; the veth and netns file go in the background', { skip }, async () => {
  dir = await mkdtemp(join(tmpdir(), `berth-detach-${run}-`));
  const m = await open();
  await m.recover(() => false);
  assert.ok(nftInProcess(), 'libnftables should load through koffi on this machine');
  const id = 'd1' + run;
  const r = await m.attach(id, { containerName: 'd1', networks: [{ name: 'bridge' }], portBindings: { '80/tcp': [{ hostIp: '127.0.0.1', hostPort: '' }] } });
  const port = r.ports['80/tcp']![0]!.hostPort;
  assert.equal((await veths(m)).length, 1);
  assert.match(await listTable(`bd_${run}`), new RegExp(`dport ${port} dnat`));
  await m.detach(id);
  assert.equal(m.info(id), undefined, 'sandbox forgotten');
  assert.doesNotMatch(await listTable(`bd_${run}`), new RegExp(`dport ${port} `), 'port rule gone when detach returns');
  assert.deepEqual(await mountedNetns(join(dir, 'netns')), [], 'namespace unmounted when detach returns');
  // Same id again at once: waits for the pending teardown that owns its names.
  const again = await m.attach(id, { containerName: 'd1', networks: [{ name: 'bridge' }] });
  assert.notEqual(again.endpoints[0]!.ip, r.endpoints[0]!.ip, 'the released address is not reused at once');
  await m.detach(id);
  await m.close(); // waits for the background part
  assert.deepEqual(await veths(m), [], 'veth left after close');
  assert.deepEqual(await readdir(join(dir, 'netns')), [], 'netns file left after close');
});

test('kill -9 during the background teardown: recover() removes the veth, netns file and lease', { skip }, async () => {
  const m = await open();
  await m.recover(() => false);
  const id = 'd2' + run;
  const r = await m.attach(id, { containerName: 'd2', networks: [{ name: 'bridge' }] });
  const nsPath = (r.netns as { path: string }).path;
  // A process holding the namespace keeps the kernel from destroying it, so the teardown stays
  // pending (as if berthd died right after detach) while a "restarted" manager recovers.
  const holder = spawn('nsenter', [`--net=${nsPath}`, 'sleep', '30'], { stdio: 'ignore' });
  holders.push(holder);
  await new Promise((res) => setTimeout(res, 100));
  await m.detach(id);
  await new Promise((res) => setTimeout(res, 50)); // its lazy IPAM write lands (m2 must not race it)
  assert.equal((await veths(m)).length, 1, 'the held namespace keeps its veth for now');
  assert.ok(existsSync(nsPath), 'netns file still there while the teardown is pending');
  const m2 = await open();
  await m2.recover(() => false);
  assert.deepEqual(await veths(m2), [], 'recover removed the leftover veth');
  assert.deepEqual(await readdir(join(dir, 'netns')), [], 'recover removed the netns file');
  const net = m2.inspect('bridge');
  assert.deepEqual(net.containers, []);
  const fresh = await m2.attach('d3' + run, { containerName: 'd3', networks: [{ name: 'bridge' }] });
  assert.notEqual(fresh.endpoints[0]!.ip, r.endpoints[0]!.ip);
  await m2.detach('d3' + run);
  holder.kill('SIGKILL');
  await m.close();
  await m2.close();
  assert.deepEqual(await veths(m2), []);
});
