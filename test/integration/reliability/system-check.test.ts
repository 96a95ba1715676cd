// `berth system check [--repair]` on a store corrupted on purpose: bytes flipped in a layer's
// tar blob and in an image config, a layer's diff directory deleted, a stopped container's
// snapshot deleted (a dangling record), beside a running container that must be left alone.
// The check reports each with the right consequence; --repair moves them under the data root's
// quarantine and removes the records naming them; the next check is clean and the daemon still
// runs containers from the sound image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, rmSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { useBusyboxDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { chainIds } from '../../../src/lib/chain-id.js';
import type { Digest } from '../../../src/lib/digest.js';
import type { SystemCheck } from '../../../src/api/types/system.js';

const skip = requiresRoot('overlayfs, crun');
const d = useBusyboxDaemon({ before: (fn) => test.before(fn), after: (fn) => test.after(fn) }, skip);

const hex = (digest: string) => digest.replace(/^sha256:/, '');
const blob = (digest: string) => join(d.dataRoot, 'content', 'blobs', 'sha256', hex(digest));
const layerDir = (chainId: string) => join(d.dataRoot, 'overlay', 'layers', hex(chainId));

function flipByte(path: string, at = 100): void {
  const b = readFileSync(path);
  b[at % b.length] = b[at % b.length]! ^ 0xff;
  writeFileSync(path, b);
}

async function check(args: string[] = []): Promise<{ code: number; report: SystemCheck }> {
  const r = await d.berth(['system', 'check', ...args, '--format', '{{json .}}']);
  assert.ok(r.code === 0 || r.code === 1, `system check: exit ${r.code}\n${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as SystemCheck };
}

async function id(ref: string): Promise<string> {
  return expectOk(await d.berth(['inspect', '-f', '{{.Id}}', ref])).stdout.trim();
}

async function commitImage(tag: string): Promise<{ id: string; chains: Digest[] }> {
  const c = `sc-${tag}`;
  expectOk(await d.berth(['run', '--name', c, 'busybox', 'sh', '-c', `echo ${tag} > /marker`]));
  expectOk(await d.berth(['commit', c, `sc-${tag}:latest`]));
  expectOk(await d.berth(['rm', c]));
  const diffIds = JSON.parse(expectOk(await d.berth(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', `sc-${tag}`])).stdout) as Digest[];
  return { id: await id(`sc-${tag}`), chains: chainIds(diffIds) };
}

test('a sound store checks clean', { skip }, async () => {
  const r = await d.berth(['system', 'check']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Checked \d+ blobs, 1 layers, 1 images and 0 containers\.\nNo damage found\.\n$/);
});

test('corruption is reported, --repair quarantines it, and the store is consistent afterwards', { skip }, async () => {
  const busyboxDiff = (JSON.parse(expectOk(await d.berth(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', 'busybox'])).stdout) as string[])[0]!;
  const lost = await commitImage('lostlayer');
  const badcfg = await commitImage('badconfig');
  const running = expectOk(await d.berth(['run', '-d', 'busybox', 'sleep', '600'])).stdout.trim();
  const dangling = expectOk(await d.berth(['create', '--name', 'sc-dangling', 'busybox', 'true'])).stdout.trim();

  assert.ok(existsSync(blob(busyboxDiff)), 'import keeps the layer tar under its diffID');
  flipByte(blob(busyboxDiff)); // a cache of the layer: the image stays usable
  flipByte(blob(badcfg.id), 20); // the image's identity: the image is damaged
  rmSync(join(layerDir(lost.chains[1]!), 'diff'), { recursive: true });
  rmSync(join(d.dataRoot, 'overlay', 'snapshots', dangling), { recursive: true });

  const { code, report } = await check();
  assert.equal(code, 1);
  assert.equal(report.Repaired, false);
  // An image id is its config blob's digest: key by type and id.
  const byId = new Map(report.Problems.filter((p) => p.Type !== 'image').map((p) => [p.ID, p]));
  assert.equal(byId.get(busyboxDiff)?.Type, 'blob');
  assert.equal(byId.get(busyboxDiff)?.Action, 'quarantine');
  assert.equal(byId.get(badcfg.id)?.Type, 'blob', 'the flipped config blob');
  assert.equal(byId.get(lost.chains[1]!)?.Problem, 'diff directory is missing');
  const images = report.Problems.filter((p) => p.Type === 'image');
  assert.deepEqual(
    images.map((p) => [p.ID, p.Action]).sort(),
    [
      [badcfg.id, 'remove'],
      [lost.id, 'remove'],
    ].sort(),
  );
  assert.match(images.find((p) => p.ID === lost.id)!.Problem, /layer sha256:[0-9a-f]{64} is damaged/);
  assert.equal(images.find((p) => p.ID === lost.id)!.Name, 'sc-lostlayer:latest');
  const containers = report.Problems.filter((p) => p.Type === 'container');
  assert.deepEqual(
    containers.map((p) => [p.ID, p.Problem, p.Action]),
    [[dangling, 'snapshot is missing', 'quarantine']],
  );
  assert.ok(!byId.has(running), 'the running container is sound');
  assert.equal(report.Problems.length, 6, JSON.stringify(report.Problems, null, 1));

  // The table a user reads.
  const human = await d.berth(['system', 'check']);
  assert.equal(human.code, 1);
  assert.match(human.stdout, /TYPE +ID +NAME +PROBLEM +ACTION\n/);
  assert.match(human.stdout, /container +[0-9a-f]{12} +sc-dangling +snapshot is missing +would quarantine\n/);
  assert.match(human.stdout, /6 problem\(s\) found; run 'berth system check --repair' to repair them\.\n$/);

  const fixed = await check(['--repair']);
  assert.equal(fixed.code, 0, JSON.stringify(fixed.report));
  assert.equal(fixed.report.Repaired, true);
  const q = fixed.report.Quarantine!;
  assert.ok(q.startsWith(join(d.dataRoot, 'quarantine') + '/'), q);
  assert.deepEqual(readdirSync(join(q, 'blobs')).sort(), [hex(busyboxDiff), hex(badcfg.id)].sort());
  assert.deepEqual(readdirSync(join(q, 'layers')), [hex(lost.chains[1]!)]);
  assert.equal(JSON.parse(readFileSync(join(q, 'containers', dangling, 'record.json'), 'utf8')).name, 'sc-dangling');

  const again = await check();
  assert.deepEqual(again.report.Problems, []);
  assert.equal(again.code, 0);
  const tags = expectOk(await d.berth(['images', '--format', '{{.Repository}}']))
    .stdout.trim()
    .split('\n');
  assert.deepEqual(tags, ['busybox']);
  assert.equal((await d.berth(['inspect', 'sc-dangling'])).code, 1);
  assert.equal(expectOk(await d.berth(['inspect', '-f', '{{.State.Running}}', running])).stdout.trim(), 'true');
  // The sound image still runs, and save falls back to re-exporting the layer whose tar blob went.
  assert.equal(expectOk(await d.berth(['run', '--rm', 'busybox', 'echo', 'ok'])).stdout, 'ok\n');
  expectOk(await d.berth(['rm', '-f', running]));
});
