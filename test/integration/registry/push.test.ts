// Pushes end to end: berthd's push client (POST /images/{name}/push) driven by `berth push` and
// by the docker CLI, into Berth's own registry on 127.0.0.1: an imported image (layers gzipped
// on the way), a pulled one retagged into another repository (its layer mounted, not sent),
// a second push (layers already exist), the pushed image pulled back by digest and run, and a
// token-auth registry where a pull-only account is denied.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { TestDaemon, expectOk, run } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { BerthRegistry } from './berth-registry.js';
import { MT, ROOT, TestRegistry, busyboxLayer, http, pushImage, sha } from './registry-harness.js';
import { makeTestHelper } from './test-credential-helper.js';

const execFileP = promisify(execFile);
const skip = requiresRoot('real crun, overlayfs');

let d: TestDaemon;
let reg: BerthRegistry;
let work: string;

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-push-${process.pid}-`));
  reg = await BerthRegistry.start();
  d = await TestDaemon.create();
  await d.start();
});
after(async () => {
  await d?.stop();
  await reg?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Manifest {
  mediaType: string;
  config: { digest: string };
  layers: { digest: string; mediaType: string; size: number }[];
}

test('berth push of an imported image: Docker progress, digest line, blobs that unpack to the diffIDs', { skip }, async () => {
  const ref = `${reg.host}/imported/bb:v1`;
  await d.importBusybox(ref);
  const r = expectOk(await d.berth(['push', ref]));
  const inspect = JSON.parse(expectOk(await d.berth(['image', 'inspect', ref])).stdout)[0];
  const id = (inspect.RootFS.Layers[0] as string).slice(7, 19);
  assert.match(r.stdout, new RegExp(`^The push refers to repository \\[${reg.host}/imported/bb\\]\n`));
  assert.match(r.stdout, new RegExp(`${id}: Pushed\n`));
  const m = /v1: digest: (sha256:[a-f0-9]{64}) size: (\d+)\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const got = await fetch(`${reg.url}/v2/imported/bb/manifests/v1`);
  assert.equal(got.headers.get('docker-content-digest'), m[1]);
  const body = Buffer.from(await got.arrayBuffer());
  assert.equal(body.length, Number(m[2]));
  const manifest = JSON.parse(body.toString()) as Manifest;
  const after = JSON.parse(expectOk(await d.berth(['image', 'inspect', ref])).stdout)[0];
  assert.deepEqual(after.RepoDigests, [`${reg.host}/imported/bb@${m[1]}`], 'the pushed digest is a RepoDigest');
  assert.equal(manifest.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
  assert.equal(manifest.config.digest, inspect.Id);
  const blob = Buffer.from(await (await fetch(`${reg.url}/v2/imported/bb/blobs/${manifest.layers[0]!.digest}`)).arrayBuffer());
  assert.equal(sha(gunzipSync(blob)), inspect.RootFS.Layers[0], 'the gzip blob unpacks to the diffID');

  // Again: nothing to send.
  const again = expectOk(await d.berth(['push', ref]));
  assert.match(again.stdout, new RegExp(`${id}: Layer already exists\n`));
  assert.match(again.stdout, new RegExp(`v1: digest: ${m[1]} size: ${m[2]}\n`), 'the same manifest, byte for byte');
});

test('a pulled image retagged into another repository is mounted; docker push through berthd; pull back and run', { skip }, async () => {
  const bb = await busyboxLayer(work);
  const src = await pushImage(reg, 'library/src', 'latest', [bb], { cmd: ['echo', 'pushed-by-berth'] });
  expectOk(await d.berth(['pull', `${reg.host}/library/src`]));
  expectOk(await d.berth(['tag', `${reg.host}/library/src`, `${reg.host}/team/copy:v1`]));
  const r = expectOk(await d.docker(['push', `${reg.host}/team/copy:v1`]));
  assert.match(r.stdout, new RegExp(`${bb.diffId.slice(7, 19)}: Mounted from library/src\n`), r.stdout);
  assert.match(r.stdout, /v1: digest: sha256:[a-f0-9]{64} size: \d+\n/);
  const head = await fetch(`${reg.url}/v2/team/copy/blobs/${src.layerDigests[0]}`, { method: 'HEAD' });
  assert.equal(head.status, 200, 'the compressed blob pulled is the one in the new repository');
  const digest = /digest: (sha256:[a-f0-9]{64})/.exec(r.stdout)![1]!;
  // Pull it back by digest under a fresh daemon store state: remove the local tags first.
  expectOk(await d.berth(['rmi', `${reg.host}/team/copy:v1`, `${reg.host}/library/src`]));
  expectOk(await d.berth(['pull', `${reg.host}/team/copy@${digest}`]));
  const out = await d.berth(['run', '--rm', `${reg.host}/team/copy@${digest}`]);
  assert.equal(out.stdout, 'pushed-by-berth\n', out.stderr);
});

test('push to a token-auth registry: credentials from config.json; a pull-only account is denied', { skip }, async (t) => {
  const keyFile = join(work, 'token.key');
  await execFileP('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  const users = [
    (await execFileP('htpasswd', ['-Bbn', 'alice', 'alice-pw'])).stdout.trim(),
    (await execFileP('htpasswd', ['-Bbn', 'bob', 'bob-pw'])).stdout.trim(),
  ];
  await writeFile(join(work, 'htpasswd'), users.join('\n') + '\n');
  await writeFile(
    join(work, 'access.json'),
    JSON.stringify({
      rules: [
        { account: 'alice', repositories: '*', actions: ['*'] },
        { account: 'bob', repositories: '*', actions: ['pull'] },
      ],
    }),
  );
  const treg = await BerthRegistry.start({ args: ['--htpasswd', join(work, 'htpasswd'), '--access', join(work, 'access.json'), '--token-key', keyFile] });
  t.after(() => treg.stop());
  const ref = `${treg.host}/secure/bb:v1`;
  await d.importBusybox(ref);
  const configFor = async (user: string, pw: string) => {
    const dir = join(work, `cfg-${user}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [treg.host]: { auth: Buffer.from(`${user}:${pw}`).toString('base64') } } }));
    return dir;
  };
  const berthAs = async (user: string, pw: string, args: string[]) =>
    run(process.execPath, [join(ROOT, 'bin/berth'), ...args], { env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: await configFor(user, pw) } });
  const denied = await berthAs('bob', 'bob-pw', ['push', ref]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr + denied.stdout, /denied: requested access to the resource is denied/);
  const anon = await d.berth(['push', ref]);
  assert.equal(anon.code, 1, 'no credentials: no push');
  const ok = await berthAs('alice', 'alice-pw', ['push', ref]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /v1: digest: sha256:/);
});

