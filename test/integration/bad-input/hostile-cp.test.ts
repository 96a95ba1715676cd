// docker cp against a real berthd with hostile input: tars PUT into a running container
// (PUT /containers/{id}/archive) and paths read out of it (GET/HEAD .../archive), including
// symlinks the container itself planted (`ln -s / /escape`) and a bind-mounted directory. The
// host must never be written or read outside the container's rootfs and its mounts' sources.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, readdir, stat, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { api, apiJson, execDetached, leftovers, makeTar, messageOf, readInContainer, snapshot, tarEntries, type TarEntry } from './support.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
let d: TestDaemon;
let id: string;
let hostDir: string; // host directory the attacks aim at: nothing may appear in it
let bindDir: string; // host directory bind-mounted at /data in the container
const secret = `berth-secret-${randomBytes(12).toString('hex')}`; // content of a host file that must never leak
const up = '../'.repeat(12);

/** Runs a shell command in the container; its exit code (undefined if the daemon lost it). */
async function exec(cmd: string): Promise<number | undefined> {
  return execDetached(d, id, ['sh', '-c', cmd]);
}

/** The container path's stat as HEAD archive reports it (mode is Go's os.FileMode), or undefined. */
async function statIn(path: string): Promise<{ mode: number; linkTarget: string } | undefined> {
  const r = await api(d, 'HEAD', `/containers/${id}/archive?path=${encodeURIComponent(path)}`);
  if (r.status === 404) return undefined;
  assert.equal(r.status, 200, `HEAD ${path}: ${r.status}`);
  return JSON.parse(Buffer.from(r.headers['x-docker-container-path-stat'] as string, 'base64').toString());
}

