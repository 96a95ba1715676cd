// ADD <url> downloads against a real node:http server on 127.0.0.1 that this test starts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checksumFor, download, downloadSources, filenameFor, parseChecksum } from './add-url.js';

const BODY = 'hello from the test server\n';
const sha = (alg: string, s: string) => createHash(alg).update(s).digest('hex');
const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT';
let server: Server;
let base: string;
let work: string;
const stalled = new Set<import('node:http').ServerResponse>();

before(async () => {
  work = await mkdtemp(join(tmpdir(), `berth-add-url-${process.pid}-`));
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const hop = /^\/hop\/(\d+)$/.exec(u.pathname);
    if (hop) {
      const n = Number(hop[1]);
      res.writeHead(n > 0 ? 302 : 200, n > 0 ? { Location: `/hop/${n - 1}` } : {});
      return res.end(n > 0 ? '' : 'end of hops');
    }
    switch (u.pathname) {
      case '/file.txt':
        res.writeHead(200, { 'Last-Modified': LAST_MODIFIED });
        return res.end(BODY);
      case '/plain':
        res.writeHead(200);
        return res.end('no last-modified');
      case '/moved':
        res.writeHead(301, { Location: `http://127.0.0.1:${(server.address() as AddressInfo).port}/file.txt` });
        return res.end();
      case '/dir/':
        res.writeHead(200, { 'Content-Disposition': 'attachment; filename="named.bin"' });
        return res.end('x');
      case '/missing':
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('nothing here');
      case '/big':
        res.writeHead(200);
        return res.end(Buffer.alloc(4096, 1));
      case '/stall':
        res.writeHead(200);
        res.write('partial');
        stalled.add(res);
        return;
      default:
        res.writeHead(500);
        return res.end('boom');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const r of stalled) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(work, { recursive: true, force: true });
});

async function dir(): Promise<string> {
  return mkdtemp(join(work, 'd-'));
}

test('downloads with mode 0600, Last-Modified mtime, sha256 digest and the URL file name', async () => {
  const d = await download(`${base}/file.txt`, { dir: await dir() });
  assert.equal(await readFile(d.path, 'utf8'), BODY);
  const st = await stat(d.path);
  assert.equal(st.mode & 0o7777, 0o600);
  assert.equal(st.mtime.getTime(), Date.parse(LAST_MODIFIED));
  assert.equal(d.digest, `sha256:${sha('sha256', BODY)}`);
  assert.equal(d.size, BODY.length);
  assert.equal(d.name, 'file.txt');
  const p = await download(`${base}/plain`, { dir: await dir() });
  assert.ok(Math.abs((await stat(p.path)).mtimeMs - Date.now()) < 60_000, 'no Last-Modified: the download time');
});

test('follows redirects (absolute and relative), up to the limit', async () => {
  const d = await download(`${base}/moved`, { dir: await dir() });
  assert.equal(await readFile(d.path, 'utf8'), BODY);
  assert.equal(d.name, 'moved', 'the name comes from the URL as written');
  const ten = await download(`${base}/hop/10`, { dir: await dir() });
  assert.equal(await readFile(ten.path, 'utf8'), 'end of hops');
  await assert.rejects(download(`${base}/hop/11`, { dir: await dir() }), /stopped after 10 redirects/);
  await assert.rejects(download(`${base}/hop/3`, { dir: await dir(), maxRedirects: 2 }), /stopped after 2 redirects/);
});

test('a non-2xx status fails naming the URL and the status; nothing is left behind', async () => {
  const d = await dir();
  await assert.rejects(download(`${base}/missing`, { dir: d }), (e: Error) => {
    assert.equal(e.message, `failed to GET ${base}/missing with status 404 Not Found: nothing here`);
    return true;
  });
  await assert.rejects(download(`${base}/error`, { dir: d }), /with status 500 Internal Server Error: boom/);
  assert.deepEqual(await readdir(d), []);
});

