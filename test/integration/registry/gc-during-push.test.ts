// Garbage collection while berthd pushes (issue 10: "GC running during a push loses nothing
// that the push references"): `berth registry gc` runs again and again on the live registry's
// root while one push sends a new layer and another finds its (old, orphaned) layer already
// there and only HEADs it (or, if a sweep came first, sends it again). Every push succeeds, the
// pushed images pull back whole and verified, and every blob their manifests name is still there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, readdir, mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TestDaemon, expectOk, run } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { BerthRegistry } from './berth-registry.js';
import { ROOT } from './registry-harness.js';

const execFileP = promisify(execFile);
const skip = requiresRoot('real crun, overlayfs');

let d: TestDaemon;
let reg: BerthRegistry;
let work: string;

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-gcpush-${process.pid}-`));
  reg = await BerthRegistry.start();
  d = await TestDaemon.create();
  await d.start();
});
after(async () => {
  await d?.stop();
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Imports a one-layer image of `size` random bytes as `ref`. */
async function importRandom(ref: string, size: number): Promise<void> {
  const dir = join(work, `rnd-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  await writeFile(join(dir, 'data'), randomBytes(size));
  await execFileP('tar', ['-C', dir, '-cf', `${dir}.tar`, 'data']);
  expectOk(await d.berth(['import', `${dir}.tar`, ref]));
}

const gcOnce = () => run(process.execPath, [join(ROOT, 'bin/berth'), 'registry', 'gc', '--root', reg.root], { timeoutMs: 120_000 });

test('berth registry gc in a loop beside two pushes: both land and pull back whole; what they reference stays', { skip }, async () => {
  const repo = `${reg.host}/gc/app`;
  // "old": pushed, its manifest deleted, everything two hours old: an orphan gc would sweep.
  await importRandom(`${repo}:old`, 4 << 20);
  expectOk(await d.berth(['push', `${repo}:old`]));
  const m = await fetch(`http://${reg.host}/v2/gc/app/manifests/old`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  const digest = m.headers.get('docker-content-digest')!;
  const manifest = (await m.json()) as { config: { digest: string }; layers: { digest: string }[] };
  assert.equal((await fetch(`http://${reg.host}/v2/gc/app/manifests/${digest}`, { method: 'DELETE' })).status, 202);
  const blobsDir = join(reg.root, 'blobs', 'sha256');
  const past = new Date(Date.now() - 2 * 3600_000);
  for (const f of await readdir(blobsDir)) await utimes(join(blobsDir, f), past, past);
  expectOk(await d.berth(['tag', `${repo}:old`, `${repo}:again`]));
  await importRandom(`${repo}:new`, 24 << 20);

  let pushing = true;
  const collections: string[] = [];
  const collector = (async () => {
    while (pushing || collections.length < 2) {
      const r = await gcOnce();
      assert.equal(r.code, 0, r.stderr);
      collections.push(r.stdout + r.stderr);
    }
  })();
  const [again, fresh] = await Promise.all([d.berth(['push', `${repo}:again`]), d.berth(['push', `${repo}:new`])]).finally(() => (pushing = false));
  await collector;
  // (Whether "again" found its layer by HEAD or sent it anew depends on which came first, the
  // push's HEAD or a sweep; either way it must land whole. The HEAD-then-sweep order on its own
  // is gc.test.ts's.)
  assert.equal(again.code, 0, again.stderr);
  assert.equal(fresh.code, 0, fresh.stderr);
  // One more collection after the pushes: what they reference stays.
  assert.equal((await gcOnce()).code, 0);
  for (const b of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    assert.equal((await fetch(`http://${reg.host}/v2/gc/app/blobs/${b}`, { method: 'HEAD' })).status, 200, `${b} kept`);
  }
  // Both pull back (every blob fetched and verified) after the local copies are gone.
  for (const tag of ['again', 'new']) {
    expectOk(await d.berth(['rmi', `${repo}:${tag}`]));
    const pulled = await d.berth(['pull', `${repo}:${tag}`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /Digest: sha256:/);
  }
  assert.ok(collections.length >= 2, `${collections.length} collections ran`);
});
