// A conformance-style suite written from the OCI distribution spec v1.1's four workflow
// categories (pull, push, content discovery, content management), run against the registry as
// its own process. Each check cites the spec's endpoint id (end-N) and states its MUST.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BerthRegistry } from './berth-registry.js';
import { sha } from './registry-harness.js';

let reg: BerthRegistry;
let u: string;
before(async () => {
  reg = await BerthRegistry.start();
  u = reg.url;
});
after(() => reg.stop());

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = Buffer.from('{}');
const REPO = 'conformance/test';

async function codeOf(r: Response): Promise<string> {
  const j = (await r.json()) as { errors: { code: string; message: string }[] };
  assert.ok(Array.isArray(j.errors) && typeof j.errors[0]!.message === 'string', 'error body is {"errors":[{code,message,detail}]}');
  return j.errors[0]!.code;
}

function manifestFor(config: Buffer, layers: Buffer[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha(l), size: l.length })),
      ...extra,
    }),
  );
}

const layerA = randomBytes(100_000);
const layerB = randomBytes(70_000);
const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));

describe('push', () => {
  test('end-4a + end-6: POST then PUT the blob (monolithic) -> 202 then 201 with Location', async () => {
    const post = await fetch(`${u}/v2/${REPO}/blobs/uploads/`, { method: 'POST' });
    assert.equal(post.status, 202);
    const loc = new URL(post.headers.get('location')!, u);
    loc.searchParams.set('digest', sha(config));
    const put = await fetch(loc, {
      method: 'PUT',
      body: config,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(config.length) },
    });
    assert.equal(put.status, 201);
    assert.ok(put.headers.get('location'));
  });

  test('end-4b: single POST with digest -> 201', async () => {
    const r = await fetch(`${u}/v2/${REPO}/blobs/uploads/?digest=${sha(layerA)}`, {
      method: 'POST',
      body: layerA,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    assert.equal(r.status, 201);
  });

  test('end-5 + end-13 + end-6: chunked; out-of-order is 416; status has Range; the last chunk comes with PUT', async () => {
    const post = await fetch(`${u}/v2/${REPO}/blobs/uploads/`, { method: 'POST', headers: { 'Content-Length': '0' } });
    let loc = post.headers.get('location')!;
    const c1 = await fetch(new URL(loc, u), {
      method: 'PATCH',
      body: layerB.subarray(0, 30_000),
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-29999' },
    });
    assert.equal(c1.status, 202);
    assert.equal(c1.headers.get('range'), '0-29999');
    loc = c1.headers.get('location')!; // the client MUST use the last Location
    const ooo = await fetch(new URL(loc, u), { method: 'PATCH', body: layerB.subarray(40_000, 50_000), headers: { 'Content-Range': '40000-49999' } });
    assert.equal(ooo.status, 416);
    await ooo.text();
    const status = await fetch(new URL(loc, u));
    assert.equal(status.status, 204);
    assert.equal(status.headers.get('range'), '0-29999');
    const c2 = await fetch(new URL(loc, u), { method: 'PATCH', body: layerB.subarray(30_000, 60_000), headers: { 'Content-Range': '30000-59999' } });
    assert.equal(c2.status, 202);
    const last = new URL(c2.headers.get('location')!, u);
    last.searchParams.set('digest', sha(layerB));
    const put = await fetch(last, { method: 'PUT', body: layerB.subarray(60_000), headers: { 'Content-Range': `60000-${layerB.length - 1}` } });
    assert.equal(put.status, 201);
  });

  test('end-11: mount from another repository -> 201; unknown source -> 202 session', async () => {
    const r = await fetch(`${u}/v2/conformance/other/blobs/uploads/?mount=${sha(layerA)}&from=${REPO}`, { method: 'POST' });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('docker-content-digest'), sha(layerA));
    const miss = await fetch(`${u}/v2/conformance/other/blobs/uploads/?mount=${sha('nope')}&from=${REPO}`, { method: 'POST' });
    assert.equal(miss.status, 202);
  });

  test('end-7: PUT manifest by tag -> 201 with Location and Docker-Content-Digest', async () => {
    const m = manifestFor(config, [layerA, layerB]);
    const r = await fetch(`${u}/v2/${REPO}/manifests/v1`, { method: 'PUT', body: m, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('docker-content-digest'), sha(m));
    assert.ok(r.headers.get('location'));
  });

  test('a manifest naming a blob the repository lacks is refused (MANIFEST_BLOB_UNKNOWN)', async () => {
    const m = manifestFor(config, [randomBytes(10)]);
    const r = await fetch(`${u}/v2/${REPO}/manifests/broken`, { method: 'PUT', body: m, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(r.status, 400);
    assert.equal(await codeOf(r), 'MANIFEST_BLOB_UNKNOWN');
  });
});

describe('pull', () => {
  test('end-1: GET /v2/ -> 200', async () => {
    assert.equal((await fetch(`${u}/v2/`)).status, 200);
  });
  test('end-3 + end-2: manifest by tag and digest, then each blob by digest', async () => {
    const m = manifestFor(config, [layerA, layerB]);
    const byTag = await fetch(`${u}/v2/${REPO}/manifests/v1`, { headers: { Accept: OCI_MANIFEST } });
    assert.equal(byTag.status, 200);
    assert.equal(byTag.headers.get('content-type'), OCI_MANIFEST);
    assert.deepEqual(Buffer.from(await byTag.arrayBuffer()), m);
    const byDigest = await fetch(`${u}/v2/${REPO}/manifests/${sha(m)}`, { method: 'HEAD' });
    assert.equal(byDigest.status, 200);
    for (const b of [config, layerA, layerB]) {
      const r = await fetch(`${u}/v2/${REPO}/blobs/${sha(b)}`);
      assert.equal(r.status, 200);
      assert.equal(sha(Buffer.from(await r.arrayBuffer())), sha(b));
    }
  });
  test('missing manifest and blob are 404 with MANIFEST_UNKNOWN / BLOB_UNKNOWN; missing repository is 404', async () => {
    const m = await fetch(`${u}/v2/${REPO}/manifests/nonexistent`);
    assert.equal(m.status, 404);
    assert.equal(await codeOf(m), 'MANIFEST_UNKNOWN');
    const b = await fetch(`${u}/v2/${REPO}/blobs/${sha('nonexistent')}`);
    assert.equal(b.status, 404);
    assert.equal(await codeOf(b), 'BLOB_UNKNOWN');
    const n = await fetch(`${u}/v2/conformance/nope/manifests/v1`);
    assert.equal(n.status, 404);
    await n.text();
  });
});

describe('content discovery', () => {
  test('end-8a/8b: tag list, n and last, Link rel="next"', async () => {
    const m = manifestFor(config, [layerA, layerB]);
    for (const t of ['v2', 'v3', 'v4']) {
      assert.equal((await fetch(`${u}/v2/${REPO}/manifests/${t}`, { method: 'PUT', body: m, headers: { 'Content-Type': OCI_MANIFEST } })).status, 201);
    }
    const all = (await (await fetch(`${u}/v2/${REPO}/tags/list`)).json()) as { name: string; tags: string[] };
    assert.deepEqual(all, { name: REPO, tags: ['v1', 'v2', 'v3', 'v4'] });
    const page = await fetch(`${u}/v2/${REPO}/tags/list?n=2&last=v1`);
    assert.deepEqual(((await page.json()) as { tags: string[] }).tags, ['v2', 'v3']);
    assert.match(page.headers.get('link') ?? '', /<\/v2\/conformance\/test\/tags\/list\?n=2&last=v3>; rel="next"/);
  });

  test('end-12a/12b: referrers by subject, filtered by artifactType, never 404', async () => {
    const subject = manifestFor(config, [layerA, layerB]);
    assert.equal((await fetch(`${u}/v2/${REPO}/blobs/uploads/?digest=${sha(EMPTY)}`, { method: 'POST', body: EMPTY })).status, 201);
    const artifact = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.conformance.test',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(EMPTY), size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha(EMPTY), size: 2 }],
        subject: { mediaType: OCI_MANIFEST, digest: sha(subject), size: subject.length },
        annotations: { 'org.example': 'yes' },
      }),
    );
    const put = await fetch(`${u}/v2/${REPO}/manifests/${sha(artifact)}`, { method: 'PUT', body: artifact, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get('oci-subject'), sha(subject));
    const r = await fetch(`${u}/v2/${REPO}/referrers/${sha(subject)}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), OCI_INDEX);
    const idx = (await r.json()) as { manifests: { digest: string; artifactType: string; annotations: Record<string, string>; size: number }[] };
    assert.deepEqual(idx.manifests, [
      {
        mediaType: OCI_MANIFEST,
        digest: sha(artifact),
        size: artifact.length,
        artifactType: 'application/vnd.conformance.test',
        annotations: { 'org.example': 'yes' },
      },
    ]);
    const f = await fetch(`${u}/v2/${REPO}/referrers/${sha(subject)}?artifactType=application/vnd.other`);
    assert.equal(f.headers.get('oci-filters-applied'), 'artifactType');
    assert.deepEqual(((await f.json()) as { manifests: unknown[] }).manifests, []);
  });
});

describe('content management', () => {
  test('end-9: DELETE tag and manifest -> 202, then 404', async () => {
    assert.equal((await fetch(`${u}/v2/${REPO}/manifests/v4`, { method: 'DELETE' })).status, 202);
    assert.equal((await fetch(`${u}/v2/${REPO}/manifests/v4`)).status, 404);
    const m = manifestFor(config, [layerA, layerB]);
    assert.equal((await fetch(`${u}/v2/${REPO}/manifests/${sha(m)}`, { method: 'DELETE' })).status, 202);
    const gone = await fetch(`${u}/v2/${REPO}/manifests/${sha(m)}`);
    assert.equal(gone.status, 404);
    await gone.text();
  });
  test('end-10: DELETE blob -> 202, then 404', async () => {
    assert.equal((await fetch(`${u}/v2/${REPO}/blobs/${sha(layerB)}`, { method: 'DELETE' })).status, 202);
    assert.equal((await fetch(`${u}/v2/${REPO}/blobs/${sha(layerB)}`, { method: 'HEAD' })).status, 404);
  });
});