test('berth login / docker login through berthd (POST /auth) to a token server: the identity token is stored, not the password; push and pull with it; logout', {
  skip,
}, async (t) => {
  const keyFile = join(work, 'login-token.key');
  await execFileP('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
  await writeFile(join(work, 'login-htpasswd'), (await execFileP('htpasswd', ['-Bbn', 'carol', 'carol-pw'])).stdout);
  const treg = await BerthRegistry.start({ args: ['--htpasswd', join(work, 'login-htpasswd'), '--token-key', keyFile] });
  t.after(() => treg.stop());
  const cfgDir = join(work, 'login-cfg');
  const berth = (args: string[], input?: string) =>
    run(process.execPath, [join(ROOT, 'bin/berth'), ...args], { input, env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: cfgDir } });

  const wrong = await berth(['login', '-u', 'carol', '--password-stdin', treg.host], 'nope\n');
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /unauthorized|authentication required|invalid username/i);
  const ok = await berth(['login', '-u', 'carol', '--password-stdin', treg.host], 'carol-pw\n');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'Login Succeeded\n');
  // As docker: the token server's refresh token (IdentityToken) is kept in the password's place.
  const cfg = JSON.parse(await readFile(join(cfgDir, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string; identitytoken?: string }> };
  assert.equal(Buffer.from(cfg.auths[treg.host]!.auth, 'base64').toString(), 'carol:');
  const identity = cfg.auths[treg.host]!.identitytoken!;
  assert.equal((JSON.parse(Buffer.from(identity.split('.')[1]!, 'base64url').toString()) as { sub: string }).sub, 'carol');
  assert.doesNotMatch(await readFile(join(cfgDir, 'config.json'), 'utf8'), /carol-pw/);
  // POST /auth itself answers the IdentityToken, as dockerd does.
  const auth = await d.api('POST', '/auth', { username: 'carol', password: 'carol-pw', serveraddress: treg.host });
  assert.equal(auth.status, 200);
  const answer = auth.json as { Status: string; IdentityToken: string };
  assert.equal(answer.Status, 'Login Succeeded');
  assert.equal(answer.IdentityToken.split('.').length, 3, 'a JWT refresh token');

  const ref = `${treg.host}/carol/bb:v1`;
  await d.importBusybox(ref);
  const push = await berth(['push', ref]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /v1: digest: sha256:/);

  // The docker CLI logs in through berthd too, and stores the identity token it is given.
  const docker = await d.docker(['login', '-u', 'carol', '--password-stdin', treg.host], { input: 'carol-pw\n' });
  assert.equal(docker.code, 0, docker.stderr);
  assert.match(docker.stdout, /Login Succeeded/);
  const dockerCfg = JSON.parse(await readFile(join(d.dir, 'docker-config', 'config.json'), 'utf8')) as { auths: Record<string, { identitytoken?: string }> };
  assert.ok(dockerCfg.auths[treg.host]?.identitytoken, 'docker stored an identity token');
  // The docker CLI sends what it stored as X-Registry-Auth; berthd's push uses it for the token.
  expectOk(await d.berth(['tag', ref, `${treg.host}/carol/bb:v2`]));
  const dockerPush = await d.docker(['push', `${treg.host}/carol/bb:v2`]);
  assert.equal(dockerPush.code, 0, dockerPush.stderr);
  assert.match(dockerPush.stdout, /: Layer already exists\n/);
  assert.match(dockerPush.stdout, /v2: digest: sha256:/);
  const dockerWrong = await d.docker(['login', '-u', 'carol', '--password-stdin', treg.host], { input: 'bad\n' });
  assert.equal(dockerWrong.code, 1);

  // Pulls send the stored credentials too.
  const pulled = await berth(['pull', `${treg.host}/carol/bb:v2`]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, /Digest: sha256:/);

  const out = await berth(['logout', treg.host]);
  assert.equal(out.stdout, `Removing login credentials for ${treg.host}\n`);
  const after = JSON.parse(await readFile(join(cfgDir, 'config.json'), 'utf8')) as { auths: Record<string, unknown> };
  assert.deepEqual(after.auths, {});
  assert.equal((await berth(['push', ref])).code, 1, 'logged out: no push');
  assert.equal((await berth(['pull', `${treg.host}/carol/bb:v2`])).code, 1, 'logged out: no pull');
});

