// The incremental build context (berth build -> POST /berth/build/context + /berth/build)
// through a real berthd: after each change to a context (a changed, deleted, renamed file, a
// mode change, symlinks, a .dockerignore change, a second context with the same paths, an
// upload cut midway) the daemon asks only for the contents it lacks, and the image's `COPY . /ctx`
// holds exactly what the context holds (read back with GET /containers/{id}/archive). Hostile
// manifests and uploads are 400s that write nothing outside the context.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { run, TestDaemon, useBusyboxDaemon, type RunResult } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { api, apiJson, makeTar, messageOf } from '../bad-input/support.js';
import { scanContext, uploadBody, type ScannedContext } from '../../../src/client/context-sync.js';
import { BERTH } from '../../support/daemon.js';

const skip = requiresRoot('real berthd builds');
const d: TestDaemon = useBusyboxDaemon({ before, after }, skip);
let work: string;
let ctx: string;
// node:test runs a file's top-level before() hooks side by side, so nothing here may read `d` at setup time.
const env = (): NodeJS.ProcessEnv => ({ ...process.env, DOCKER_HOST: d.host, XDG_CONFIG_HOME: join(work, 'config') });
let n = 0;

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'berth-incctx-'));
  ctx = join(work, 'ctx');
  await mkdir(join(ctx, 'sub', 'deep'), { recursive: true });
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPY . /ctx\n');
  await writeFile(join(ctx, '.dockerignore'), '*.log\n');
  await writeFile(join(ctx, 'a.txt'), 'alpha\n');
  await writeFile(join(ctx, 'sub', 'b.txt'), 'bravo\n');
  await writeFile(join(ctx, 'sub', 'deep', 'c.bin'), randomBytes(200_000));
  await chmod(join(ctx, 'sub', 'deep', 'c.bin'), 0o755);
  await writeFile(join(ctx, 'app.log'), 'ignored\n');
  await symlink('a.txt', join(ctx, 'link'));
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

function berth(args: string[]): Promise<RunResult> {
  return run(process.execPath, [BERTH, ...args], { env: env(), timeoutMs: 120_000 });
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

type Listing = Record<string, string>;

/** What `COPY . /ctx` must hold: the context minus what `ignored` says, as type/mode/content. */
function expected(dir: string, ignored: (rel: string) => boolean): Listing {
  const out: Listing = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (ignored(r)) continue;
      const st = lstatSync(join(dir, r));
      if (st.isDirectory()) {
        out[r] = `dir ${(st.mode & 0o777).toString(8)}`;
        walk(r);
      } else if (st.isSymbolicLink()) out[r] = `symlink -> ${readlinkSync(join(dir, r))}`;
      else out[r] = `file ${(st.mode & 0o777).toString(8)} ${sha(readFileSync(join(dir, r)))}`;
    }
  };
  walk('');
  return out;
}

/** Builds `dir` with berth build (the incremental upload) and lists the image's /ctx. */
async function buildAndList(dir: string, extra: string[] = []): Promise<Listing> {
  const tag = `incctx-${++n}:t`;
  const r = await berth(['build', '-q', '-t', tag, ...extra, dir]);
  assert.equal(r.code, 0, `berth build: ${r.stderr}`);
  try {
    return await listImage(tag);
  } finally {
    await api(d, 'DELETE', `/images/${tag}`);
  }
}

/** Lists /ctx of an image through a container that is removed afterwards. */
async function listImage(tag: string): Promise<Listing> {
  const c = await apiJson(d, 'POST', '/containers/create', { Image: tag, Cmd: ['true'] });
  assert.equal(c.status, 201, c.text);
  const id = (c.json as { Id: string }).Id;
  try {
    const a = await api(d, 'GET', `/containers/${id}/archive?path=/ctx`);
    assert.equal(a.status, 200, a.text);
    return await listTar(a.body);
  } finally {
    await api(d, 'DELETE', `/containers/${id}?force=1`);
  }
}

async function listTar(buf: Buffer): Promise<Listing> {
  const out: Listing = {};
  const ex = tar.extract();
  const done = new Promise<void>((res, rej) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        const name = h.name.replace(/\/$/, '').split('/').slice(1).join('/'); // ctx/a.txt -> a.txt
        const mode = ((h.mode ?? 0) & 0o777).toString(8);
        if (name !== '')
          out[name] = h.type === 'directory' ? `dir ${mode}` : h.type === 'symlink' ? `symlink -> ${h.linkname}` : `file ${mode} ${sha(Buffer.concat(chunks))}`;
        next();
      });
    });
    ex.on('finish', () => res());
    ex.on('error', rej);
  });
  ex.end(buf);
  await done;
  return out;
}

