// Malformed API requests against a real berthd: every one is refused with a Docker-shaped 4xx
// ({"message": ...}) and leaves no container, image, layer or blob behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { api, apiJson, leftovers, messageOf, snapshot, type ApiResponse } from './support.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
let d: TestDaemon;
let target: string; // a running container for exec/update/commit
const tag = `${process.pid}-${Math.random().toString(36).slice(2, 6)}`;

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
  const r = await apiJson(d, 'POST', `/containers/create?name=target-${tag}`, { Image: 'busybox', Cmd: ['sleep', '600'] });
  assert.equal(r.status, 201, r.text);
  target = (r.json as { Id: string }).Id;
  const s = await api(d, 'POST', `/containers/${target}/start`);
  assert.equal(s.status, 204, s.text);
});

after(async () => {
  if (d) await d.stop();
});

function refused(r: ApiResponse, status: number, message?: RegExp | string): void {
  assert.equal(r.status, status, `expected ${status}, got ${r.status}: ${r.text.slice(0, 300)}`);
  const m = messageOf(r);
  if (typeof message === 'string') assert.equal(m, message);
  else if (message) assert.match(m, message);
}

const HUGE = 17 * 1024 * 1024; // over the server's 16 MiB JSON limit

function hugeBody(): Buffer {
  const b = Buffer.alloc(HUGE + 20, 0x61);
  b.write('{"Image":"busybox","Env":["A=');
  b.write('"]}', b.length - 3);
  return b;
}

const malformed: [string, string | Buffer][] = [
  ['not JSON', 'this is not json'],
  ['truncated JSON', '{"Image":"busybox","Cmd":["true"'],
  ['a JSON array', '["busybox"]'],
  ['a JSON string', '"busybox"'],
  ['a JSON number', '42'],
  ['Cmd a number', '{"Image":"busybox","Cmd":5}'],
  ['Cmd with a number inside', '{"Image":"busybox","Cmd":["echo",5]}'],
  ['Env a string', '{"Image":"busybox","Cmd":["true"],"Env":"x"}'],
  ['Env an object', '{"Image":"busybox","Cmd":["true"],"Env":{"A":"b"}}'],
  ['HostConfig an array', '{"Image":"busybox","Cmd":["true"],"HostConfig":[]}'],
  ['HostConfig a string', '{"Image":"busybox","Cmd":["true"],"HostConfig":"x"}'],
  ['Labels with a number', '{"Image":"busybox","Cmd":["true"],"Labels":{"a":1}}'],
  ['Image a number', '{"Image":5,"Cmd":["true"]}'],
  ['Tty a string', '{"Image":"busybox","Cmd":["true"],"Tty":"yes"}'],
  ['Memory a string', '{"Image":"busybox","Cmd":["true"],"HostConfig":{"Memory":"1g"}}'],
  ['Binds with a number', '{"Image":"busybox","Cmd":["true"],"HostConfig":{"Binds":[5]}}'],
  ['Mounts of wrong type', '{"Image":"busybox","Cmd":["true"],"HostConfig":{"Mounts":{"Type":"bind"}}}'],
  ['RestartPolicy an array', '{"Image":"busybox","Cmd":["true"],"HostConfig":{"RestartPolicy":[]}}'],
  ['huge body', hugeBody()],
];