test('credsStore: berth login stores through docker-credential-testhelper, push and pull get from it (docker too), logout erases', { skip }, async (t) => {
  await writeFile(join(work, 'helper-htpasswd'), (await execFileP('htpasswd', ['-Bbn', 'erin', 'erin-pw'])).stdout);
  const hreg = await BerthRegistry.start({ args: ['--htpasswd', join(work, 'helper-htpasswd')] });
  t.after(() => hreg.stop());
  const helper = await makeTestHelper(join(work, 'helper'));
  const cfgDir = join(work, 'helper-cfg');
  await mkdir(cfgDir, { recursive: true });
  await writeFile(join(cfgDir, 'config.json'), JSON.stringify({ credsStore: 'testhelper' }));
  const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: cfgDir, PATH: `${helper.binDir}:${process.env.PATH}` };
  const berth = (args: string[], input?: string) => run(process.execPath, [join(ROOT, 'bin/berth'), ...args], { input, env });

  const ok = await berth(['login', '-u', 'erin', '--password-stdin', hreg.host], 'erin-pw\n');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'Login Succeeded\n');
  assert.doesNotMatch(ok.stderr, /unencrypted/, 'no plain-text warning with a helper');
  assert.deepEqual(await helper.stored(), [{ ServerURL: hreg.host, Username: 'erin', Secret: 'erin-pw' }]);
  const cfg = JSON.parse(await readFile(join(cfgDir, 'config.json'), 'utf8')) as { credsStore: string; auths: Record<string, unknown> };
  assert.deepEqual(cfg, { credsStore: 'testhelper', auths: { [hreg.host]: {} } }, 'the file keeps no secret');

  const ref = `${hreg.host}/erin/bb:v1`;
  await d.importBusybox(ref);
  const push = await berth(['push', ref]);
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stdout, /v1: digest: sha256:/);
  assert.ok((await helper.verbs()).includes('get'), 'push asked the helper');
  const pulled = await berth(['pull', ref]);
  assert.equal(pulled.code, 0, pulled.stderr);
  // The docker CLI reads the same helper.
  const dockerPull = await run('docker', ['pull', ref], { env });
  assert.equal(dockerPull.code, 0, dockerPull.stderr);

  const out = await berth(['logout', hreg.host]);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, `Removing login credentials for ${hreg.host}\n`);
  assert.deepEqual(await helper.stored(), [], 'erased from the helper');
  assert.equal((await berth(['push', ref])).code, 1, 'logged out: no push');
  assert.equal((await berth(['logout', hreg.host])).stdout, `Not logged in to ${hreg.host}\n`);

  // A helper that is not on the PATH: login fails as docker's does, and nothing is written.
  await writeFile(join(cfgDir, 'config.json'), JSON.stringify({ credHelpers: { [hreg.host]: 'missing' } }));
  const missing = await berth(['login', '-u', 'erin', '--password-stdin', hreg.host], 'erin-pw\n');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error saving credentials: .*docker-credential-missing.*not found in \$PATH/m);
});

