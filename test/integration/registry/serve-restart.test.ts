// Uploads survive the server: a registry process killed with -9 in the middle of a chunk loses
// only that chunk; after a restart on the same root the client reads the upload's Range,
// resends from there and the blob commits with its digest verified. Also: `berth registry
// serve` through the CLI, and SIGTERM ending it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { stat, readdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BerthRegistry } from './berth-registry.js';
import { ROOT as ROOT_DIR, sha } from './registry-harness.js';

async function waitFor(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('kill -9 during a chunked upload, restart, resume from the reported Range', async (t) => {
  const root = await mkdtemp(join(tmpdir(), `berth-reg-restart-${process.pid}-`));
  t.after(() => rm(root, { recursive: true, force: true }));
  const blob = randomBytes(3 * 1024 * 1024 + 17);
  const digest = sha(blob);
  const first = 1024 * 1024;

  let reg = await BerthRegistry.start({ root });
  const start = await fetch(`${reg.url}/v2/crash/test/blobs/uploads/`, { method: 'POST' });
  assert.equal(start.status, 202);
  const loc = start.headers.get('location')!;
  const id = start.headers.get('docker-upload-uuid')!;
  const p1 = await fetch(`${reg.url}${loc}`, { method: 'PATCH', body: blob.subarray(0, first), headers: { 'Content-Range': `0-${first - 1}` } });
  assert.equal(p1.status, 202);
  assert.equal(p1.headers.get('range'), `0-${first - 1}`);

  // The second chunk: half of it sent, then the server dies before the rest arrives.
  const dataFile = join(root, 'uploads', id, 'data');
  const req = request(`${reg.url}${loc}`, {
    method: 'PATCH',
    headers: { 'Content-Range': `${first}-${blob.length - 1}`, 'Content-Length': String(blob.length - first) },
  });
  req.on('error', () => {}); // the connection dies with the server
  req.write(blob.subarray(first, first + 1024 * 1024));
  await waitFor('the half chunk on disk', async () => (await stat(dataFile)).size > first);
  await reg.kill9();
  req.destroy();
  assert.equal((await readdir(join(root, 'blobs', 'sha256'))).length, 0, 'nothing became a blob');

  reg = await BerthRegistry.start({ root });
  t.after(() => reg.stop());
  assert.match(reg.logs.join(''), /uploadsRecovered=1/);
  const st = await fetch(`${reg.url}${loc}`);
  assert.equal(st.status, 204);
  assert.equal(st.headers.get('range'), `0-${first - 1}`, 'the cut-off chunk was dropped whole');
  assert.equal((await stat(dataFile)).size, first);
  // A wrong retry (from where the client had got to) is refused; the right one goes on.
  const wrong = await fetch(`${reg.url}${loc}`, {
    method: 'PATCH',
    body: blob.subarray(first + 1024 * 1024),
    headers: { 'Content-Range': `${first + 1024 * 1024}-${blob.length - 1}` },
  });
  assert.equal(wrong.status, 416);
  await wrong.text();
  const p2 = await fetch(`${reg.url}${loc}`, { method: 'PATCH', body: blob.subarray(first), headers: { 'Content-Range': `${first}-${blob.length - 1}` } });
  assert.equal(p2.status, 202);
  const put = await fetch(`${reg.url}${loc}?digest=${digest}`, { method: 'PUT' });
  assert.equal(put.status, 201);
  const got = Buffer.from(await (await fetch(`${reg.url}/v2/crash/test/blobs/${digest}`)).arrayBuffer());
  assert.equal(sha(got), digest);
  assert.deepEqual(await readdir(join(root, 'uploads')), [], 'the session is gone');
});

test('`berth registry serve` runs the server bundle; SIGTERM ends it with status 0', async () => {
  const reg = await BerthRegistry.start({ viaCli: true });
  const r = await fetch(`${reg.url}/v2/`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
  assert.equal(await reg.stop(), 0);
});

test('`berth registry gc` beside a running server: --dry-run lists, then deletes only old orphans', async (t) => {
  const reg = await BerthRegistry.start();
  t.after(() => reg.stop());
  const orphan = Buffer.from('nobody references me');
  const d = sha(orphan);
  assert.equal((await fetch(`${reg.url}/v2/gc/cli/blobs/uploads/?digest=${d}`, { method: 'POST', body: orphan })).status, 201);
  const { execFile } = await import('node:child_process');
  const run = (args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [join(ROOT_DIR, 'bin/berth'), 'registry', 'gc', '--root', reg.root, ...args], (e, out) => (e ? reject(e) : resolve(out))),
    );
  assert.match(await run(['--grace', '0', '--dry-run']), new RegExp(`would delete ${d} \\(20 bytes\\)`));
  assert.equal((await fetch(`${reg.url}/v2/gc/cli/blobs/${d}`, { method: 'HEAD' })).status, 200, 'dry run');
  assert.match(await run([]), /deleted 0 blobs .* spared 1 younger than 60 minutes/);
  assert.match(await run(['--grace', '0']), /deleted 1 blobs \(20 bytes\)/);
  assert.equal((await fetch(`${reg.url}/v2/gc/cli/blobs/${d}`, { method: 'HEAD' })).status, 404);
});
