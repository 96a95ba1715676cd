// Pulls end to end: a real berthd pulling from the real registry server (Debian's
// docker-registry) on 127.0.0.1, driven by the berth CLI and the real docker CLI. Images are
// pushed into the registry with plain HTTP calls (see registry-harness.ts); a recording proxy
// in front of the registry counts blob downloads and can corrupt a blob.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import {
  RecordingProxy,
  TestRegistry,
  busyboxLayer,
  fileLayer,
  pushImage,
  pushIndex,
  registryAvailable,
  type LayerBlob,
  type PushedImage,
} from './registry-harness.js';

const skip = requiresRoot('real crun, overlayfs') || (!registryAvailable() ? 'docker-registry is not installed (apt-get install docker-registry)' : false);

let d: TestDaemon;
let reg: TestRegistry;
let proxy: RecordingProxy;
let work: string;
let bb: LayerBlob;
let img: PushedImage;

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-pull-${process.pid}-`));
  reg = await TestRegistry.start();
  proxy = await RecordingProxy.start(reg.host);
  bb = await busyboxLayer(work);
  img = await pushImage(reg, 'bb', 'latest', [bb], { cmd: ['echo', 'from-registry'] });
  d = await TestDaemon.create();
  await d.start();
});

after(async () => {
  await d?.stop();
  await proxy?.stop();
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** What the daemon stores: content blobs, unpacked layers and images. */
async function storeState(): Promise<{ blobs: string[]; layers: string[]; images: string[] }> {
  const blobs = (await readdir(join(d.dataRoot, 'content/blobs/sha256'))).sort();
  const layers = (await readdir(join(d.dataRoot, 'overlay/layers'))).filter((n) => /^[a-f0-9]{64}$/.test(n)).sort();
  const images = expectOk(await d.berth(['images', '-q', '--no-trunc']))
    .stdout.split('\n')
    .filter(Boolean)
    .sort();
  return { blobs, layers, images };
}

test('pull by tag: Docker progress lines, RepoTags/RepoDigests, and the image runs', { skip }, async () => {
  const ref = `${proxy.host}/bb`;
  const r = await d.berth(['pull', ref]);
  assert.equal(r.code, 0, r.stderr);
  const id = img.layerDigests[0]!.slice(7, 19);
  assert.equal(
    r.stdout,
    `Using default tag: latest\nlatest: Pulling from bb\n${id}: Pulling fs layer\n${id}: Verifying Checksum\n${id}: Download complete\n${id}: Pull complete\nDigest: ${img.digest}\nStatus: Downloaded newer image for ${ref}:latest\n${ref}:latest\n`,
  );
  const inspect = JSON.parse(expectOk(await d.berth(['image', 'inspect', ref])).stdout)[0];
  assert.equal(inspect.Id, img.configDigest);
  assert.deepEqual(inspect.RepoTags, [`${ref}:latest`]);
  assert.deepEqual(inspect.RepoDigests, [`${ref}@${img.digest}`]);
  assert.deepEqual(inspect.RootFS.Layers, [bb.diffId]);
  const run = await d.berth(['run', '--rm', ref]);
  assert.equal(run.stdout, 'from-registry\n', run.stderr);
  // The pull event names the reference.
  const ev = expectOk(
    await d.berth([
      'events',
      '--since',
      '0',
      '--until',
      String(Math.ceil(Date.now() / 1000) + 1),
      '--filter',
      'event=pull',
      '--format',
      '{{.Actor.ID}} {{.Actor.Attributes.name}}',
    ]),
  );
  assert.match(ev.stdout, new RegExp(`^${ref.replace(/[.]/g, '\\.')}:latest ${ref.replace(/[.]/g, '\\.')}$`, 'm'));
});

test('a second pull is up to date and downloads no blob', { skip }, async () => {
  const ref = `${proxy.host}/bb:latest`;
  proxy.requests.length = 0;
  const r = expectOk(await d.berth(['pull', ref]));
  assert.equal(r.stdout, `latest: Pulling from bb\nDigest: ${img.digest}\nStatus: Image is up to date for ${ref}\n${ref}\n`);
  assert.deepEqual(proxy.blobGets(), []);
  assert.ok(
    proxy.requests.some((q) => q.startsWith('GET /v2/bb/manifests/latest')),
    proxy.requests.join('\n'),
  );
});

test('pull by digest adds only the digest reference; a retag is "Downloaded newer image"', { skip }, async () => {
  // Same content under another repository: layers are not downloaded again.
  await pushImage(reg, 'other', 'v1', [bb], { cmd: ['echo', 'from-registry'] });
  proxy.requests.length = 0;
  const byDigest = `${proxy.host}/other@${img.digest}`;
  const r = expectOk(await d.berth(['pull', byDigest]));
  assert.equal(r.stdout, `${img.digest}: Pulling from other\nDigest: ${img.digest}\nStatus: Downloaded newer image for ${byDigest}\n${byDigest}\n`);
  assert.deepEqual(proxy.blobGets(), []);
  const inspect = JSON.parse(expectOk(await d.berth(['image', 'inspect', img.configDigest])).stdout)[0];
  assert.deepEqual(inspect.RepoDigests.sort(), [`${proxy.host}/bb@${img.digest}`, byDigest].sort());
  assert.deepEqual(inspect.RepoTags, [`${proxy.host}/bb:latest`]);
  // A digest that the repository does not have.
  const missing = await d.berth(['pull', `${proxy.host}/other@sha256:${'0'.repeat(64)}`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not found: manifest unknown/);
});

test('unknown tag and unknown repository are 404s with Docker texts', { skip }, async () => {
  const tag = await d.docker(['pull', `${proxy.host}/bb:nope`]);
  assert.equal(tag.code, 1);
  assert.equal(tag.stderr.trim(), `Error response from daemon: manifest for ${proxy.host}/bb:nope not found: manifest unknown: manifest unknown`);
  const repo = await d.berth(['pull', `${proxy.host}/no-such-repo`]);
  assert.equal(repo.code, 1);
  assert.match(repo.stderr, /not found: (manifest|name) unknown/);
});

test('an index with two platforms: only the host platform is fetched', { skip }, async () => {
  const small = await fileLayer(work, 'arm-only.txt', 'arm64 content');
  const host = process.arch === 'x64' ? 'amd64' : process.arch === 'arm64' ? 'arm64' : process.arch;
  const other = host === 'arm64' ? 'amd64' : 'arm64';
  const mine = await pushImage(reg, 'multi', undefined, [bb, await fileLayer(work, 'mine.txt', 'host platform')], { architecture: host, oci: true });
  const theirs = await pushImage(reg, 'multi', undefined, [small], { architecture: other, oci: true });
  const indexDigest = await pushIndex(reg, 'multi', 'latest', [
    { image: theirs, platform: { os: 'linux', architecture: other } },
    { image: mine, platform: { os: 'linux', architecture: host } },
  ]);
  proxy.requests.length = 0;
  const r = expectOk(await d.docker(['pull', `${proxy.host}/multi`]));
  // busybox's layer is already here; only the second layer of the host image is downloaded.
  assert.match(r.stdout, new RegExp(`${mine.layerDigests[0]!.slice(7, 19)}: Already exists\n`));
  assert.match(r.stdout, new RegExp(`${mine.layerDigests[1]!.slice(7, 19)}: Pull complete\n`));
  assert.match(r.stdout, new RegExp(`Digest: ${indexDigest}\n`));
  const gets = proxy.blobGets().map((g) => g.replace(/^GET \/v2\/multi\/blobs\//, ''));
  assert.deepEqual(gets.sort(), [mine.configDigest, mine.layerDigests[1]!].sort());
  const manifests = proxy.requests.filter((q) => q.includes('/manifests/'));
  assert.ok(!manifests.some((q) => q.includes(theirs.digest)), 'the other platform manifest is not fetched');
  const s = await storeState();
  for (const dgst of [theirs.configDigest, ...theirs.layerDigests]) assert.ok(!s.blobs.includes(dgst.slice(7)));
  const inspect = JSON.parse(expectOk(await d.berth(['image', 'inspect', `${proxy.host}/multi`])).stdout)[0];
  assert.equal(inspect.Id, mine.configDigest);
  assert.deepEqual(inspect.RepoDigests, [`${proxy.host}/multi@${indexDigest}`]);
  // Asking for the other platform gets that one too: the name holds both and still shows the host's (test/integration/platforms).
  const o = expectOk(await d.berth(['pull', '--platform', `linux/${other}`, `${proxy.host}/multi`]));
  assert.match(o.stdout, /Downloaded newer image/);
  assert.equal(JSON.parse(expectOk(await d.berth(['image', 'inspect', `${proxy.host}/multi`])).stdout)[0].Architecture, host);
  const s2 = await storeState();
  assert.ok(s2.blobs.includes(theirs.configDigest.slice(7)), 'the other platform is stored');
  // And one the index lacks is an in-band error after "Pulling from".
  const none = await d.berth(['pull', '--platform', 'linux/s390x', `${proxy.host}/multi`]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /no matching manifest for linux\/s390x in the manifest list entries/);
});

test('a corrupted blob is refused and the store is unchanged', { skip }, async () => {
  const layer = await fileLayer(work, 'corrupt.txt', 'x'.repeat(50_000));
  const pushed = await pushImage(reg, 'corrupt', 'latest', [bb, layer]);
  const beforeState = await storeState();
  proxy.corrupt.add(pushed.layerDigests[1]!);
  try {
    const r = await d.berth(['pull', `${proxy.host}/corrupt`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`filesystem layer verification failed for digest ${pushed.layerDigests[1]}`));
    assert.deepEqual(await storeState(), beforeState);
    assert.deepEqual(await readdir(join(d.dataRoot, 'images/journal')).catch(() => []), [], 'no journal left behind');
  } finally {
    proxy.corrupt.clear();
  }
  // The config blob corrupted: refused before any layer.
  proxy.corrupt.add(pushed.configDigest);
  try {
    const r = await d.berth(['pull', `${proxy.host}/corrupt`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /image config verification failed for digest/);
    assert.deepEqual(await storeState(), beforeState);
  } finally {
    proxy.corrupt.clear();
  }
  // A manifest whose layer blob is intact but is not the layer the config names (diffId mismatch).
  const wrong = await fileLayer(work, 'wrong.txt', 'not the promised layer');
  const wrongDigest = await reg.pushBlob('swapped2', wrong.blob);
  await pushImage(reg, 'swapped2', 'latest', [bb, layer], {
    layerDescriptors: (ds) => [ds[0]!, { mediaType: ds[1]!.mediaType, digest: wrongDigest, size: wrong.blob.length }],
  });
  const r = await d.berth(['pull', `${proxy.host}/swapped2`]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /filesystem layer verification failed/);
  assert.deepEqual(await storeState(), beforeState);
  // Pulled intact, it works.
  expectOk(await d.berth(['pull', `${proxy.host}/corrupt`]));
});

test('Basic auth: no credentials is an error; the docker CLI sends config.json credentials', { skip }, async () => {
  const priv = await TestRegistry.start({ htpasswd: { user: 'alice', password: 's3cret' } });
  try {
    const layer = await fileLayer(work, 'private.txt', 'secret');
    await pushImage(priv, 'private', 'v1', [bb, layer]);
    const ref = `${priv.host}/private:v1`;
    const anon = await d.docker(['pull', ref], { timeoutMs: 20_000 });
    assert.equal(anon.code, 1, anon.stdout + anon.stderr);
    assert.equal(anon.stderr.trim(), `Error response from daemon: Get "http://${priv.host}/v2/private/manifests/v1": no basic auth credentials`);
    const cfgDir = join(d.dir, 'docker-config');
    await mkdir(cfgDir, { recursive: true });
    const auth = (u: string, p: string) => JSON.stringify({ auths: { [priv.host]: { auth: Buffer.from(`${u}:${p}`).toString('base64') } } });
    await writeFile(join(cfgDir, 'config.json'), auth('alice', 'wrong'));
    const bad = await d.docker(['pull', ref], { timeoutMs: 20_000 });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unauthorized: authentication required/);
    await writeFile(join(cfgDir, 'config.json'), auth('alice', 's3cret'));
    const ok = await d.docker(['pull', ref], { timeoutMs: 20_000 });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`Status: Downloaded newer image for ${ref.replace(/[.]/g, '\\.')}`));
    await rm(join(cfgDir, 'config.json'), { force: true });
  } finally {
    await priv.stop();
  }
});

test('docker run of a missing image pulls it', { skip }, async () => {
  await pushImage(reg, 'runme', 'latest', [bb, await fileLayer(work, 'hello.txt', 'hi from a pulled layer\n')]);
  const r = await d.docker(['run', '--rm', `${proxy.host}/runme`, 'cat', '/hello.txt']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hi from a pulled layer\n');
  assert.match(r.stderr, new RegExp(`Unable to find image '${proxy.host.replace(/[.]/g, '\\.')}/runme:latest' locally`));
  assert.match(r.stderr, /Status: Downloaded newer image/);
});

test('build: FROM a missing image pulls it; --pull pulls a newer one', { skip }, async () => {
  const base = `${proxy.host}/buildbase:latest`;
  const v1 = await pushImage(reg, 'buildbase', 'latest', [bb, await fileLayer(work, 'version.txt', 'v1\n')]);
  const ctxDir = join(work, 'ctx');
  await mkdir(ctxDir, { recursive: true });
  await writeFile(join(ctxDir, 'Dockerfile'), `FROM ${base}\nENV BUILT=yes\nCMD ["cat", "/version.txt"]\n`);
  const tag = `built-${process.pid}`;
  const b1 = await d.berth(['build', '-t', tag, ctxDir]);
  assert.equal(b1.code, 0, b1.stderr);
  assert.match(b1.stdout, /Step 1\/3 : FROM .*\nlatest: Pulling from buildbase\n/);
  assert.match(b1.stdout, new RegExp(`Status: Downloaded newer image for ${base.replace(/[.]/g, '\\.')}\n`));
  assert.equal(expectOk(await d.berth(['run', '--rm', tag])).stdout, 'v1\n');
  // Present now: a plain build does not contact the registry.
  proxy.requests.length = 0;
  const b2 = expectOk(await d.berth(['build', '-t', tag, ctxDir]));
  assert.doesNotMatch(b2.stdout, /Pulling from/);
  assert.deepEqual(proxy.requests, []);
  // A newer base in the registry: --pull fetches it and the build uses it.
  await pushImage(reg, 'buildbase', 'latest', [bb, await fileLayer(work, 'version.txt', 'v2\n')]);
  const b3 = await d.docker(['build', '--pull', '-t', tag, ctxDir], { timeoutMs: 120_000 });
  assert.equal(b3.code, 0, b3.stderr);
  assert.match(b3.stdout, /latest: Pulling from buildbase/);
  assert.match(b3.stdout, /Downloaded newer image/);
  assert.equal(expectOk(await d.berth(['run', '--rm', tag])).stdout, 'v2\n');
  // --pull with nothing new: "Image is up to date".
  const b4 = expectOk(await d.berth(['build', '--pull', '-t', tag, ctxDir]));
  assert.match(b4.stdout, /Status: Image is up to date for/);
  void v1;
});