test("berthd pushes to Debian's docker-registry: a new layer of random and text bytes streams up, unpacks to its diffID, pulls back; a re-push sends nothing", {
  skip,
}, async (t) => {
  const dreg = await TestRegistry.start();
  t.after(() => dreg.stop());
  const dir = join(work, 'mixed-layer');
  await mkdir(dir, { recursive: true });
  // > 1 MiB of each: chunks that are stored (random) and chunks that are deflated (text).
  await writeFile(join(dir, 'random.bin'), randomBytes(3 * 1024 * 1024 + 17));
  await writeFile(join(dir, 'text.txt'), 'a line of layer text\n'.repeat(120_000));
  await execFileP('tar', ['-C', dir, '-cf', `${dir}.tar`, 'random.bin', 'text.txt']);
  const ref = `${dreg.host}/mixed/img:v1`;
  expectOk(await d.berth(['import', `${dir}.tar`, ref]));
  const before = JSON.parse(expectOk(await d.berth(['image', 'inspect', ref])).stdout)[0];
  const r = expectOk(await d.berth(['push', ref]));
  const id = (before.RootFS.Layers[0] as string).slice(7, 19);
  assert.match(r.stdout, new RegExp(`${id}: Pushed\n`));
  const m = /v1: digest: (sha256:[a-f0-9]{64}) size: \d+\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);

  const manifest = JSON.parse((await http(`http://${dreg.host}/v2/mixed/img/manifests/v1`, { headers: { Accept: MT.manifest } })).body.toString()) as Manifest;
  const blob = (await http(`http://${dreg.host}/v2/mixed/img/blobs/${manifest.layers[0]!.digest}`)).body;
  assert.equal(blob.length, manifest.layers[0]!.size);
  assert.equal(sha(blob), manifest.layers[0]!.digest, 'docker-registry verified and kept the streamed bytes');
  const tar = gunzipSync(blob);
  assert.equal(sha(tar), before.RootFS.Layers[0], 'the gzip members unpack to the diffID');
  assert.ok(blob.length < tar.length - 2_000_000, 'the text was compressed');
  if (existsSync('/usr/bin/skopeo')) {
    // Go's gzip reader (containers/image) reads the concatenated members too.
    const out = join(work, 'mixed-skopeo');
    await execFileP('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', '--dest-decompress', `docker://${ref}`, `dir:${out}`]);
    const hashes = await Promise.all((await readdir(out)).map(async (f) => sha(await readFile(join(out, f)))));
    assert.ok(hashes.includes(before.RootFS.Layers[0]), 'skopeo decompressed the layer to its diffID');
  }

  const again = expectOk(await d.berth(['push', ref]));
  assert.match(again.stdout, new RegExp(`${id}: Layer already exists\n`));
  assert.match(again.stdout, new RegExp(`v1: digest: ${m[1]} `), 'the same manifest: the blob was remembered, not recompressed');

  // Another registry lacks the remembered blob: compressed again, to the same bytes.
  const other = `${reg.host}/mixed/img:v1`;
  expectOk(await d.berth(['tag', ref, other]));
  const elsewhere = expectOk(await d.berth(['push', other]));
  assert.match(elsewhere.stdout, new RegExp(`${id}: Pushed\n`));
  assert.match(elsewhere.stdout, new RegExp(`v1: digest: ${m[1]} `), 'deterministic compression: the same layer digest, the same manifest');
  expectOk(await d.berth(['rmi', other]));

  expectOk(await d.berth(['rmi', ref]));
  expectOk(await d.berth(['pull', ref]));
  const after = JSON.parse(expectOk(await d.berth(['image', 'inspect', ref])).stdout)[0];
  assert.equal(after.Id, before.Id);
  assert.deepEqual(after.RootFS, before.RootFS);
  // The pull kept no compressed blob: save and a push where the blob is unknown read the layer's exact tar back.
  const pulledBlob = join(d.dataRoot, 'content', 'blobs', 'sha256', manifest.layers[0]!.digest.slice(7));
  assert.equal(existsSync(pulledBlob), false, 'no copy of the pulled blob');
  const saved = join(work, 'mixed-saved');
  await mkdir(saved, { recursive: true });
  expectOk(await d.berth(['save', '-o', `${saved}.tar`, ref]));
  await execFileP('tar', ['-C', saved, '-xf', `${saved}.tar`]);
  const savedFiles = (await readdir(saved, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  const savedHashes = await Promise.all(savedFiles.map(async (e) => sha(await readFile(join(e.parentPath ?? e.path, e.name)))));
  assert.ok(savedHashes.includes(before.RootFS.Layers[0]), 'save wrote the layer tar whose digest is the diffID');
  const fresh = `${reg.host}/fresh/img:v1`;
  expectOk(await d.berth(['tag', ref, fresh]));
  const replayed = expectOk(await d.berth(['push', fresh]));
  assert.match(replayed.stdout, new RegExp(`${id}: Pushed\n`));
  assert.match(replayed.stdout, new RegExp(`v1: digest: ${m[1]} `), 'the same tar compressed again: the same manifest');
  expectOk(await d.berth(['rmi', fresh]));
  assert.match(expectOk(await d.berth(['system', 'check', '--full'])).stdout, /No damage found/);
});

