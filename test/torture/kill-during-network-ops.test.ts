// Crash safety, CI mode of the torture driver (issue 13), the network's operations: berthd killed
// during compose up and compose down (each creates networks and connects containers); after each
// restart the checks of driver.ts (no netns, veth, bridge, cgroup or DNAT rule beyond what
// survives; running containers re-adopted with the same pid) and the retry succeeds.
// Also network create+connect: a `network connect` killed between the sandbox change and the
// container record's update once left the two disagreeing (found by the bench, seed 2605705335);
// recovery now drops sandbox endpoints the record does not list (`dropStrayEndpoints`).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBusyboxDaemon, expectOk } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { ciTorture } from './driver.js';
import { settledLeaks } from './host-state.js';

const skip = requiresRoot('SIGKILL of a real berthd, overlayfs, crun, nftables');
const d = useBusyboxDaemon({ before, after }, skip);

test('SIGKILL during network create+connect, compose up and compose down: nothing leaks, every retry succeeds', { skip, timeout: 300_000 }, async () => {
  const { tally, seed } = await ciTorture(d, ['network create+connect', 'compose up', 'compose down']);
  assert.deepEqual(tally.failures, [], `seed ${seed}`);
  assert.deepEqual(tally.leaks, [], `seed ${seed}`);
  assert.ok(tally.kills > 0 && tally.objectsChecked > 0);
});

// The "upgrade" of issue 13: the old berthd killed, a new one started on the same data root.
// Everything is re-adopted: the container keeps running (same pid), its published port still
// answers, exec and logs work (lines written while no daemon ran are there), its user network
// and volume are still its own, and its stop is recorded with the real exit code.
test('a berthd killed and a new one started on the same data root re-adopt a running container whole', { skip, timeout: 120_000 }, async () => {
  expectOk(await d.berth(['network', 'create', 'upg-net']));
  const script =
    'mkdir -p /www && echo upgraded > /www/index.html && httpd -p 80 -h /www; trap "exit 3" TERM; i=0; while :; do i=$((i+1)); echo tick$i; echo $i > /data/n; sleep 0.2; done';
  const id = expectOk(
    await d.berth(['run', '-d', '--name', 'upg', '--network', 'upg-net', '-p', '127.0.0.1::80', '-v', 'upg-vol:/data', 'busybox', 'sh', '-c', script]),
  ).stdout.trim();
  const pid = expectOk(await d.berth(['inspect', '-f', '{{.State.Pid}}', id])).stdout.trim();
  const port = expectOk(await d.berth(['port', id, '80'])).stdout.trim();
  await d.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 1500)); // the container goes on writing with no daemon
  await d.start();
  assert.equal(expectOk(await d.berth(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', id])).stdout.trim(), `running ${pid}`);
  const res = await fetch(`http://${port}/`, { signal: AbortSignal.timeout(10_000) });
  assert.equal((await res.text()).trim(), 'upgraded');
  const n = Number(expectOk(await d.berth(['exec', id, 'cat', '/data/n'])).stdout.trim());
  const logs = expectOk(await d.berth(['logs', id])).stdout;
  for (let i = 1; i < n; i++) assert.ok(logs.includes(`tick${i}\n`), `tick${i} (written up to ${n}) is missing from the logs`);
  const nets = JSON.parse(expectOk(await d.berth(['inspect', '-f', '{{json .NetworkSettings.Networks}}', id])).stdout);
  assert.ok(nets['upg-net']?.IPAddress, 'the container lost its address on upg-net');
  expectOk(await d.berth(['stop', '-t', '10', id]));
  assert.equal(expectOk(await d.berth(['inspect', '-f', '{{.State.ExitCode}}', id])).stdout.trim(), '3');
  expectOk(await d.berth(['rm', '-v', id]));
  expectOk(await d.berth(['network', 'rm', 'upg-net']));
  expectOk(await d.berth(['volume', 'rm', 'upg-vol']));
});

// The same upgrade with a compose project: two services on the project network (a published port,
// a named volume) are re-adopted, not recreated: same pids, the port answers, service names resolve
// through the new daemon's DNS, a second `up -d` changes nothing, and `down -v` leaves nothing.
test('a berthd killed and a new one started on the same data root re-adopt a compose project whole', { skip, timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-upgrade-compose-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'compose.yaml');
  await writeFile(
    file,
    `services:
  web:
    image: busybox
    command: ["sh", "-c", "mkdir -p /www && echo from-web > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1::80"]
    volumes: ["data:/data"]
  worker:
    image: busybox
    command: ["sh", "-c", "trap 'exit 5' TERM; while :; do sleep 0.2; done"]
volumes:
  data: {}
`,
  );
  const compose = (...args: string[]) => d.berth(['compose', '-p', 'upgc', '-f', file, ...args], { timeoutMs: 120_000 });
  const state = async () => {
    const ids = expectOk(await d.berth(['ps', '-aq', '--no-trunc', '--filter', 'label=com.docker.compose.project=upgc']))
      .stdout.trim()
      .split('\n')
      .sort();
    // One line per container, sorted by name (the ids, and so inspect's order, are random).
    const lines = expectOk(await d.berth(['inspect', '-f', '{{.Name}} {{.Id}} {{.State.Status}} {{.State.Pid}}', ...ids]))
      .stdout.trim()
      .split('\n');
    return lines.sort().join('\n');
  };
  expectOk(await compose('up', '-d'));
  const before = await state();
  assert.match(before, /upgc-web-1 \w+ running \d+\n.*upgc-worker-1 \w+ running \d+/);
  const port = expectOk(await compose('port', 'web', '80')).stdout.trim();
  const get = async () => (await (await fetch(`http://${port}/`, { signal: AbortSignal.timeout(10_000) })).text()).trim();
  assert.equal(await get(), 'from-web');

  await d.kill('SIGKILL');
  assert.equal(await get(), 'from-web', 'the published port stops answering while no daemon runs');
  await d.start();

  assert.equal(await state(), before, 'the project was not re-adopted as it was (ids, states, pids)');
  assert.equal(await get(), 'from-web', 'the published port after the restart');
  const viaName = expectOk(await compose('exec', '-T', 'worker', 'sh', '-c', 'timeout 5 wget -qO- http://web/'));
  assert.equal(viaName.stdout.trim(), 'from-web', 'the service name through the new daemon');
  const again = expectOk(await compose('up', '-d'));
  assert.doesNotMatch(again.stderr, /Creat|Recreat|Start/, `a second up after the restart did something: ${again.stderr}`);
  assert.equal(await state(), before, 'the second up changed the project');
  const ps = expectOk(await compose('ps', '--format', '{{.Service}} {{.State}}'))
    .stdout.trim()
    .split('\n')
    .sort();
  assert.deepEqual(ps, ['web running', 'worker running']);

  expectOk(await compose('down', '-v', '-t', '5'));
  assert.equal(expectOk(await d.berth(['ps', '-aq', '--filter', 'label=com.docker.compose.project=upgc'])).stdout.trim(), '');
  assert.notEqual((await d.berth(['network', 'inspect', 'upgc_default'])).code, 0, 'down left the project network');
  assert.notEqual((await d.berth(['volume', 'inspect', 'upgc_data'])).code, 0, 'down -v left the volume');
  assert.deepEqual(await settledLeaks(d), []);
});
