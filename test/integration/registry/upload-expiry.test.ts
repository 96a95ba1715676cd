// Abandoned uploads on Berth's registry (`serve --upload-max-age`): a session nobody writes to
// for longer than the limit is removed with its bytes (its URL then answers BLOB_UPLOAD_UNKNOWN),
// while a session that keeps receiving chunks lives on and completes; a bad limit is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthRegistry } from './berth-registry.js';
import { http, sha } from './registry-harness.js';
import { ROOT, run } from '../../support/daemon.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startUpload(reg: BerthRegistry, repo: string): Promise<URL> {
  const r = await http(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: { 'Content-Length': '0' } });
  assert.equal(r.status, 202);
  return new URL(String(r.headers.location), reg.url);
}

async function patch(url: URL, data: Buffer, start: number): Promise<void> {
  const r = await http(url.href, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length), 'Content-Range': `${start}-${start + data.length - 1}` },
    body: data,
  });
  assert.equal(r.status, 202, r.body.toString());
}

test('an idle upload expires with its bytes; an active one survives and completes', async (t) => {
  const reg = await BerthRegistry.start({ args: ['--upload-max-age', '2s'] });
  t.after(() => reg.stop());
  const idle = await startUpload(reg, 'team/x');
  await patch(idle, Buffer.from('abandoned bytes'), 0);
  const active = await startUpload(reg, 'team/x');
  const parts: Buffer[] = [];
  let offset = 0;
  // Keep `active` busy (a chunk every 500 ms) until `idle` is gone; at most 20 s.
  const deadline = Date.now() + 20_000;
  let gone = false;
  while (!gone && Date.now() < deadline) {
    const chunk = Buffer.from(`chunk ${parts.length}\n`);
    await patch(active, chunk, offset);
    parts.push(chunk);
    offset += chunk.length;
    await sleep(500);
    gone = (await http(idle.href)).status === 404;
  }
  assert.ok(gone, 'the idle upload expired');
  const status = await http(idle.href);
  assert.match(status.body.toString(), /BLOB_UPLOAD_UNKNOWN/);
  const left = await readdir(join(reg.root, 'uploads')).catch(() => [] as string[]);
  assert.ok(!left.includes(idle.pathname.split('/').pop()!), 'its directory is removed');

  const digest = sha(Buffer.concat(parts));
  const fin = new URL(active.href);
  fin.searchParams.set('digest', digest);
  const put = await http(fin.href, { method: 'PUT', headers: { 'Content-Length': '0' } });
  assert.equal(put.status, 201, put.body.toString());
  assert.equal((await http(`${reg.url}/v2/team/x/blobs/${digest}`)).body.toString(), Buffer.concat(parts).toString());
});

test('serve refuses a bad --upload-max-age', async () => {
  const r = await run(process.execPath, [join(ROOT, 'bin/berth-registry'), 'serve', '--root', '/nonexistent-berth-root', '--upload-max-age', 'soon']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /invalid --upload-max-age "soon"/);
});