test('a streamed layer upload cut off mid-way is retried (5 attempts, as dockerd), then fails cleanly; one cut only: the retry pushes it', {
  skip,
}, async (t) => {
  // A proxy to Berth's registry that resets a PATCH after 1 MiB of its body, `cuts` times.
  let cuts = Number.POSITIVE_INFINITY;
  const proxy = createServer((req, res) => {
    let seen = 0;
    const up = httpRequest(`${reg.url}${req.url}`, { method: req.method, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.on('data', (c: Buffer) => {
      seen += c.length;
      if (req.method === 'PATCH' && seen > 1 << 20 && cuts > 0) {
        cuts--;
        seen = Number.NEGATIVE_INFINITY; // one cut per request
        up.destroy();
        req.socket.destroy();
      }
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => proxy.close(() => r())));
  const port = (proxy.address() as AddressInfo).port;
  const dir = join(work, 'cut-layer');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'random.bin'), randomBytes(8 << 20));
  await execFileP('tar', ['-C', dir, '-cf', `${dir}.tar`, 'random.bin']);
  const viaProxy = `127.0.0.1:${port}/cut/img:v1`;
  expectOk(await d.berth(['import', `${dir}.tar`, viaProxy]));
  const cut = await d.berth(['push', viaProxy], { timeoutMs: 180_000 });
  assert.equal(cut.code, 1, cut.stdout);
  assert.match(cut.stderr, /socket hang up|ECONNRESET|EPIPE|aborted/i);
  assert.equal(cut.stdout.match(/: Retrying in \d+ seconds?\n/g)?.length, 4, `${cut.stdout}: 4 retries after the first attempt`);
  // The registry holds no half-written blob, and one cut is survived by the retry.
  cuts = 1;
  const ok = expectOk(await d.berth(['push', viaProxy], { timeoutMs: 180_000 }));
  assert.match(ok.stdout, /: Retrying in 1 second\n/);
  assert.match(ok.stdout, /: Pushed\n/);
  assert.match(ok.stdout, /v1: digest: sha256:/);
});

test('berth push --all-tags pushes every tag of the repository, each with its digest line', { skip }, async () => {
  const repo = `${reg.host}/alltags/bb`;
  await d.importBusybox(`${repo}:one`);
  expectOk(await d.berth(['tag', `${repo}:one`, `${repo}:two`]));
  const out = expectOk(await d.berth(['push', '--all-tags', repo]));
  assert.match(out.stdout, /^one: digest: sha256:[0-9a-f]{64} size: \d+$/m);
  assert.match(out.stdout, /^two: digest: sha256:[0-9a-f]{64} size: \d+$/m);
  const tags = (await (await fetch(`http://${reg.host}/v2/alltags/bb/tags/list`)).json()) as { tags: string[] };
  assert.deepEqual(tags.tags.sort(), ['one', 'two']);
  const both = await d.berth(['push', '--all-tags', `${repo}:one`]);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /tag can't be used with --all-tags\/-a/);
});
