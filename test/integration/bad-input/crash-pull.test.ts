// Crash safety of a pull: berthd is killed with SIGKILL while a three-layer image downloads and
// unpacks (each layer streams, verified as it arrives, into a staged layer dir). After a restart nothing of the pull may be visible: no image, no layer, no blob, no
// temp file; the same pull then succeeds. The registry is a small server in this test that
// sends the layers slowly, so the kill lands mid-stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { useBusyboxDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { api, leftovers, makeTar, snapshot } from './support.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before, after }, skip);
const LAYERS = 3;
const FILE_SIZE = 24 << 20;
const CHUNK = 256 << 10;

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Blob {
  body: Buffer;
  type: string;
}

let server: Server;
let host: string;
/** Milliseconds between 256 KiB chunks of a layer blob (0: as fast as possible). */
let delayMs = 0;
const blobs = new Map<string, Blob>();

before(async () => {
  if (skip) return;
  const layers: Buffer[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < LAYERS; i++) {
    const data = Buffer.alloc(FILE_SIZE);
    for (let off = 0; off < data.length; off += 4) data.writeUInt32LE(((off + i) * 2654435761) >>> 0, off);
    const tar = await makeTar([{ name: `big-${i}`, data }]);
    diffIds.push(sha(tar));
    layers.push(gzipSync(tar, { level: 1 }));
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds }, config: {} }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(l), size: l.length })),
    }),
  );
  for (const l of layers) blobs.set(sha(l), { body: l, type: 'application/octet-stream' });
  blobs.set(sha(config), { body: config, type: 'application/octet-stream' });
  blobs.set('latest', { body: manifest, type: 'application/vnd.oci.image.manifest.v1+json' });
  server = createServer((req, res) => {
    if (req.url === '/v2/') return void res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' }).end('{}');
    const m = /^\/v2\/big\/(manifests|blobs)\/([^/]+)$/.exec(req.url ?? '');
    const b = m && blobs.get(m[2]!);
    if (!b) return void res.writeHead(404).end();
    const headers: Record<string, string | number> = { 'Content-Type': b.type, 'Content-Length': b.body.length };
    if (m[1] === 'manifests') headers['Docker-Content-Digest'] = sha(b.body);
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return void res.end();
    const slow = delayMs && b.body.length > CHUNK;
    void (async () => {
      for (let off = 0; off < b.body.length && !res.destroyed; off += CHUNK) {
        if (!res.write(b.body.subarray(off, off + CHUNK))) await new Promise((r) => res.once('drain', r));
        if (slow) await new Promise((r) => setTimeout(r, delayMs));
      }
      res.end();
    })();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const p = join(dir, name);
    const st = await stat(p).catch(() => undefined);
    if (st?.isDirectory()) n += await dirBytes(p);
    else n += st?.size ?? 0;
  }
  return n;
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('SIGKILL while three layers download and unpack, then restart: no trace of the pull; the pull then works', { skip, timeout: 120_000 }, async () => {
  const before = await snapshot(d);
  // A pull keeps no compressed blob (as dockerd): each layer streams, verified, straight into a
  // staged layer dir.
  const staging = join(d.dataRoot, 'overlay/tmp');
  delayMs = 10;
  const pull = api(d, 'POST', `/images/create?fromImage=${host}/big&tag=latest`).catch(() => undefined);
  await waitFor('the download and the unpack to be under way', async () => (await dirBytes(staging)) > 4 << 20);
  await d.kill('SIGKILL');
  await pull;
  assert.ok((await dirBytes(staging)) < LAYERS * FILE_SIZE, 'the kill happened mid-stream');
  await d.start();
  assert.deepEqual(await leftovers(d), [], 'temp files survived the restart');
  assert.deepEqual(await snapshot(d), before, 'the store is not as before the interrupted pull');

  delayMs = 0;
  const r = await api(d, 'POST', `/images/create?fromImage=${host}/big&tag=latest`);
  assert.equal(r.status, 200, r.text);
  assert.doesNotMatch(r.text, /errorDetail/);
  const img = await api(d, 'GET', `/images/${host}/big:latest/json`);
  assert.equal(img.status, 200, img.text);
  const info = img.json as { Size: number; RootFS: { Layers: string[] } };
  assert.equal(info.RootFS.Layers.length, LAYERS);
  assert.equal(info.Size, LAYERS * FILE_SIZE);
  assert.deepEqual(await leftovers(d), []);
  assert.equal((await api(d, 'DELETE', `/images/${host}/big:latest`)).status, 200);
  assert.deepEqual(await snapshot(d), before);
});
