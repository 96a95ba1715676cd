// Each endpoint and each error of the registry, against the server on 127.0.0.1 with fetch.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { httpCall } from '../../lib/http/testing/http-call.js';
import { errorCode, pushBlob, pushImage, sha, startTestRegistry, type TestRegistryServer } from './testing/test-registry.js';

let reg: TestRegistryServer;
let u: string;
before(async () => {
  reg = await startTestRegistry();
  u = reg.url;
});
after(() => reg.close());

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

test('GET /v2/ answers 200 with the API version header', async () => {
  const r = await fetch(`${u}/v2/`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
  const nf = await fetch(`${u}/nowhere`);
  assert.equal(nf.status, 404);
  assert.equal(nf.headers.get('docker-distribution-api-version'), 'registry/2.0');
});

test('blob: single POST, GET, HEAD, Range, and visibility per repository', async () => {
  const data = Buffer.from('0123456789abcdef');
  const d = await pushBlob(u, 'vis/one', data);
  const g = await fetch(`${u}/v2/vis/one/blobs/${d}`);
  assert.equal(g.status, 200);
  assert.equal(g.headers.get('docker-content-digest'), d);
  assert.deepEqual(Buffer.from(await g.arrayBuffer()), data);
  const h = await fetch(`${u}/v2/vis/one/blobs/${d}`, { method: 'HEAD' });
  assert.equal(h.status, 200);
  assert.equal(h.headers.get('content-length'), '16');
  const p = await fetch(`${u}/v2/vis/one/blobs/${d}`, { headers: { Range: 'bytes=4-7' } });
  assert.equal(p.status, 206);
  assert.equal(p.headers.get('content-range'), 'bytes 4-7/16');
  assert.equal(await p.text(), '4567');
  const suffix = await fetch(`${u}/v2/vis/one/blobs/${d}`, { headers: { Range: 'bytes=-3' } });
  assert.equal(await suffix.text(), 'def');
  const bad = await fetch(`${u}/v2/vis/one/blobs/${d}`, { headers: { Range: 'bytes=20-30' } });
  assert.equal(bad.status, 416);
  assert.equal(bad.headers.get('content-range'), 'bytes */16');
  await bad.text();
  // The bytes exist in the registry, but another repository has not pushed or mounted them.
  const other = await fetch(`${u}/v2/vis/two/blobs/${d}`);
  assert.equal(other.status, 404);
  assert.equal(await errorCode(other), 'BLOB_UNKNOWN');
  const headOther = await fetch(`${u}/v2/vis/two/blobs/${d}`, { method: 'HEAD' });
  assert.equal(headOther.status, 404);
});

test('monolithic POST then PUT with the body, and a wrong digest is DIGEST_INVALID', async () => {
  const data = Buffer.from('monolithic');
  const s = await fetch(`${u}/v2/mono/blobs/uploads/`, { method: 'POST' });
  assert.equal(s.status, 202);
  const loc = s.headers.get('location')!;
  assert.match(loc, /^\/v2\/mono\/blobs\/uploads\/[0-9a-f-]{36}$/);
  assert.equal(s.headers.get('range'), '0-0');
  assert.ok(s.headers.get('docker-upload-uuid'));
  const wrong = await fetch(`${u}${loc}?digest=${sha('other')}`, { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(wrong.status, 400);
  assert.equal(await errorCode(wrong), 'DIGEST_INVALID');
  // The mismatching chunk was dropped whole: the upload is where it was and can be finished.
  const st = await fetch(`${u}${loc}`);
  assert.equal(st.status, 204);
  assert.equal(st.headers.get('range'), '0-0');
  const ok = await fetch(`${u}${loc}?digest=${sha(data)}`, { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
  assert.equal(ok.status, 201);
  assert.equal(ok.headers.get('location'), `/v2/mono/blobs/${sha(data)}`);
  assert.equal(ok.headers.get('docker-content-digest'), sha(data));
  // The session is gone once the blob is committed.
  const gone = await fetch(`${u}${loc}`);
  assert.equal(gone.status, 404);
  assert.equal(await errorCode(gone), 'BLOB_UPLOAD_UNKNOWN');
});

test('chunked PATCH with Content-Range; out-of-order and bad ranges are 416; status and cancel', async () => {
  const data = Buffer.from('chunk-one|chunk-two|chunk-three');
  const s = await fetch(`${u}/v2/chunky/blobs/uploads/`, { method: 'POST' });
  const loc = s.headers.get('location')!;
  const patch = (from: number, to: number, range = `${from}-${to - 1}`) =>
    fetch(`${u}${loc}`, { method: 'PATCH', body: data.subarray(from, to), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': range } });
  const p1 = await patch(0, 10);
  assert.equal(p1.status, 202);
  assert.equal(p1.headers.get('range'), '0-9');
  assert.equal(p1.headers.get('location'), loc);
  const skip = await patch(20, 31);
  assert.equal(skip.status, 416, 'a chunk after a gap');
  assert.equal(skip.headers.get('range'), '0-9', 'the 416 says where to resume');
  assert.equal(await errorCode(skip), 'BLOB_UPLOAD_INVALID');
  const again = await patch(0, 10);
  assert.equal(again.status, 416, 'a chunk already sent');
  await again.text();
  const garbage = await patch(10, 20, 'ten-to-twenty');
  assert.equal(garbage.status, 416);
  await garbage.text();
  const mismatch = await patch(10, 20, '10-25');
  assert.equal(mismatch.status, 416, 'Content-Range length differs from Content-Length');
  await mismatch.text();
  const p2 = await patch(10, 20);
  assert.equal(p2.status, 202);
  assert.equal(p2.headers.get('range'), '0-19');
  const st = await fetch(`${u}${loc}`);
  assert.equal(st.status, 204);
  assert.equal(st.headers.get('range'), '0-19');
  // A streamed chunk without Content-Range (docker push) is appended where the data ends.
  const p3 = await fetch(`${u}${loc}`, { method: 'PATCH', body: data.subarray(20) });
  assert.equal(p3.status, 202);
  const done = await fetch(`${u}${loc}?digest=${sha(data)}`, { method: 'PUT' });
  assert.equal(done.status, 201);
  assert.equal(await (await fetch(`${u}/v2/chunky/blobs/${sha(data)}`)).text(), data.toString());

  const c = await fetch(`${u}/v2/chunky/blobs/uploads/`, { method: 'POST' });
  const cloc = c.headers.get('location')!;
  assert.equal((await fetch(`${u}${cloc}`, { method: 'DELETE' })).status, 204);
  const cancelled = await fetch(`${u}${cloc}`, { method: 'PATCH', body: 'x' });
  assert.equal(cancelled.status, 404);
  assert.equal(await errorCode(cancelled), 'BLOB_UPLOAD_UNKNOWN');
  const otherRepo = await fetch(`${u}${loc.replace('/chunky/', '/elsewhere/')}`);
  assert.equal(otherRepo.status, 404, 'an upload is unknown under another repository');
  await otherRepo.text();
});

test('declared size that does not match the body is SIZE_INVALID; PUT without digest is DIGEST_INVALID', async () => {
  const s = await fetch(`${u}/v2/sizes/blobs/uploads/`, { method: 'POST' });
  const loc = s.headers.get('location')!;
  const noDigest = await fetch(`${u}${loc}`, { method: 'PUT' });
  assert.equal(noDigest.status, 400);
  assert.equal(await errorCode(noDigest), 'DIGEST_INVALID');
  // Content-Range promises 10 bytes, 5 arrive (Content-Length matches the body, the range does not).
  const r = await fetch(`${u}${loc}`, { method: 'PATCH', body: 'short', headers: { 'Content-Range': '0-9', 'Content-Length': '5' } });
  assert.equal(r.status, 416);
  await r.text();
});

test('digests: malformed is DIGEST_INVALID, another algorithm is UNSUPPORTED', async () => {
  const bad = await fetch(`${u}/v2/dig/blobs/sha256:xyz`);
  assert.equal(bad.status, 400);
  assert.equal(await errorCode(bad), 'DIGEST_INVALID');
  const sha512 = await fetch(`${u}/v2/dig/blobs/sha512:${'a'.repeat(128)}`);
  assert.equal(await errorCode(sha512), 'UNSUPPORTED');
  const post = await fetch(`${u}/v2/dig/blobs/uploads/?digest=md5:abc`, { method: 'POST', body: 'x' });
  assert.equal(await errorCode(post), 'UNSUPPORTED');
});

test('repository names: uppercase, "..", too long are NAME_INVALID', async () => {
  for (const name of ['Upper', 'a..b', 'a//b', '-a', '_layers', `${'a'.repeat(256)}`]) {
    const r = await fetch(`${u}/v2/${name}/tags/list`);
    assert.equal(r.status, 400, name);
    assert.equal(await errorCode(r), 'NAME_INVALID', name);
  }
  // URL parsing folds "..", "%2E%2E" segments before routing; what is left never climbs out.
  const dots = await httpCall(Number(new URL(u).port), 'POST', '/v2/a/b/%2E%2E/../x/blobs/uploads/');
  assert.equal(dots.status, 202);
  assert.match(String(dots.headers.location), /^\/v2\/x\/blobs\/uploads\//);
  const encodedSlash = await fetch(`${u}/v2/a%2F..%2Fb/tags/list`);
  assert.equal(await errorCode(encodedSlash), 'NAME_INVALID');
});

test('cross-repository mount; absent source falls back to an upload session', async () => {
  const d = await pushBlob(u, 'src/repo', 'mount-me');
  const m = await fetch(`${u}/v2/dst/repo/blobs/uploads/?mount=${d}&from=src/repo`, { method: 'POST' });
  assert.equal(m.status, 201);
  assert.equal(m.headers.get('location'), `/v2/dst/repo/blobs/${d}`);
  assert.equal(m.headers.get('docker-content-digest'), d);
  assert.equal((await fetch(`${u}/v2/dst/repo/blobs/${d}`)).status, 200);
  const miss = await fetch(`${u}/v2/dst/repo/blobs/uploads/?mount=${sha('absent')}&from=src/repo`, { method: 'POST' });
  assert.equal(miss.status, 202);
  assert.match(miss.headers.get('location')!, /\/v2\/dst\/repo\/blobs\/uploads\//);
  // The blob is in the registry but not in the named source: no mount either.
  const wrongFrom = await fetch(`${u}/v2/dst2/blobs/uploads/?mount=${d}&from=nowhere`, { method: 'POST' });
  assert.equal(wrongFrom.status, 202);
});

test('manifests: PUT/GET/HEAD by tag and digest with Content-Type and Docker-Content-Digest', async () => {
  const img = await pushImage(u, 'man/oci', 'v1', { layers: ['l1', 'l2'] });
  assert.equal(img.digest, sha(img.body));
  for (const ref of ['v1', img.digest]) {
    const g = await fetch(`${u}/v2/man/oci/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
    assert.equal(g.status, 200);
    assert.equal(g.headers.get('content-type'), OCI_MANIFEST);
    assert.equal(g.headers.get('docker-content-digest'), img.digest);
    assert.equal(await g.text(), img.body, 'the bytes as pushed');
    const h = await fetch(`${u}/v2/man/oci/manifests/${ref}`, { method: 'HEAD' });
    assert.equal(h.status, 200);
    assert.equal(h.headers.get('content-length'), String(Buffer.byteLength(img.body)));
  }
  const docker = await pushImage(u, 'man/docker', 'latest', { docker: true });
  const dg = await fetch(`${u}/v2/man/docker/manifests/latest`);
  assert.equal(dg.headers.get('content-type'), 'application/vnd.docker.distribution.manifest.v2+json');
  await dg.text();
  // An index and a Docker manifest list over manifests in the repository.
  for (const [mt, repo, child] of [
    [OCI_INDEX, 'man/oci', img],
    ['application/vnd.docker.distribution.manifest.list.v2+json', 'man/docker', docker],
  ] as const) {
    const idx = JSON.stringify({
      schemaVersion: 2,
      mediaType: mt,
      manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: Buffer.byteLength(child.body), platform: { os: 'linux', architecture: 'amd64' } }],
    });
    const put = await fetch(`${u}/v2/${repo}/manifests/multi`, { method: 'PUT', body: idx, headers: { 'Content-Type': mt } });
    assert.equal(put.status, 201, await put.text());
    const g = await fetch(`${u}/v2/${repo}/manifests/multi`);
    assert.equal(g.headers.get('content-type'), mt);
    assert.equal(await g.text(), idx);
  }
  // PUT by digest, with extra tags (spec end-7b).
  const again = await fetch(`${u}/v2/man/oci/manifests/${img.digest}?tag=t1&tag=t2`, {
    method: 'PUT',
    body: img.body,
    headers: { 'Content-Type': OCI_MANIFEST },
  });
  assert.equal(again.status, 201);
  assert.equal((await fetch(`${u}/v2/man/oci/manifests/t2`)).headers.get('docker-content-digest'), img.digest);
});

test('manifest errors: unknown, missing blob, invalid, digest mismatch, over 4 MiB, name unknown', async () => {
  const img = await pushImage(u, 'merr', 'ok');
  const unknown = await fetch(`${u}/v2/merr/manifests/nope`);
  assert.equal(unknown.status, 404);
  assert.equal(await errorCode(unknown), 'MANIFEST_UNKNOWN');
  const unknownDigest = await fetch(`${u}/v2/merr/manifests/${sha('x')}`);
  assert.equal(await errorCode(unknownDigest), 'MANIFEST_UNKNOWN');
  const noRepo = await fetch(`${u}/v2/never/pushed/manifests/latest`);
  assert.equal(noRepo.status, 404);
  assert.equal(await errorCode(noRepo), 'NAME_UNKNOWN');

  const m = JSON.parse(img.body) as { layers: { digest: string }[] };
  m.layers[0]!.digest = sha('never pushed');
  const missing = await fetch(`${u}/v2/merr/manifests/bad`, { method: 'PUT', body: JSON.stringify(m), headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(missing.status, 400);
  assert.equal(await errorCode(missing), 'MANIFEST_BLOB_UNKNOWN');
  // A blob pushed only to another repository is unknown here too.
  const elsewhere = await pushBlob(u, 'merr-other', 'only there');
  m.layers[0]!.digest = elsewhere;
  const foreign = await fetch(`${u}/v2/merr/manifests/bad`, { method: 'PUT', body: JSON.stringify(m), headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(await errorCode(foreign), 'MANIFEST_BLOB_UNKNOWN');
  assert.equal((await fetch(`${u}/v2/merr/manifests/bad`)).status, 404, 'nothing was tagged');

  for (const body of ['not json', '{"schemaVersion":1}', JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [] })]) {
    const r = await fetch(`${u}/v2/merr/manifests/bad`, { method: 'PUT', body, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(r.status, 400, body);
    assert.equal(await errorCode(r), 'MANIFEST_INVALID', body);
  }
  const mismatchType = await fetch(`${u}/v2/merr/manifests/bad`, { method: 'PUT', body: img.body, headers: { 'Content-Type': OCI_INDEX } });
  assert.equal(await errorCode(mismatchType), 'MANIFEST_INVALID');
  const wrongDigest = await fetch(`${u}/v2/merr/manifests/${sha('other')}`, { method: 'PUT', body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(await errorCode(wrongDigest), 'DIGEST_INVALID');
  const big = Buffer.alloc(4 * 1024 * 1024 + 1, 0x20);
  const tooBig = await fetch(`${u}/v2/merr/manifests/big`, { method: 'PUT', body: big, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(tooBig.status, 413);
  assert.equal(await errorCode(tooBig), 'MANIFEST_INVALID');
  const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha('no such manifest'), size: 3 }] });
  const badIndex = await fetch(`${u}/v2/merr/manifests/idx`, { method: 'PUT', body: index, headers: { 'Content-Type': OCI_INDEX } });
  assert.equal(await errorCode(badIndex), 'MANIFEST_BLOB_UNKNOWN');
});

test('tags list and catalog paginate with n/last and Link', async () => {
  const img = await pushImage(u, 'pages', 'a');
  for (const t of ['c', 'b', 'd', 'e']) {
    const r = await fetch(`${u}/v2/pages/manifests/${t}`, { method: 'PUT', body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(r.status, 201);
  }
  const all = await fetch(`${u}/v2/pages/tags/list`);
  assert.deepEqual(await all.json(), { name: 'pages', tags: ['a', 'b', 'c', 'd', 'e'] });
  assert.equal(all.headers.get('link'), null);
  const p1 = await fetch(`${u}/v2/pages/tags/list?n=2`);
  assert.deepEqual(((await p1.json()) as { tags: string[] }).tags, ['a', 'b']);
  assert.equal(p1.headers.get('link'), '</v2/pages/tags/list?n=2&last=b>; rel="next"');
  const p2 = await fetch(`${u}/v2/pages/tags/list?n=2&last=b`);
  assert.deepEqual(((await p2.json()) as { tags: string[] }).tags, ['c', 'd']);
  const p3 = await fetch(`${u}/v2/pages/tags/list?n=2&last=d`);
  assert.deepEqual(((await p3.json()) as { tags: string[] }).tags, ['e']);
  assert.equal(p3.headers.get('link'), null);
  const zero = await fetch(`${u}/v2/pages/tags/list?n=0`);
  assert.deepEqual(((await zero.json()) as { tags: string[] }).tags, []);
  assert.equal(zero.headers.get('link'), null);
  const none = await fetch(`${u}/v2/no/such/repo/tags/list`);
  assert.equal(none.status, 404);
  assert.equal(await errorCode(none), 'NAME_UNKNOWN');

  const cat = await fetch(`${u}/v2/_catalog`);
  const repos = ((await cat.json()) as { repositories: string[] }).repositories;
  assert.ok(repos.includes('pages') && repos.includes('man/oci'), repos.join());
  assert.deepEqual(repos, [...repos].sort());
  const c1 = await fetch(`${u}/v2/_catalog?n=1`);
  const first = ((await c1.json()) as { repositories: string[] }).repositories;
  assert.equal(first.length, 1);
  assert.equal(c1.headers.get('link'), `</v2/_catalog?n=1&last=${encodeURIComponent(first[0]!)}>; rel="next"`);
});

test('referrers: subject recorded with OCI-Subject, listed, filtered by artifactType', async () => {
  const img = await pushImage(u, 'refs', 'base');
  const subject = { mediaType: OCI_MANIFEST, digest: img.digest, size: Buffer.byteLength(img.body) };
  const sig = await pushImage(u, 'refs', 'sig', { subject, artifactType: 'application/vnd.example.signature' });
  const sbom = await pushImage(u, 'refs', 'sbom', { subject, artifactType: 'application/vnd.example.sbom' });
  const put = await fetch(`${u}/v2/refs/manifests/sig2`, { method: 'PUT', body: sig.body, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(put.headers.get('oci-subject'), img.digest);
  const all = await fetch(`${u}/v2/refs/referrers/${img.digest}`);
  assert.equal(all.status, 200);
  assert.equal(all.headers.get('content-type'), OCI_INDEX);
  const idx = (await all.json()) as { mediaType: string; manifests: { digest: string; artifactType: string }[] };
  assert.equal(idx.mediaType, OCI_INDEX);
  assert.deepEqual(idx.manifests.map((m) => m.digest).sort(), [sig.digest, sbom.digest].sort());
  const f = await fetch(`${u}/v2/refs/referrers/${img.digest}?artifactType=application/vnd.example.sbom`);
  assert.equal(f.headers.get('oci-filters-applied'), 'artifactType');
  const fi = (await f.json()) as { manifests: { digest: string; artifactType: string }[] };
  assert.deepEqual(
    fi.manifests.map((m) => [m.digest, m.artifactType]),
    [[sbom.digest, 'application/vnd.example.sbom']],
  );
  const empty = await fetch(`${u}/v2/refs/referrers/${sha('nothing refers')}`);
  assert.equal(empty.status, 200, 'never 404');
  assert.deepEqual(((await empty.json()) as { manifests: unknown[] }).manifests, []);
  // Deleting the referrer by digest takes it out of the index.
  assert.equal((await fetch(`${u}/v2/refs/manifests/${sbom.digest}`, { method: 'DELETE' })).status, 202);
  const after = (await (await fetch(`${u}/v2/refs/referrers/${img.digest}`)).json()) as { manifests: { digest: string }[] };
  assert.deepEqual(
    after.manifests.map((m) => m.digest),
    [sig.digest],
  );
});

test('deletes: tag, manifest by digest (its tags go too), blob link', async () => {
  const img = await pushImage(u, 'del', 'keep');
  await fetch(`${u}/v2/del/manifests/gone`, { method: 'PUT', body: img.body, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal((await fetch(`${u}/v2/del/manifests/gone`, { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(`${u}/v2/del/manifests/gone`)).status, 404);
  assert.equal((await fetch(`${u}/v2/del/manifests/keep`)).status, 200, 'only the tag went');
  assert.equal((await fetch(`${u}/v2/del/manifests/${img.digest}`, { method: 'DELETE' })).status, 202);
  assert.equal((await fetch(`${u}/v2/del/manifests/keep`)).status, 404);
  assert.deepEqual(((await (await fetch(`${u}/v2/del/tags/list`)).json()) as { tags: string[] }).tags, []);
  const again = await fetch(`${u}/v2/del/manifests/${img.digest}`, { method: 'DELETE' });
  assert.equal(again.status, 404);
  assert.equal(await errorCode(again), 'MANIFEST_UNKNOWN');
  assert.equal((await fetch(`${u}/v2/del/blobs/${img.layers[0]}`, { method: 'DELETE' })).status, 202);
  const b = await fetch(`${u}/v2/del/blobs/${img.layers[0]}`);
  assert.equal(await errorCode(b), 'BLOB_UNKNOWN');
});

test('--read-only refuses every write with UNSUPPORTED/405 and still serves reads', async () => {
  const img = await pushImage(u, 'ro', 'v1');
  const ro = await startTestRegistry({ readOnly: true, root: reg.root });
  try {
    for (const [method, path] of [
      ['POST', '/v2/ro/blobs/uploads/'],
      ['PUT', '/v2/ro/manifests/v2'],
      ['DELETE', `/v2/ro/manifests/${img.digest}`],
      ['PATCH', '/v2/ro/blobs/uploads/x'],
    ]) {
      const r = await fetch(`${ro.url}${path}`, { method, body: method === 'DELETE' ? undefined : '{}' });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(await errorCode(r), 'UNSUPPORTED');
    }
    assert.equal((await fetch(`${ro.url}/v2/ro/manifests/v1`)).status, 200);
  } finally {
    await ro.close();
  }
});

test('too many open uploads is TOOMANYREQUESTS/429', async () => {
  const { RegistryStorage } = await import('./storage.js');
  const { Uploads } = await import('./uploads.js');
  const { createRegistryServer } = await import('./server.js');
  const storage = await RegistryStorage.open(reg.root);
  const server = createRegistryServer({ storage, uploads: new Uploads(storage, 1) });
  const port = await server.listenTcp(0, '127.0.0.1');
  try {
    assert.equal((await fetch(`http://127.0.0.1:${port}/v2/busy/blobs/uploads/`, { method: 'POST' })).status, 202);
    const r = await fetch(`http://127.0.0.1:${port}/v2/busy/blobs/uploads/`, { method: 'POST' });
    assert.equal(r.status, 429);
    assert.equal(await errorCode(r), 'TOOMANYREQUESTS');
  } finally {
    await server.close();
  }
});

test('a chunk cut off by the client is dropped whole; the upload goes on from where it was', async () => {
  const { request } = await import('node:http');
  const s = await fetch(`${u}/v2/cutoff/blobs/uploads/`, { method: 'POST' });
  const loc = s.headers.get('location')!;
  const first = Buffer.from('first-chunk;');
  assert.equal((await fetch(`${u}${loc}`, { method: 'PATCH', body: first, headers: { 'Content-Range': `0-${first.length - 1}` } })).status, 202);
  // Half of a declared 1 MiB chunk, then the connection goes away.
  await new Promise<void>((resolve) => {
    const req = request(`${u}${loc}`, {
      method: 'PATCH',
      headers: { 'Content-Range': `${first.length}-${first.length + (1 << 20) - 1}`, 'Content-Length': String(1 << 20) },
    });
    req.on('error', () => resolve());
    req.write(Buffer.alloc(1 << 19, 1), () =>
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100),
    );
  });
  // The server notices the abort asynchronously: poll the status (bounded).
  let range = '';
  for (let i = 0; i < 50; i++) {
    const st = await fetch(`${u}${loc}`);
    range = st.headers.get('range') ?? '';
    if (range === `0-${first.length - 1}`) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(range, `0-${first.length - 1}`);
  const rest = Buffer.from('second');
  const put = await fetch(`${u}${loc}?digest=${sha(Buffer.concat([first, rest]))}`, {
    method: 'PUT',
    body: rest,
    headers: { 'Content-Range': `${first.length}-${first.length + rest.length - 1}` },
  });
  assert.equal(put.status, 201);
});
