// ADD <http url> (with --checksum) and COPY --parents through a real berthd. The files are served
// by a node:http server on 127.0.0.1 in this process: the daemon downloads them itself (not a
// build container), so loopback reaches it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectOk, useBusyboxDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { makeContext } from '../../support/context-dir.js';

const skip = requiresRoot('berthd with crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before, after }, skip);
const LAST_MODIFIED = 'Wed, 21 Oct 2015 07:28:00 GMT';
const served: Record<string, string | Buffer> = { 'conf.txt': 'setting=1\n', 'notes.txt': 'version one\n' };
const hits: Record<string, number> = {};
let server: Server;
let base: string;
let work: string;

const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-addurl-${process.pid}-`));
  const inner = join(work, 'inner');
  await mkdir(inner);
  await writeFile(join(inner, 'in-archive.txt'), 'inside\n');
  served['app.tgz'] = execFileSync('tar', ['-C', work, '-cz', 'inner']);
  server = createServer((req, res) => {
    const name = (req.url ?? '').replace(/^\/files\//, '');
    hits[name] = (hits[name] ?? 0) + 1;
    const body = served[name];
    if (req.url?.startsWith('/files/') && body !== undefined) {
      res.writeHead(200, { 'Last-Modified': LAST_MODIFIED, 'Content-Length': Buffer.byteLength(body) });
      return res.end(body);
    }
    if (req.url === '/go') {
      res.writeHead(302, { Location: '/files/conf.txt' });
      return res.end();
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('no such file');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  if (work) await rm(work, { recursive: true, force: true });
});

const ok = expectOk;
const ctxDir = (files: Record<string, string>): Promise<string> => makeContext(work, files);

async function sh(image: string, script: string): Promise<string> {
  return ok(await d.berth(['run', '--rm', '--network', 'none', image, 'sh', '-c', script])).stdout;
}

async function noImage(ref: string): Promise<void> {
  const r = await d.berth(['image', 'inspect', ref]);
  assert.notEqual(r.code, 0, `${ref} should not exist`);
}

test('ADD <url>: name from the URL or the dest, 0600 or --chmod, --chown, Last-Modified mtime, never extracted, redirects', { skip }, async () => {
  const dir = await ctxDir({
    Dockerfile: `FROM busybox
ADD ${base}/files/app.tgz /dl/
ADD ${base}/files/conf.txt /etc/conf-renamed.txt
ADD --chown=1:2 --chmod=640 ${base}/files/conf.txt /owned/
ADD ${base}/go /redirected/
ADD --unpack=true ${base}/files/app.tgz /unpacked/
`,
  });
  ok(await d.berth(['build', '-t', 'addurl:1', dir]));
  assert.equal(await sh('addurl:1', 'cat /unpacked/inner/in-archive.txt'), 'inside\n', 'ADD --unpack=true extracts a download');
  const out = await sh(
    'addurl:1',
    'ls /dl; stat -c "%n %a %u:%g %Y" /dl/app.tgz /etc/conf-renamed.txt /owned/conf.txt /redirected/go; cat /etc/conf-renamed.txt /redirected/go',
  );
  const mtime = Date.parse(LAST_MODIFIED) / 1000;
  assert.equal(
    out,
    [
      'app.tgz',
      `/dl/app.tgz 600 0:0 ${mtime}`,
      `/etc/conf-renamed.txt 600 0:0 ${mtime}`,
      `/owned/conf.txt 640 1:2 ${mtime}`,
      `/redirected/go 600 0:0 ${mtime}`,
      'setting=1',
      'setting=1',
      '',
    ].join('\n'),
  );
  const hist = ok(await d.berth(['history', '--no-trunc', '--format', '{{.CreatedBy}}', 'addurl:1'])).stdout;
  assert.match(hist, new RegExp(`ADD file:${sha256(served['conf.txt']!)} in /etc/conf-renamed.txt`));
});

test('ADD <url> with the docker CLI', { skip }, async (t) => {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
  } catch {
    return t.skip('docker CLI not installed');
  }
  const dir = await ctxDir({ Dockerfile: `FROM busybox\nADD --checksum=sha256:${sha256(served['conf.txt']!)} ${base}/files/conf.txt /c/\n` });
  ok(await d.docker(['build', '-t', 'addurl:docker', dir]));
  assert.equal(await sh('addurl:docker', 'cat /c/conf.txt'), 'setting=1\n');
});

test('ADD --checksum: a match builds, a mismatch fails the build and tags nothing; misuse is an error', { skip }, async () => {
  const good = await ctxDir({ Dockerfile: `FROM busybox\nADD --checksum=sha256:${sha256(served['conf.txt']!)} ${base}/files/conf.txt /c/\n` });
  ok(await d.berth(['build', '-t', 'sum:good', good]));
  assert.equal(await sh('sum:good', 'cat /c/conf.txt'), 'setting=1\n');

  const wrong = sha256('something else');
  const bad = await ctxDir({ Dockerfile: `FROM busybox\nADD --checksum=sha256:${wrong} ${base}/files/conf.txt /c/\n` });
  const r = await d.berth(['build', '-t', 'sum:bad', bad]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, new RegExp(`digest mismatch sha256:${wrong}: sha256:${sha256(served['conf.txt']!)}`));
  await noImage('sum:bad');

  const local = await ctxDir({ Dockerfile: `FROM busybox\nADD --checksum=sha256:${wrong} local.txt /c/\n`, 'local.txt': 'x' });
  const l = await d.berth(['build', '-t', 'sum:local', local]);
  assert.equal(l.code, 1);
  assert.match(l.stderr, /checksum can't be specified for non-HTTP\(S\) sources/);
  await noImage('sum:local');

  const malformed = await ctxDir({ Dockerfile: `FROM busybox\nADD --checksum=sha256:abc ${base}/files/conf.txt /c/\n` });
  const m = await d.berth(['build', '-t', 'sum:malformed', malformed]);
  assert.equal(m.code, 1);
  assert.match(m.stderr, /invalid checksum digest length: sha256:abc/);
});

test('ADD <url>: a 404 fails naming the URL and status; COPY <url> keeps its error', { skip }, async () => {
  const dir = await ctxDir({ Dockerfile: `FROM busybox\nADD ${base}/files/absent.txt /a/\n` });
  const r = await d.berth(['build', '-t', 'addurl:404', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`failed to GET ${base}/files/absent.txt with status 404 Not Found: no such file`));
  await noImage('addurl:404');
  const copy = await ctxDir({ Dockerfile: `FROM busybox\nCOPY ${base}/files/conf.txt /a/\n` });
  const c = await d.berth(['build', '-t', 'addurl:copy', copy]);
  assert.equal(c.code, 1);
  assert.match(c.stderr, /source can't be a URL for COPY/);
  // Nothing of the failed downloads is left in the builder's runs dir.
  assert.deepEqual(
    (await readdir(join(d.dataRoot, 'builder', 'runs'))).filter((n) => n.startsWith('download-')),
    [],
  );
});

test('ADD <url> cache: downloaded every build, reused while the content is the same, rerun when it changes', { skip }, async () => {
  const dir = await ctxDir({ Dockerfile: `FROM busybox\nADD ${base}/files/notes.txt /n/\nRUN cat /n/notes.txt > /n/copy.txt\n` });
  const first = ok(await d.berth(['build', '-t', 'cache:1', dir]));
  assert.doesNotMatch(first.stdout, /Using cache/);
  const before = hits['notes.txt'] ?? 0;
  const second = ok(await d.berth(['build', '-t', 'cache:2', dir]));
  assert.equal(second.stdout.match(/Using cache/g)?.length, 2, second.stdout);
  assert.equal(hits['notes.txt'], before + 1, 'the classic builder downloads on every build');
  served['notes.txt'] = 'version two\n';
  const third = ok(await d.berth(['build', '-t', 'cache:3', dir]));
  assert.doesNotMatch(third.stdout, /Using cache/);
  assert.equal(await sh('cache:3', 'cat /n/copy.txt'), 'version two\n');
  assert.equal(await sh('cache:1', 'cat /n/copy.txt'), 'version one\n');
});

test('COPY --parents: kept paths, ** globs, the /./ pivot, --from, and its cache', { skip }, async () => {
  const dir = await ctxDir({
    Dockerfile: `FROM busybox AS base
COPY ./x/a.txt ./y/b.txt /flat/
COPY --parents ./x/a.txt ./y/b.txt /out/
COPY --parents ./src/**/*.go /go/
COPY --parents ./lib/./v/k.txt /piv/
FROM busybox
COPY --parents --from=base /out/./x/a.txt /go/./src/x /final/
`,
    'x/a.txt': 'a',
    'y/b.txt': 'b',
    'src/m.go': 'm',
    'src/x/n.go': 'n',
    'src/x/y/o.go': 'o',
    'src/x/y/p.js': 'p',
    'lib/v/k.txt': 'k',
  });
  ok(await d.berth(['build', '--target', 'base', '-t', 'parents:base', dir]));
  assert.equal(
    await sh('parents:base', 'find /flat /out /go /piv -type f | sort'),
    ['/flat/a.txt', '/flat/b.txt', '/go/src/m.go', '/go/src/x/n.go', '/go/src/x/y/o.go', '/out/x/a.txt', '/out/y/b.txt', '/piv/v/k.txt', ''].join('\n'),
  );
  ok(await d.berth(['build', '-t', 'parents:final', dir]));
  assert.equal(await sh('parents:final', 'find /final -type f | sort'), ['/final/src/x/n.go', '/final/src/x/y/o.go', '/final/x/a.txt', ''].join('\n'));

  const again = ok(await d.berth(['build', '-t', 'parents:again', dir]));
  assert.equal(again.stdout.match(/Using cache/g)?.length, 5, again.stdout);
  await writeFile(join(dir, 'src/x/y/p.js'), 'not matched by *.go');
  const unrelated = ok(await d.berth(['build', '-t', 'parents:again', dir]));
  assert.equal(unrelated.stdout.match(/Using cache/g)?.length, 5, 'a file no pattern matches does not invalidate');
  await writeFile(join(dir, 'src/x/y/o.go'), 'changed');
  const changed = ok(await d.berth(['build', '-t', 'parents:changed', dir]));
  assert.equal(changed.stdout.match(/Using cache/g)?.length, 2, changed.stdout);
  assert.equal(await sh('parents:changed', 'cat /final/src/x/y/o.go'), 'changed');
});