async function scan(dir: string): Promise<ScannedContext> {
  return scanContext(dir, undefined, undefined, env());
}

/** What the daemon asks for now (POST /berth/build/context), sorted. */
async function missing(s: ScannedContext): Promise<string[]> {
  const r = await apiJson(d, 'POST', `/berth/build/context?context=${s.id}`, { entries: s.entries });
  assert.equal(r.status, 200, r.text);
  return [...(r.json as { Missing: string[] }).Missing].sort();
}

const noLogs = (r: string) => r.endsWith('.log');

test('each kind of change is sent alone and the image holds exactly the context', { skip }, async () => {
  assert.deepEqual(await buildAndList(ctx), expected(ctx, noLogs), 'first build');
  assert.deepEqual(await missing(await scan(ctx)), [], 'an unchanged context needs nothing');

  await writeFile(join(ctx, 'a.txt'), 'alpha, changed\n');
  assert.deepEqual(await missing(await scan(ctx)), [sha('alpha, changed\n')], 'changed file: only its content');
  assert.deepEqual(await buildAndList(ctx), expected(ctx, noLogs), 'changed file');

  await unlink(join(ctx, 'sub', 'b.txt'));
  assert.deepEqual(await missing(await scan(ctx)), [], 'deleted file: nothing to send');
  assert.deepEqual(await buildAndList(ctx), expected(ctx, noLogs), 'deleted file');

  await rename(join(ctx, 'sub', 'deep', 'c.bin'), join(ctx, 'sub', 'c2.bin'));
  assert.deepEqual(await missing(await scan(ctx)), [], 'renamed file: the daemon has its content');
  assert.deepEqual(await buildAndList(ctx), expected(ctx, noLogs), 'renamed file');

  await chmod(join(ctx, 'a.txt'), 0o600);
  await chmod(join(ctx, 'sub'), 0o700);
  assert.deepEqual(await missing(await scan(ctx)), [], 'mode change: nothing to send');
  assert.deepEqual(await buildAndList(ctx), expected(ctx, noLogs), 'mode change');

  await unlink(join(ctx, 'link'));
  await symlink('sub', join(ctx, 'link'));
  await symlink('/etc/passwd', join(ctx, 'abs-link')); // a target is data: kept as is, never followed
  assert.deepEqual(await buildAndList(ctx), expected(ctx, noLogs), 'symlinks');

  await writeFile(join(ctx, '.dockerignore'), 'sub/c2.bin\n');
  assert.deepEqual(
    await missing(await scan(ctx)),
    [sha('ignored\n'), sha('sub/c2.bin\n')].sort(),
    '.dockerignore change: the ignore file and the file it no longer hides',
  );
  assert.deepEqual(
    await buildAndList(ctx),
    expected(ctx, (r) => r === 'sub/c2.bin'),
    '.dockerignore change',
  );
});

test('two contexts with the same paths stay apart', { skip }, async () => {
  const other = join(work, 'other');
  await mkdir(join(other, 'sub'), { recursive: true });
  await writeFile(join(other, 'Dockerfile'), 'FROM busybox\nCOPY . /ctx\n');
  await writeFile(join(other, 'a.txt'), 'the other context\n');
  await writeFile(join(other, 'sub', 'b.txt'), 'bravo\n');
  const first = expected(ctx, (r) => r === 'sub/c2.bin');
  assert.deepEqual(
    await buildAndList(other),
    expected(other, () => false),
    'second context',
  );
  assert.deepEqual(await missing(await scan(ctx)), [], 'the first context is still whole on the daemon');
  assert.deepEqual(await buildAndList(ctx), first, 'first context again');
  assert.deepEqual(
    await buildAndList(other),
    expected(other, () => false),
    'second context again',
  );
});

test('a Dockerfile from outside the context is added, used, left out of COPY, and not sent again', { skip }, async () => {
  const dir = join(work, 'outside-df');
  await mkdir(dir);
  await writeFile(join(dir, 'only.txt'), 'only\n');
  const df = join(work, 'outside.Dockerfile');
  await writeFile(df, 'FROM busybox\nCOPY . /ctx\n');
  assert.deepEqual(
    await buildAndList(dir, ['-f', df]),
    expected(dir, () => false),
    'first build',
  );
  const s = await scanContext(dir, df, undefined, env());
  assert.deepEqual(await missing(s), [], 'the added Dockerfile and .dockerignore are named by content: nothing new');
  assert.deepEqual(
    await buildAndList(dir, ['-f', df]),
    expected(dir, () => false),
    'second build',
  );
});

