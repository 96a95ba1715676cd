// The builder through a real berthd, once the daemon mounts POST /build (skips with a message
// while it answers 404): build with berth and the docker CLI, run the image with berth run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { execFileSync } from 'node:child_process';
import { TestDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';

let d: TestDaemon | undefined;
let mounted = false;
let ctx: string;

function probe(socket: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // An empty body is not a tar: a mounted route answers 400/500, an unmounted one 404.
    const req = request(
      { socketPath: socket, path: '/build?version=1', method: 'POST', headers: { 'Content-Type': 'application/x-tar', 'Content-Length': 0 } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  if (requiresRoot()) return;
  d = await TestDaemon.create();
  await d.start();
  mounted = (await probe(d.socket)) !== 404;
  if (!mounted) {
    process.stderr.write('berthd-build: POST /build is 404 (route not mounted in berthd yet): skipping\n');
    return;
  }
  await d.importBusybox();
  ctx = await mkdtemp(join(tmpdir(), 'berthd-build-'));
  await writeFile(
    join(ctx, 'Dockerfile'),
    'FROM busybox\nENV WHO=berthd\nWORKDIR /w\nCOPY msg.txt .\nRUN cat msg.txt > out.txt\nCMD ["sh", "-c", "echo $WHO $(cat out.txt) $(pwd)"]\n',
  );
  await writeFile(join(ctx, 'msg.txt'), 'built');
});

after(async () => {
  if (d) await d.stop();
  if (ctx) await rm(ctx, { recursive: true, force: true });
});

test('berth build then berth run through berthd; cached rebuild', async (t) => {
  if (!d || !mounted) return t.skip('berthd does not serve POST /build yet');
  const r = await d.berth(['build', '-t', 'bd:1', ctx]);
  assert.equal(r.code, 0, r.stderr);
  const run = await d.berth(['run', '--rm', 'bd:1']);
  assert.equal(run.stdout, 'berthd built /w\n', run.stderr);
  const again = await d.berth(['build', '-t', 'bd:2', ctx]);
  assert.equal(again.stdout.match(/Using cache/g)?.length, 5, again.stdout);
  assert.equal((await d.berth(['ps', '-aq'])).stdout.trim(), '', 'no build container is visible as a container');
});

test('docker build through berthd', async (t) => {
  if (!d || !mounted) return t.skip('berthd does not serve POST /build yet');
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
  } catch {
    return t.skip('docker CLI not installed');
  }
  const r = await d.docker(['build', '-t', 'bd:docker', ctx]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Successfully tagged bd:docker/);
  const run = await d.docker(['run', '--rm', 'bd:docker']);
  assert.equal(run.stdout, 'berthd built /w\n');
});