test('container create: malformed JSON is a 400 and leaves no container', { skip }, async () => {
  const before = await snapshot(d);
  for (const [what, body] of malformed) {
    const r = await apiJson(d, 'POST', `/containers/create?name=bad-${tag}`, body);
    assert.equal(r.status, 400, `${what}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.ok(messageOf(r).length > 0, what);
  }
  assert.deepEqual(await snapshot(d), before);
  assert.deepEqual(await leftovers(d), []);
  // The name was never taken.
  const ok = await apiJson(d, 'POST', `/containers/create?name=bad-${tag}`, { Image: 'busybox', Cmd: ['true'] });
  assert.equal(ok.status, 201, ok.text);
  assert.equal((await api(d, 'DELETE', `/containers/bad-${tag}`)).status, 204);
});

test('exec create, update and commit: malformed JSON is a 400 and changes nothing', { skip }, async () => {
  const before = await snapshot(d);
  const inspectBefore = (await api(d, 'GET', `/containers/${target}/json`)).json as { HostConfig: unknown; ExecIDs: unknown };
  const bodies: [string, string | Buffer][] = [
    ['not JSON', '{nope'],
    ['array', '[]'],
    ['Cmd a number', '{"Cmd":5}'],
    ['Env a string', '{"Cmd":["true"],"Env":"x"}'],
    ['huge body', hugeBody()],
  ];
  for (const [what, body] of bodies) {
    const r = await apiJson(d, 'POST', `/containers/${target}/exec`, body);
    assert.equal(r.status, 400, `exec ${what}: ${r.status} ${r.text.slice(0, 200)}`);
    messageOf(r);
    const c = await apiJson(d, 'POST', `/commit?container=${target}&repo=committed-${tag}`, body);
    assert.equal(c.status, 400, `commit ${what}: ${c.status} ${c.text.slice(0, 200)}`);
    messageOf(c);
  }
  for (const body of ['{nope', '[]', '{"Memory":"x"}', '{"RestartPolicy":[]}', '{"CpuShares":"lots"}', hugeBody()]) {
    const r = await apiJson(d, 'POST', `/containers/${target}/update`, body);
    assert.equal(r.status, 400, `update ${String(body).slice(0, 30)}: ${r.status} ${r.text.slice(0, 200)}`);
    messageOf(r);
  }
  refused(await apiJson(d, 'POST', `/containers/${target}/exec`, {}), 400, 'No exec command specified');
  refused(await apiJson(d, 'POST', `/commit?container=${target}&repo=Bad!`, {}), 400, /invalid reference format/);
  refused(await apiJson(d, 'POST', '/commit', {}), 400);
  assert.deepEqual(await snapshot(d), before);
  assert.deepEqual(await leftovers(d), []);
  const inspectAfter = (await api(d, 'GET', `/containers/${target}/json`)).json as typeof inspectBefore;
  assert.deepEqual(inspectAfter.HostConfig, inspectBefore.HostConfig);
  assert.deepEqual(inspectAfter.ExecIDs, inspectBefore.ExecIDs);
});

test('bad image references are 400 "invalid reference format"; missing ones are 404', { skip }, async () => {
  const before = await snapshot(d);
  const bad: [string, RegExp][] = [
    ['Busybox:TAG!', /^invalid reference format/],
    ['Busybox', /^invalid reference format: repository name \(library\/Busybox\) must be lowercase$/],
    ['a//b', /^invalid reference format$/],
    ['busybox:', /^invalid reference format$/],
    [':tag', /^invalid reference format$/],
    ['busybox@sha256:xyz', /^invalid reference format$/],
    ['a'.repeat(300), /repository name must not be more than 255 characters/],
  ];
  for (const [ref, msg] of bad) {
    refused(await apiJson(d, 'POST', '/containers/create', { Image: ref, Cmd: ['true'] }), 400, msg);
    refused(await apiJson(d, 'POST', `/images/busybox/tag?repo=${encodeURIComponent(ref)}`, ''), 400);
  }
  refused(await apiJson(d, 'POST', '/containers/create', { Image: '', Cmd: ['true'] }), 400);
  refused(await apiJson(d, 'POST', '/containers/create', { Image: `nosuch-${tag}`, Cmd: ['true'] }), 404, `No such image: nosuch-${tag}:latest`);
  refused(await api(d, 'GET', `/images/nosuch-${tag}/json`), 404, `No such image: nosuch-${tag}:latest`);
  refused(await api(d, 'DELETE', `/images/nosuch-${tag}`), 404, `No such image: nosuch-${tag}:latest`);
  refused(await api(d, 'GET', `/images/nosuch-${tag}:v1/history`), 404, `No such image: nosuch-${tag}:v1`);
  refused(await api(d, 'POST', `/images/nosuch-${tag}/tag?repo=x`), 404, `No such image: nosuch-${tag}:latest`);
  assert.deepEqual(await snapshot(d), before);
});

test('missing containers are 404 "No such container: x" on every route', { skip }, async () => {
  const x = `nosuch-${tag}`;
  const routes: [string, string][] = [
    ['GET', `/containers/${x}/json`],
    ['POST', `/containers/${x}/start`],
    ['POST', `/containers/${x}/stop`],
    ['POST', `/containers/${x}/kill`],
    ['POST', `/containers/${x}/restart`],
    ['POST', `/containers/${x}/wait`],
    ['DELETE', `/containers/${x}`],
    ['GET', `/containers/${x}/logs?stdout=1`],
    ['GET', `/containers/${x}/archive?path=/`],
    ['PUT', `/containers/${x}/archive?path=/`],
    ['POST', `/containers/${x}/rename?name=y`],
    ['POST', `/containers/${x}/update`],
    ['POST', `/containers/${x}/exec`],
    ['POST', `/commit?container=${x}`],
  ];
  for (const [method, path] of routes) {
    const body = method === 'POST' && /exec|update|commit/.test(path) ? '{"Cmd":["true"]}' : undefined;
    refused(await api(d, method, path, body, body ? { 'Content-Type': 'application/json' } : {}), 404, `No such container: ${x}`);
  }
});

test('name conflicts are 409 with Docker text; bad names are 400', { skip }, async () => {
  const before = await snapshot(d);
  refused(
    await apiJson(d, 'POST', `/containers/create?name=target-${tag}`, { Image: 'busybox', Cmd: ['true'] }),
    409,
    `Conflict. The container name "/target-${tag}" is already in use by container "${target}". You have to remove (or rename) that container to be able to reuse that name.`,
  );
  for (const name of ['/bad name', 'bad/name', '-x', 'a:b', 'é']) {
    refused(
      await apiJson(d, 'POST', `/containers/create?name=${encodeURIComponent(name)}`, { Image: 'busybox', Cmd: ['true'] }),
      400,
      `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  refused(await api(d, 'POST', `/containers/${target}/rename?name=${encodeURIComponent('/bad name')}`), 400, /Invalid container name/);
  assert.deepEqual(await snapshot(d), before);
});

test('API versions, unknown routes and wrong methods get Docker answers', { skip }, async () => {
  refused(await api(d, 'GET', '/v1.99/version'), 400, 'client version 1.99 is too new. Maximum supported API version is 1.45');
  refused(
    await api(d, 'GET', '/v1.12/containers/json'),
    400,
    'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
  );
  refused(await api(d, 'POST', '/v1.99/containers/create', '{"Image":"busybox","Cmd":["true"]}', { 'Content-Type': 'application/json' }), 400, /too new/);
  refused(await api(d, 'GET', '/v1.45/no/such/route'), 404, 'page not found');
  refused(await api(d, 'GET', '/no-such-route'), 404, 'page not found');
  refused(await api(d, 'DELETE', '/version'), 404, 'page not found');
  refused(await api(d, 'PUT', '/containers/json'), 404, 'page not found');
  const ok = await api(d, 'GET', '/v1.24/version');
  assert.equal(ok.status, 200);
  assert.deepEqual(await leftovers(d), []);
});

// Known gaps outside this helper's files (reported): Docker's JSON decoding refuses these with 400.
test('create: wrong types inside PortBindings are a 400', { skip }, async () => {
  const before = await snapshot(d);
  for (const pb of ['{"80/tcp":"x"}', '{"80/tcp":[{"HostPort":5}]}']) {
    refused(await apiJson(d, 'POST', '/containers/create', `{"Image":"busybox","Cmd":["true"],"HostConfig":{"PortBindings":${pb}}}`), 400);
  }
  assert.deepEqual(await snapshot(d), before);
});

test('create: a Memory that is no int64 is a 400, not a 500 at start', { skip }, async () => {
  const before = await snapshot(d);
  refused(await apiJson(d, 'POST', '/containers/create', '{"Image":"busybox","Cmd":["true"],"HostConfig":{"Memory":1e300}}'), 400);
  assert.deepEqual(await snapshot(d), before);
});

// Found by the fuzzer (test/fuzz): each was a 500.
test('fuzzer findings: bad escapes, NUL paths, over-long names, bad tty sizes, non-tar contexts are 4xx', { skip }, async () => {
  refused(await api(d, 'GET', '/v1.45/containers/%FF%FE/json'), 400, /invalid URL escape/);
  refused(await api(d, 'GET', `/containers/${target}/archive?path=%00x`), 400, /NUL byte/);
  assert.equal((await api(d, 'HEAD', `/containers/${target}/archive?path=${'a'.repeat(5000)}`)).status, 400); // HEAD: no body
  refused(await apiJson(d, 'POST', '/volumes/create', { Name: 'v'.repeat(300) }), 400, /longer than 255/);
  refused(await api(d, 'POST', `/containers/${target}/resize?h=10&w=99999999999999999999`), 400, /terminal size/);
  refused(await api(d, 'GET', `/containers/${target}/top?ps_args=nonsense-arg`), 400, /Error running ps/);
  refused(await api(d, 'POST', '/build', Buffer.alloc(700, 0x41), { 'Content-Type': 'application/x-tar' }), 400, /invalid build context/);
  refused(await api(d, 'POST', '/build?dockerfile=%00x', Buffer.alloc(1024), { 'Content-Type': 'application/x-tar' }), 400, /NUL byte/);
  refused(await apiJson(d, 'POST', `/containers/${target}/update`, { CpusetCpus: '999-1000' }), 400, /cpuset\.cpus/);
  // A container without a terminal has nothing to resize: success, as containerd's shim answers.
  const r = await api(d, 'POST', `/containers/${target}/resize?h=10&w=80`);
  assert.equal(r.status, 200, r.text);
});