/** Sends an upload and cuts the connection after `cutAfter` bytes. */
function cutUpload(id: string, body: Buffer, cutAfter: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request({
      socketPath: d.socket,
      method: 'POST',
      path: `/berth/build?context=${id}&t=incctx-cut:t`,
      headers: { 'Content-Type': 'application/x-tar' },
    });
    req.on('error', () => resolve());
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve());
      res.on('error', () => resolve());
    });
    req.write(body.subarray(0, cutAfter), () => setTimeout(() => req.destroy(), 300));
  });
}

async function collect(r: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('an upload cut midway changes nothing; the retry sends only what did not arrive', { skip }, async () => {
  const dir = join(work, 'cut');
  await mkdir(dir);
  await writeFile(join(dir, 'Dockerfile'), `FROM busybox\nCOPY . /ctx\n# ${randomBytes(8).toString('hex')}\n`); // content no other test sent
  await writeFile(join(dir, 'one.bin'), randomBytes(300_000));
  await writeFile(join(dir, 'two.bin'), randomBytes(300_000));
  const s = await scan(dir);
  const need = await missing(s);
  assert.equal(need.length, 3, 'a new context: everything');
  // The manifest and all but the last content, then the last one cut in half.
  const order = need.filter((x) => x !== sha(readFileSync(join(dir, 'two.bin')))).concat(sha(readFileSync(join(dir, 'two.bin'))));
  const upload = uploadBody(s, order);
  const body = Buffer.isBuffer(upload) ? upload : await collect(upload);
  await cutUpload(s.id, body, body.length - 200_000);
  // The daemon notices the cut when it reads on: wait (bounded) for the store to settle.
  const want = [sha(readFileSync(join(dir, 'two.bin')))];
  let after: string[] = [];
  for (let i = 0; i < 60; i++) {
    after = await missing(await scan(dir));
    if (after.length === 1) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.deepEqual(after, want, 'the whole contents that arrived are kept for the retry');
  assert.deepEqual(
    await buildAndList(dir),
    expected(dir, () => false),
    'the retry builds the whole context',
  );
});

test('hostile manifests are 400 and write nothing outside the context', { skip }, async () => {
  const outside = join(work, `outside-${randomBytes(4).toString('hex')}`);
  await mkdir(outside);
  const id = randomBytes(16).toString('hex');
  const file = (p: string, content = 'x') => ({ p, t: 'f', m: 0o644, mt: 0, s: Buffer.byteLength(content), d: sha(content) });
  const bad: Array<[string, unknown]> = [
    ['dot-dot', { entries: [file('../escape')] }],
    ['dot-dot inside', { entries: [file('a/../../escape')] }],
    ['absolute', { entries: [file('/etc/escape')] }],
    ['below a symlink', { entries: [{ p: 'evil', t: 'l', m: 0o777, mt: 0, l: outside }, file('evil/pwned')] }],
    ['below a file', { entries: [file('f'), file('f/g')] }],
    ['duplicate', { entries: [file('a'), file('a')] }],
    ['bad digest', { entries: [{ ...file('a'), d: 'nothex' }] }],
    ['bad type', { entries: [{ p: 'a', t: 'c', m: 0, mt: 0 }] }],
    ['not a manifest', { files: [] }],
  ];
  for (const [what, manifest] of bad) {
    const r = await apiJson(d, 'POST', `/berth/build/context?context=${id}`, manifest);
    assert.equal(r.status, 400, `${what}: ${r.status} ${r.text}`);
    const manifestTar = await makeTar([
      { name: 'manifest.json', data: JSON.stringify(manifest) },
      { name: 'blobs/' + sha('x'), data: 'x' },
    ]);
    const u = await api(d, 'POST', `/berth/build?context=${id}`, manifestTar, { 'Content-Type': 'application/x-tar' });
    assert.equal(u.status, 400, `${what} (upload): ${u.status} ${u.text}`);
  }
  const bad2 = await apiJson(d, 'POST', '/berth/build/context?context=../../x', { entries: [] });
  assert.equal(bad2.status, 400, 'a context id is hex');
  const notJson = await api(d, 'POST', `/berth/build/context?context=${id}`, '{', { 'Content-Type': 'application/json' });
  assert.equal(notJson.status, 400, notJson.text);

  const good = { entries: [file('Dockerfile', 'FROM busybox\n')] };
  const df = 'FROM busybox\n';
  const uploads: Array<[string, Awaited<ReturnType<typeof makeTar>>]> = [
    [
      'no manifest first',
      await makeTar([
        { name: `blobs/${sha(df)}`, data: df },
        { name: 'manifest.json', data: JSON.stringify(good) },
      ]),
    ],
    [
      'wrong content',
      await makeTar([
        { name: 'manifest.json', data: JSON.stringify(good) },
        { name: `blobs/${sha(df)}`, data: 'FROM evil\n' },
      ]),
    ],
    [
      'a blob path out',
      await makeTar([
        { name: 'manifest.json', data: JSON.stringify(good) },
        { name: '../../escape', data: df },
      ]),
    ],
    [
      'a blob not asked for',
      await makeTar([
        { name: 'manifest.json', data: JSON.stringify(good) },
        { name: `blobs/${sha('other')}`, data: 'other' },
      ]),
    ],
    [
      'a symlink blob',
      await makeTar([
        { name: 'manifest.json', data: JSON.stringify(good) },
        { name: `blobs/${sha(df)}`, type: 'symlink', linkname: '/etc/passwd' },
      ]),
    ],
    ['not a tar', Buffer.from('garbage'.repeat(200))],
  ];
  for (const [what, body] of uploads) {
    const u = await api(d, 'POST', `/berth/build?context=${id}`, body, { 'Content-Type': 'application/x-tar' });
    assert.equal(u.status, 400, `${what}: ${u.status} ${u.text}`);
    assert.ok(messageOf(u).length > 0, what);
  }
  assert.deepEqual(readdirSync(outside), [], 'nothing was written through the symlink');
  assert.ok(!existsSync(join(work, 'escape')) && !existsSync('/etc/escape'), 'nothing escaped');
  // The daemon still builds that context id afterwards.
  const ok = await makeTar([
    { name: 'manifest.json', data: JSON.stringify(good) },
    { name: `blobs/${sha(df)}`, data: df },
  ]);
  const r = await api(d, 'POST', `/berth/build?context=${id}&t=incctx-after:t`, ok, { 'Content-Type': 'application/x-tar' });
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /Successfully built/);
});

test("a COPY's layer keeps its files when the kept context changes a file's mode or time later (incremental and whole tar)", { skip }, async () => {
  // COPY hard-links context files into its layer (copy-files.ts): a later build of the same
  // context must replace such a file, never chmod or utimes it in place under the layer.
  const dir = join(work, 'linked');
  await mkdir(dir);
  await writeFile(join(dir, 'Dockerfile'), `FROM busybox\nCOPY . /ctx\n# ${randomBytes(8).toString('hex')}\n`);
  await writeFile(join(dir, 'f.txt'), 'shared bytes\n');
  await chmod(join(dir, 'f.txt'), 0o644);
  const tarEnv = { ...env(), BERTH_BUILD_CONTEXT: 'tar' };
  const built: Array<[string, Listing]> = [];
  const build = async (tag: string, viaTar: boolean) => {
    const r = await run(process.execPath, [BERTH, 'build', '-q', '-t', tag, dir], { env: viaTar ? tarEnv : env(), timeoutMs: 120_000 });
    assert.equal(r.code, 0, `berth build ${tag}${viaTar ? ' (whole tar)' : ''}: ${r.stderr}`);
    const img = await apiJson(d, 'GET', `/images/${tag}/json`, undefined);
    assert.equal(img.status, 200, img.text);
    const id = (img.json as { Id: string }).Id; // a rebuild moves the tag: the image is kept by id
    const listing = await listImage(id);
    assert.deepEqual(
      listing,
      expected(dir, () => false),
      `${tag} holds the context`,
    );
    built.push([id, listing]);
  };
  const change = async (mode: number, mtime: number) => {
    await chmod(join(dir, 'f.txt'), mode);
    await utimes(join(dir, 'f.txt'), mtime, mtime);
  };
  try {
    await build('linked-inc-1:t', false);
    await change(0o600, 1_600_000_000);
    await build('linked-inc-2:t', false);
    await change(0o640, 1_600_000_100);
    await build('linked-inc-2:t', false); // the same tag again: the context kept for it changes once more
    await build('linked-tar:t', true);
    await change(0o604, 1_600_000_200);
    await build('linked-tar:t', true); // the tar's kept directory (same Dockerfile and tag) changes in place
    for (const [id, listing] of built) assert.deepEqual(await listImage(id), listing, `image ${id} unchanged by later builds`);
    // The first image's layer still exports to the bytes its diffID names (save verifies each layer as it streams).
    const out = join(work, 'linked-save.tar');
    const s = await berth(['save', '-o', out, 'linked-inc-1:t']);
    assert.equal(s.code, 0, `save: ${s.stderr}`);
    const check = await berth(['system', 'check']);
    assert.equal(check.code, 0, `system check after the builds: ${check.stdout}${check.stderr}`);
  } finally {
    for (const id of [...new Set(built.map(([id]) => id))].reverse()) await api(d, 'DELETE', `/images/${id}?force=1`);
  }
});