test('--checksum: sha256/sha384/sha512 verified; a mismatch removes the file', async () => {
  for (const alg of ['sha256', 'sha384', 'sha512'] as const) {
    const d = await download(`${base}/file.txt`, { dir: await dir(), checksum: parseChecksum(`${alg}:${sha(alg, BODY)}`) });
    assert.equal(d.digest, `sha256:${sha('sha256', BODY)}`);
  }
  const d = await dir();
  const wrong = 'sha256:' + sha('sha256', 'other');
  await assert.rejects(download(`${base}/file.txt`, { dir: d, checksum: parseChecksum(wrong) }), (e: Error) => {
    assert.equal(e.message, `digest mismatch ${wrong}: sha256:${sha('sha256', BODY)}`);
    return true;
  });
  assert.deepEqual(await readdir(d), []);
});

test('checksum parsing and use', () => {
  assert.deepEqual(parseChecksum(`sha256:${'a'.repeat(64)}`), { algorithm: 'sha256', hex: 'a'.repeat(64) });
  assert.throws(() => parseChecksum('abc'), /invalid checksum digest format: abc/);
  assert.throws(() => parseChecksum(`md5:${'a'.repeat(32)}`), /unsupported digest algorithm/);
  assert.throws(() => parseChecksum('sha256:abcd'), /invalid checksum digest length/);
  assert.throws(() => parseChecksum(`sha256:${'G'.repeat(64)}`), /invalid checksum digest format/);
  assert.equal(checksumFor(['foo'], undefined), undefined);
  assert.throws(() => checksumFor(['local.txt'], `sha256:${'a'.repeat(64)}`), /checksum can't be specified for non-HTTP\(S\) sources/);
  assert.throws(() => checksumFor(['https://x/a', 'b'], `sha256:${'a'.repeat(64)}`), /non-HTTP\(S\)/);
  assert.equal(checksumFor(['https://x/a'], `sha256:${'a'.repeat(64)}`)?.algorithm, 'sha256');
});

test('file names: URL path, then Content-Disposition; none for a bare host', async () => {
  assert.equal(filenameFor(new URL('http://h/a/b%20c.tgz?x=1')), 'b c.tgz');
  assert.equal(filenameFor(new URL('http://h/')), undefined);
  assert.equal(filenameFor(new URL('http://h')), undefined);
  assert.equal(filenameFor(new URL('http://h/dir/'), 'attachment; filename="../x.bin"'), 'x.bin');
  assert.equal(filenameFor(new URL('http://h/dir/'), 'attachment; filename=y.bin'), 'y.bin');
  const d = await download(`${base}/dir/`, { dir: await dir() });
  assert.equal(d.name, 'named.bin');
});

test('bounded: size limit and idle timeout fail and leave nothing', async () => {
  const d = await dir();
  await assert.rejects(download(`${base}/big`, { dir: d, maxBytes: 1000 }), /larger than the 1000 byte limit/);
  await assert.rejects(download(`${base}/stall`, { dir: d, timeoutMs: 300 }), /failed to download .*\/stall: no data for 300 ms/);
  assert.deepEqual(await readdir(d), []);
  const ac = new AbortController();
  const p = download(`${base}/stall`, { dir: d, signal: ac.signal });
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(p, /canceled/);
  assert.deepEqual(await readdir(d), []);
});

test('downloadSources: one file per URL source in order, dispose removes them; a failure leaves nothing', async () => {
  const parent = await dir();
  const dl = await downloadSources(['local.txt', `${base}/file.txt`, `${base}/plain`], { parentDir: parent });
  assert.deepEqual(
    dl.files.map((f) => f.name),
    ['file.txt', 'plain'],
  );
  assert.equal((await readdir(parent)).length, 1);
  await dl.dispose();
  assert.deepEqual(await readdir(parent), []);
  await assert.rejects(downloadSources([`${base}/file.txt`, `${base}/missing`], { parentDir: parent }), /404/);
  assert.deepEqual(await readdir(parent), []);
  const none = await downloadSources(['a', 'b'], { parentDir: parent });
  assert.deepEqual(none.files, []);
  assert.deepEqual(await readdir(parent), []);
});