before(async () => {
  if (skip) return;
  hostDir = await mkdtemp(join(tmpdir(), 'berth-badinput-cp-host-'));
  bindDir = await mkdtemp(join(tmpdir(), 'berth-badinput-cp-bind-'));
  await writeFile(join(hostDir, 'secret'), secret);
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
  const c = await apiJson(d, 'POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { Binds: [`${bindDir}:/data`] } });
  assert.equal(c.status, 201, c.text);
  id = (c.json as { Id: string }).Id;
  assert.equal((await api(d, 'POST', `/containers/${id}/start`)).status, 204);
  // The container plants its own traps: symlinks that mean one thing inside and another on the host.
  await exec(
    [
      'ln -s / /escape',
      `ln -s ${up.slice(0, -1)} /up`,
      `ln -s ${hostDir} /hostdir`,
      `ln -s ${hostDir} /data/out`,
      `ln -s ${up}${hostDir.slice(1)} /data/outrel`,
      `ln -s ${hostDir}/secret /data/secretlink`,
      'mkdir -p /dest',
    ].join(' && '),
  );
  for (const [p, target] of [
    ['/escape', '/'],
    ['/data/out', hostDir],
    ['/data/secretlink', `${hostDir}/secret`],
    ['/hostdir', hostDir],
  ])
    assert.equal((await statIn(p))?.linkTarget, target, `the container planted ${p}`);
  assert.ok(await statIn('/dest'));
});

after(async () => {
  if (d) await d.stop();
  for (const p of [hostDir, bindDir]) if (p) await rm(p, { recursive: true, force: true });
});

/** Nothing new under the host directory, and the secret is where it was. */
async function hostUntouched(what: string): Promise<void> {
  assert.deepEqual(await readdir(hostDir), ['secret'], `${what}: something was written into the host directory`);
}

async function put(path: string, entries: TarEntry[]): Promise<number> {
  const r = await api(d, 'PUT', `/containers/${id}/archive?path=${encodeURIComponent(path)}`, await makeTar(entries), { 'Content-Type': 'application/x-tar' });
  if (r.status !== 200) {
    assert.equal(r.status, 400, `PUT ${path}: ${r.status} ${r.text.slice(0, 300)}`);
    messageOf(r);
  }
  return r.status;
}

/** The file exists in the container with this content. */
async function inContainer(path: string, content: string): Promise<void> {
  assert.equal(await readInContainer(d, id, path), content, `${path} in the container`);
}

test('PUT archive: names with .. and absolute names stay inside the container', { skip }, async () => {
  const before = await snapshot(d);
  const rel = `${hostDir.slice(1)}/escaped`;
  for (const [what, name] of [
    ['dot-dot', `${up}${rel}`],
    ['absolute', `/${rel}`],
    ['dot-dot after a dir', `a/${up}${rel}`],
  ] as const) {
    const status = await put('/dest', [{ name, data: what }]);
    await hostUntouched(what);
    if (status === 200) await inContainer(`/dest/${rel}`, what);
  }
  assert.deepEqual(await snapshot(d), before);
  assert.deepEqual(await leftovers(d), []);
});

test('PUT archive: a symlink in the tar, then a file written through it', { skip }, async () => {
  for (const [what, entries, where] of [
    [
      'absolute symlink to the host dir',
      [
        { name: 'l1', type: 'symlink', linkname: hostDir },
        { name: 'l1/escaped', data: 'one' },
      ],
      `${hostDir}/escaped`,
    ],
    [
      'relative symlink climbing out',
      [
        { name: 'l2', type: 'symlink', linkname: `${up}${hostDir.slice(1)}` },
        { name: 'l2/escaped', data: 'two' },
      ],
      `${hostDir}/escaped`,
    ],
    [
      'symlink to /etc',
      [
        { name: 'l3', type: 'symlink', linkname: '/etc' },
        { name: `l3/berth-evil-${process.pid}`, data: 'three' },
      ],
      `/etc/berth-evil-${process.pid}`,
    ],
  ] as [string, TarEntry[], string][]) {
    const status = await put('/dest', entries);
    await hostUntouched(what);
    assert.equal(existsSync(`/etc/berth-evil-${process.pid}`), false, `${what}: wrote into the host's /etc`);
    if (status === 200) await inContainer(where, entries[1]!.data as string);
    await exec(`rm -rf '${where}'`);
  }
});

test('PUT archive: hard links to host files and device nodes', { skip }, async () => {
  const shadow = await stat('/etc/shadow').catch(() => undefined);
  const passwd = await stat('/etc/passwd');
  for (const [what, entries] of [
    ['hard link to /etc/shadow', [{ name: 'sh1', type: 'link', linkname: '/etc/shadow' }]],
    ['hard link to /etc/passwd', [{ name: 'pw1', type: 'link', linkname: '/etc/passwd' }]],
    ['hard link climbing to /etc/passwd', [{ name: 'pw2', type: 'link', linkname: `${up}etc/passwd` }]],
    ['hard link to the host secret', [{ name: 's1', type: 'link', linkname: `${hostDir}/secret` }]],
    ["hard link through the container's /hostdir symlink", [{ name: 's2', type: 'link', linkname: 'hostdir/secret' }]],
    ['character device', [{ name: 'mem', type: 'character-device', devmajor: 1, devminor: 1 }]],
    ['block device', [{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }]],
  ] as [string, TarEntry[]][]) {
    await put('/', entries);
    await hostUntouched(what);
  }
  // The host files gained no link: their link counts are as before.
  if (shadow) assert.equal((await stat('/etc/shadow')).nlink, shadow.nlink);
  assert.equal((await stat('/etc/passwd')).nlink, passwd.nlink);
  assert.equal((await stat(join(hostDir, 'secret'))).nlink, 1);
  for (const p of ['/mem', '/sda']) {
    const st = await statIn(p);
    assert.ok(!st || (st.mode & 0x04000000) === 0, `${p} is a device node in the container`);
  }
});

test('PUT archive: writing through symlinks the container planted stays inside it', { skip }, async () => {
  const rel = `${hostDir.slice(1)}/escaped`;
  const cases: [string, string, TarEntry[], string][] = [
    ['through /escape -> /', '/', [{ name: `escape/${rel}`, data: 'a' }], `/${rel}`],
    ['into /escape -> / as the destination', '/escape', [{ name: rel, data: 'b' }], `/${rel}`],
    ['through /up -> ../../..', '/up', [{ name: rel, data: 'c' }], `/${rel}`],
    ['into /hostdir -> <host dir>', '/hostdir', [{ name: 'escaped', data: 'd' }], `/${rel}`],
    ['through /hostdir inside the tar', '/', [{ name: 'hostdir/escaped', data: 'e' }], `/${rel}`],
  ];
  for (const [what, dest, entries, where] of cases) {
    const status = await put(dest, entries);
    await hostUntouched(what);
    if (status === 200) await inContainer(where, entries[0]!.data as string);
    await exec(`rm -rf '${where}'`);
  }
});

test('PUT archive: symlinks planted inside a bind mount are resolved in the container', { skip }, async () => {
  const cases: [string, string, TarEntry[], string][] = [
    ['into /data/out -> <host dir>', '/data/out', [{ name: 'escaped', data: 'f' }], `${hostDir}/escaped`],
    ['through /data/out inside the tar', '/data', [{ name: 'out/escaped', data: 'g' }], `${hostDir}/escaped`],
    ['into /data/outrel -> ../../<host dir>', '/data/outrel', [{ name: 'escaped', data: 'h' }], `${hostDir}/escaped`],
    ['through /data/secretlink -> <host secret>', '/data', [{ name: 'secretlink/x', data: 'i' }], `${hostDir}/secret/x`],
  ];
  for (const [what, dest, entries, where] of cases) {
    await exec(`mkdir -p '${hostDir}'`); // so the destination exists in the container
    assert.ok(await statIn(hostDir));
    const status = await put(dest, entries);
    await hostUntouched(what);
    assert.equal((await stat(join(hostDir, 'secret'))).isFile(), true);
    if (status === 200) await inContainer(where, entries[0]!.data as string);
    await exec(`rm -rf '${hostDir}'`);
  }
  // Replacing the mount point itself must not delete the host directory behind it.
  await writeFile(join(bindDir, 'keep'), 'keep');
  await put('/', [{ name: 'data', data: 'not a directory' }]);
  assert.deepEqual((await readdir(bindDir)).includes('keep'), true, 'the bind source survived');
  assert.ok((await stat(bindDir)).isDirectory());
  await put('/etc', [{ name: 'hosts', type: 'directory' }]);
  assert.ok((await stat(join(d.dataRoot, 'containers', id, 'hosts'))).isFile(), 'the hosts file survived');
});

test('GET/HEAD archive: symlinks to / and ../.. only ever read the container', { skip }, async () => {
  const probes = [
    `/escape/${hostDir.slice(1)}/secret`,
    `/up/${hostDir.slice(1)}/secret`,
    '/hostdir/secret',
    '/hostdir/',
    '/data/out/secret',
    '/data/out/',
    '/data/outrel/secret',
    '/data/secretlink',
    '/data/secretlink/',
    `/data/${up}${hostDir.slice(1)}/secret`,
  ];
  for (const p of probes) {
    const r = await api(d, 'GET', `/containers/${id}/archive?path=${encodeURIComponent(p)}`);
    assert.ok(!r.body.includes(secret), `GET ${p} leaked a host file (status ${r.status})`);
    if (r.status === 200) for (const e of await tarEntries(r.body)) assert.ok(!e.data.includes(secret), `GET ${p}: entry ${e.name} holds the host secret`);
    else assert.equal(r.status, 404, `GET ${p}: ${r.status} ${r.text.slice(0, 200)}`);
    const h = await api(d, 'HEAD', `/containers/${id}/archive?path=${encodeURIComponent(p)}`);
    const st = h.headers['x-docker-container-path-stat'];
    if (typeof st === 'string')
      assert.ok(
        !Buffer.from(st, 'base64')
          .toString()
          .includes('"size":' + secret.length + ','),
        `HEAD ${p} stat is the host file's`,
      );
  }
  // The whole container through /escape/: every byte is the container's.
  const all = await api(d, 'GET', `/containers/${id}/archive?path=${encodeURIComponent('/escape/')}`);
  assert.equal(all.status, 200, all.text.slice(0, 200));
  assert.ok(!all.body.includes(secret), 'the container root tar holds the host secret');
  const names = (await tarEntries(all.body)).map((e) => e.name);
  assert.ok(
    names.some((n) => /(^|\/)bin\/busybox$/.test(n)),
    'the tar is the container root',
  );
  await hostUntouched('GET');
});

test('a failed PUT leaves no temp files and the store as it was', { skip }, async () => {
  await mkdir(join(d.dir, 'x'), { recursive: true });
  const before = await snapshot(d);
  for (const body of [Buffer.from('garbage '.repeat(200)), (await makeTar([{ name: 'a', data: 'a'.repeat(5000) }])).subarray(0, 1500)]) {
    const r = await api(d, 'PUT', `/containers/${id}/archive?path=/dest`, body);
    assert.equal(r.status, 400, `${r.status} ${r.text}`);
  }
  const missing = await api(d, 'PUT', `/containers/${id}/archive?path=/no/such/dir`, await makeTar([{ name: 'a', data: 'a' }]));
  assert.equal(missing.status, 404, missing.text);
  const notDir = await api(d, 'PUT', `/containers/${id}/archive?path=/bin/busybox`, await makeTar([{ name: 'a', data: 'a' }]));
  assert.equal(notDir.status, 400, notDir.text);
  assert.deepEqual(await snapshot(d), before);
  assert.deepEqual(await leftovers(d), []);
  await hostUntouched('failed PUT');
});
