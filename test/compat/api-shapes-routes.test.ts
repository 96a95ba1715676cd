// Every route of the Engine API v1.45 swagger, accounted for: the routes with a JSON response that
// api-shapes.test.ts does not check are checked here against the swagger (status declared for the
// route, body matching its schema, error bodies matching ErrorResponse), and a first test fails
// when the swagger has a route this map does not say how it is checked (or why it is not).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { type ApiReply, TestDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { conformancePath, requiresConformance } from '../support/conformance.js';
import { DOCKERD_SENDS_NULL, SwaggerValidator } from './swagger-schema.js';

const SWAGGER = conformancePath('engine-api/v1.45.yaml');
const noSwagger = requiresConformance('engine-api/v1.45.yaml');
const skip = requiresRoot('real crun, overlayfs, cgroups') || noSwagger;
const tag = `${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
let d: TestDaemon;
let sw: SwaggerValidator;

const SHAPES = 'api-shapes.test.ts';
const HERE = 'here';
/** Routes whose success answers carry no JSON body (streams, tars, empty 200/204): their status is what a client sees. */
const NO_JSON = 'no JSON body on success: status checked by the client tests (docker CLI, dockerode, docker-py)';
const SWARM = 'swarm mode: answered 503 "This node is not a swarm manager" as a dockerd outside a swarm, checked here';
const PLUGIN = 'managed plugins (installed from a registry): not supported, error bodies checked here';

/** How each route of the swagger is checked. */
const ROUTES: Record<string, string> = {
  'GET /containers/json': SHAPES,
  'POST /containers/create': SHAPES,
  'GET /containers/{id}/json': SHAPES,
  'GET /containers/{id}/top': SHAPES,
  'GET /containers/{id}/logs': NO_JSON,
  'GET /containers/{id}/changes': SHAPES,
  'GET /containers/{id}/export': NO_JSON,
  'GET /containers/{id}/stats': SHAPES,
  'POST /containers/{id}/resize': NO_JSON,
  'POST /containers/{id}/start': NO_JSON,
  'POST /containers/{id}/stop': NO_JSON,
  'POST /containers/{id}/restart': NO_JSON,
  'POST /containers/{id}/kill': NO_JSON,
  'POST /containers/{id}/update': HERE,
  'POST /containers/{id}/rename': NO_JSON,
  'POST /containers/{id}/pause': NO_JSON,
  'POST /containers/{id}/unpause': NO_JSON,
  'POST /containers/{id}/attach': NO_JSON,
  'GET /containers/{id}/attach/ws': NO_JSON,
  'POST /containers/{id}/wait': HERE,
  'DELETE /containers/{id}': SHAPES,
  'HEAD /containers/{id}/archive': HERE,
  'GET /containers/{id}/archive': NO_JSON,
  'PUT /containers/{id}/archive': NO_JSON,
  'POST /containers/prune': HERE,
  'GET /images/json': SHAPES,
  'POST /build': NO_JSON,
  'POST /build/prune': HERE,
  'POST /images/create': NO_JSON,
  'GET /images/{name}/json': SHAPES,
  'GET /images/{name}/history': SHAPES,
  'POST /images/{name}/push': NO_JSON,
  'POST /images/{name}/tag': HERE,
  'DELETE /images/{name}': SHAPES,
  'GET /images/search': HERE,
  'POST /images/prune': HERE,
  'POST /auth': HERE,
  'GET /info': SHAPES,
  'GET /version': SHAPES,
  'GET /_ping': SHAPES,
  'HEAD /_ping': HERE,
  'POST /commit': SHAPES,
  'GET /events': SHAPES,
  'GET /system/df': SHAPES,
  'GET /images/{name}/get': NO_JSON,
  'GET /images/get': NO_JSON,
  'POST /images/load': NO_JSON,
  'POST /containers/{id}/exec': SHAPES,
  'POST /exec/{id}/start': NO_JSON,
  'POST /exec/{id}/resize': NO_JSON,
  'GET /exec/{id}/json': SHAPES,
  'GET /volumes': HERE,
  'POST /volumes/create': HERE,
  'GET /volumes/{name}': HERE,
  'PUT /volumes/{name}': 'cluster volumes (swarm): answered as a dockerd outside a swarm, checked here',
  'DELETE /volumes/{name}': HERE,
  'POST /volumes/prune': HERE,
  'GET /networks': HERE,
  'GET /networks/{id}': HERE,
  'DELETE /networks/{id}': HERE,
  'POST /networks/create': HERE,
  'POST /networks/{id}/connect': HERE,
  'POST /networks/{id}/disconnect': HERE,
  'POST /networks/prune': HERE,
  'GET /plugins': SHAPES,
  'GET /plugins/privileges': PLUGIN,
  'POST /plugins/pull': PLUGIN,
  'GET /plugins/{name}/json': PLUGIN,
  'DELETE /plugins/{name}': PLUGIN,
  'POST /plugins/{name}/enable': PLUGIN,
  'POST /plugins/{name}/disable': PLUGIN,
  'POST /plugins/{name}/upgrade': PLUGIN,
  'POST /plugins/create': PLUGIN,
  'POST /plugins/{name}/push': PLUGIN,
  'POST /plugins/{name}/set': PLUGIN,
  'GET /nodes': SWARM,
  'GET /nodes/{id}': SWARM,
  'DELETE /nodes/{id}': SWARM,
  'POST /nodes/{id}/update': SWARM,
  'GET /swarm': SWARM,
  'POST /swarm/init': 'swarm mode is not supported: init answers an error (client-wire.test.ts checks leave and the 503s)',
  'POST /swarm/join': 'swarm mode is not supported: join answers an error',
  'POST /swarm/leave': SWARM,
  'POST /swarm/update': SWARM,
  'GET /swarm/unlockkey': SWARM,
  'POST /swarm/unlock': SWARM,
  'GET /services': SWARM,
  'POST /services/create': SWARM,
  'GET /services/{id}': SWARM,
  'DELETE /services/{id}': SWARM,
  'POST /services/{id}/update': SWARM,
  'GET /services/{id}/logs': SWARM,
  'GET /tasks': SWARM,
  'GET /tasks/{id}': SWARM,
  'GET /tasks/{id}/logs': SWARM,
  'GET /secrets': SWARM,
  'POST /secrets/create': SWARM,
  'GET /secrets/{id}': SWARM,
  'DELETE /secrets/{id}': SWARM,
  'POST /secrets/{id}/update': SWARM,
  'GET /configs': SWARM,
  'POST /configs/create': SWARM,
  'GET /configs/{id}': SWARM,
  'DELETE /configs/{id}': SWARM,
  'POST /configs/{id}/update': SWARM,
  'GET /distribution/{name}/json': HERE,
  'POST /session': 'BuildKit sessions: Berth has the classic builder only; answered with an error body, checked here',
};

/** Error statuses dockerd 20.10 answers that the swagger does not declare for the route (checked against dockerd). */
const DOCKERD_UNDECLARED = new Set(['409 POST /networks/create', '404 POST /containers/{id}/wait', '400 POST /containers/{id}/wait']);
/**
 * Where dockerd answers an unreachable registry with a 500, Berth says 503 (500 is kept for Berth's
 * own faults, which the fuzzer hunts): not in the swagger, still an ErrorResponse.
 */
const BERTH_UNDECLARED = new Set(['503 GET /images/search', '503 POST /auth', '503 GET /distribution/{name}/json']);

async function api(method: string, path: string, body?: unknown): Promise<ApiReply> {
  try {
    return await d.api(method, path, body, 30_000);
  } catch (e) {
    throw new Error(`${method} ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Calls the API and checks the status and the body against the swagger's response for that status. */
async function conform(method: string, path: string, template: string, status: number, body?: unknown): Promise<ApiReply> {
  const r = await api(method, path, body);
  assert.equal(r.status, status, `${method} ${path}: ${r.text.slice(0, 500)}`);
  if (method === 'HEAD' || (r.text === '' && sw.responseSchema(template, method, status) === undefined)) return r;
  // dockerd answers some errors with a status the swagger does not list for the route (409 for a
  // network name in use): berthd follows dockerd, and the body is still an ErrorResponse.
  const undeclared =
    status >= 400 &&
    sw.responseSchema(template, method, status) === undefined &&
    (DOCKERD_UNDECLARED.has(`${status} ${method} ${template}`) || BERTH_UNDECLARED.has(`${status} ${method} ${template}`));
  const errors = undeclared ? sw.validateDefinition('ErrorResponse', r.json) : sw.validateResponse(template, method, status, r.json);
  assert.deepEqual(errors, [], `${method} ${path} (${status}) does not match the swagger:\n${errors.join('\n')}\n${r.text.slice(0, 300)}`);
  return r;
}

before(async () => {
  if (skip) return;
  sw = SwaggerValidator.load(SWAGGER!, { nullable: DOCKERD_SENDS_NULL });
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
});

after(async () => {
  if (d) await d.stop();
});

test('every route of the v1.45 swagger is accounted for in this map, and nothing else', { skip: noSwagger }, () => {
  const doc = parse(readFileSync(SWAGGER!, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const inSwagger = Object.entries(doc.paths).flatMap(([p, ms]) =>
    Object.keys(ms)
      .filter((m) => m !== 'parameters')
      .map((m) => `${m.toUpperCase()} ${p}`),
  );
  assert.deepEqual(
    inSwagger.filter((r) => !(r in ROUTES)),
    [],
    'routes of the swagger this map does not cover',
  );
  assert.deepEqual(
    Object.keys(ROUTES).filter((r) => !inSwagger.includes(r)),
    [],
    'routes in this map the swagger does not have',
  );
});

test('networks: create, list, inspect (with a connected container), connect, disconnect, prune, delete; errors', { skip }, async () => {
  const name = `shapes-net-${tag}`;
  const created = await conform('POST', '/networks/create', '/networks/create', 201, { Name: name, Labels: { 'berth.test': tag } });
  const id = created.json.Id as string;
  await conform('POST', '/networks/create', '/networks/create', 409, { Name: name });
  await conform('POST', '/networks/create', '/networks/create', 400, { Name: `${name}-bad`, IPAM: { Config: [{ Subnet: 'not-a-subnet' }] } });
  const c = (await conform('POST', '/containers/create', '/containers/create', 201, { Image: 'busybox', Cmd: ['sleep', '60'] })).json.Id as string;
  await conform('POST', `/networks/${id}/connect`, '/networks/{id}/connect', 200, { Container: c, EndpointConfig: { Aliases: ['a1'] } });
  assert.equal((await api('POST', `/containers/${c}/start`)).status, 204);
  await conform('GET', '/networks', '/networks', 200);
  const ins = await conform('GET', `/networks/${id}?verbose=true`, '/networks/{id}', 200);
  assert.ok(Object.keys(ins.json.Containers).includes(c), JSON.stringify(ins.json.Containers));
  await conform('GET', `/networks/nosuch-${tag}`, '/networks/{id}', 404);
  await conform('POST', `/networks/${id}/connect`, '/networks/{id}/connect', 404, { Container: `nosuch-${tag}` });
  await conform('POST', `/networks/${id}/disconnect`, '/networks/{id}/disconnect', 200, { Container: c, Force: true });
  assert.equal((await api('DELETE', `/containers/${c}?force=1`)).status, 204);
  const pruned = await conform(
    'POST',
    `/networks/prune?filters=${encodeURIComponent(JSON.stringify({ label: [`berth.test=${tag}`] }))}`,
    '/networks/prune',
    200,
  );
  assert.deepEqual(pruned.json.NetworksDeleted, [name]);
  await conform('DELETE', `/networks/${id}`, '/networks/{id}', 404);
  await conform('DELETE', '/networks/bridge', '/networks/{id}', 403);
});

test('volumes: create, list, inspect, prune, delete; errors', { skip }, async () => {
  const name = `shapes-vol-${tag}`;
  await conform('POST', '/volumes/create', '/volumes/create', 201, { Name: name, Labels: { 'berth.test': tag } });
  await conform('GET', '/volumes', '/volumes', 200);
  await conform('GET', `/volumes/${name}`, '/volumes/{name}', 200);
  await conform('GET', `/volumes/nosuch-${tag}`, '/volumes/{name}', 404);
  const c = (await conform('POST', '/containers/create', '/containers/create', 201, { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: [`${name}:/v`] } }))
    .json.Id as string;
  await conform('DELETE', `/volumes/${name}`, '/volumes/{name}', 409);
  assert.equal((await api('DELETE', `/containers/${c}`)).status, 204);
  await conform('PUT', `/volumes/${name}?version=1`, '/volumes/{name}', 503, { Spec: {} });
  const pruned = await conform(
    'POST',
    `/volumes/prune?filters=${encodeURIComponent(JSON.stringify({ label: [`berth.test=${tag}`], all: ['true'] }))}`,
    '/volumes/prune',
    200,
  );
  assert.deepEqual(pruned.json.VolumesDeleted, [name]);
  await conform('DELETE', `/volumes/${name}`, '/volumes/{name}', 404);
});

test('containers: update, wait, archive stat, prune; images: tag, prune, search offline; build prune; auth, distribution, session errors', {
  skip,
}, async () => {
  const c = (
    await conform('POST', '/containers/create', '/containers/create', 201, { Image: 'busybox', Cmd: ['sh', '-c', 'exit 4'], Labels: { 'berth.test': tag } })
  ).json.Id as string;
  const upd = await conform('POST', `/containers/${c}/update`, '/containers/{id}/update', 200, { CpuShares: 512, RestartPolicy: { Name: 'no' } });
  assert.ok(Array.isArray(upd.json.Warnings));
  await conform('POST', `/containers/nosuch-${tag}/update`, '/containers/{id}/update', 404, { CpuShares: 512 });
  assert.equal((await api('POST', `/containers/${c}/start`)).status, 204);
  const waited = await conform('POST', `/containers/${c}/wait`, '/containers/{id}/wait', 200);
  assert.equal(waited.json.StatusCode, 4);
  await conform('POST', `/containers/${c}/wait?condition=bogus`, '/containers/{id}/wait', 400);
  await conform('POST', `/containers/nosuch-${tag}/wait`, '/containers/{id}/wait', 404);
  const stat = await conform('HEAD', `/containers/${c}/archive?path=/bin`, '/containers/{id}/archive', 200);
  const header = JSON.parse(Buffer.from(String(stat.headers['x-docker-container-path-stat']), 'base64').toString()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(header).sort(), ['linkTarget', 'mode', 'mtime', 'name', 'size']);
  await conform('GET', `/containers/${c}/archive?path=/nosuch`, '/containers/{id}/archive', 404);
  const pruned = await conform(
    'POST',
    `/containers/prune?filters=${encodeURIComponent(JSON.stringify({ label: [`berth.test=${tag}`] }))}`,
    '/containers/prune',
    200,
  );
  assert.deepEqual(pruned.json.ContainersDeleted, [c]);

  assert.equal((await api('POST', `/images/busybox/tag?repo=shapes-tag&tag=${tag}`)).status, 201);
  await conform('POST', `/images/nosuch-${tag}/tag?repo=x&tag=y`, '/images/{name}/tag', 404);
  await conform('POST', '/images/busybox/tag?repo=Bad..Repo', '/images/{name}/tag', 400);
  assert.equal((await api('DELETE', `/images/shapes-tag:${tag}`)).status, 200);
  await conform('POST', `/images/prune?filters=${encodeURIComponent(JSON.stringify({ label: [`berth.test=${tag}`] }))}`, '/images/prune', 200);
  await conform('POST', '/build/prune', '/build/prune', 200);
  // Offline: no registry to search or log in to; the error bodies are ErrorResponse.
  await conform('GET', '/images/search?term=busybox', '/images/search', 503);
  await conform('POST', '/auth', '/auth', 503, { username: 'u', password: 'p', serveraddress: 'https://registry.invalid.example' });
  await conform('GET', '/distribution/busybox/json', '/distribution/{name}/json', 503);
  const ping = await api('HEAD', '/_ping');
  assert.equal(ping.status, 200);
  assert.equal(ping.headers['api-version'], '1.45');
  const session = await api('POST', '/session');
  assert.ok(session.status >= 400, `POST /session: ${session.status}`);
  assert.deepEqual(sw.validateDefinition('ErrorResponse', session.json), [], session.text);
});

test('swarm and plugin routes answer with error bodies the swagger declares', { skip }, async () => {
  for (const [method, path, template] of [
    ['GET', '/swarm', '/swarm'],
    ['GET', '/swarm/unlockkey', '/swarm/unlockkey'],
    ['POST', '/swarm/unlock', '/swarm/unlock'],
    ['POST', '/swarm/update?version=1', '/swarm/update'],
    ['POST', '/swarm/leave', '/swarm/leave'],
    ['GET', '/nodes', '/nodes'],
    ['GET', '/nodes/x', '/nodes/{id}'],
    ['DELETE', '/nodes/x', '/nodes/{id}'],
    ['POST', '/nodes/x/update?version=1', '/nodes/{id}/update'],
    ['GET', '/services', '/services'],
    ['POST', '/services/create', '/services/create'],
    ['GET', '/services/x', '/services/{id}'],
    ['DELETE', '/services/x', '/services/{id}'],
    ['POST', '/services/x/update?version=1', '/services/{id}/update'],
    ['GET', '/services/x/logs?stdout=1', '/services/{id}/logs'],
    ['GET', '/tasks', '/tasks'],
    ['GET', '/tasks/x', '/tasks/{id}'],
    ['GET', '/tasks/x/logs?stdout=1', '/tasks/{id}/logs'],
    ['GET', '/secrets', '/secrets'],
    ['POST', '/secrets/create', '/secrets/create'],
    ['GET', '/secrets/x', '/secrets/{id}'],
    ['DELETE', '/secrets/x', '/secrets/{id}'],
    ['POST', '/secrets/x/update?version=1', '/secrets/{id}/update'],
    ['GET', '/configs', '/configs'],
    ['POST', '/configs/create', '/configs/create'],
    ['GET', '/configs/x', '/configs/{id}'],
    ['DELETE', '/configs/x', '/configs/{id}'],
    ['POST', '/configs/x/update?version=1', '/configs/{id}/update'],
  ] as const) {
    const body = method === 'POST' ? {} : undefined;
    const r = await api(method, path, body);
    assert.equal(r.status, 503, `${method} ${path}: ${r.status} ${r.text}`);
    const errors = sw.validateResponse(template, method, 503, r.json);
    assert.deepEqual(errors, [], `${method} ${path}: ${errors.join('\n')}`);
    // As dockerd: leave says the node is in no swarm; the manager routes say it is no manager.
    assert.match(
      r.json.message,
      path === '/swarm/leave' ? /^This node is not part of a swarm$/ : /^This node is not a swarm manager\. Use "docker swarm init"/,
    );
  }
  await conform('GET', '/plugins/nosuch/json', '/plugins/{name}/json', 404);
  await conform('DELETE', '/plugins/nosuch', '/plugins/{name}', 404);
  for (const [method, path, template] of [
    ['POST', '/plugins/nosuch/enable', '/plugins/{name}/enable'],
    ['POST', '/plugins/nosuch/disable', '/plugins/{name}/disable'],
    ['POST', '/plugins/nosuch/set', '/plugins/{name}/set'],
  ] as const) {
    const r = await api(method, path, method === 'POST' && path.endsWith('/set') ? [] : undefined);
    assert.equal(r.status, 404, `${method} ${path}: ${r.status} ${r.text}`);
    assert.deepEqual(sw.validateResponse(template, method, 404, r.json), []);
  }
});

test('GET /images/search against a registry on loopback: its /v1/search, the limit sent, stars and is-official filters applied; bad filters 400', {
  skip,
}, async () => {
  const asked: string[] = [];
  const results = [
    { name: 'team/app', description: 'the app', star_count: 5, is_official: false, is_automated: false },
    { name: 'team/app-old', description: '', star_count: 1, is_official: false, is_automated: true },
    { name: 'app', description: 'official', star_count: 9, is_official: true, is_automated: false },
  ];
  const srv = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ num_results: results.length, query: 'app', results }));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const host = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const all = await conform('GET', `/images/search?term=${host}/app&limit=3`, '/images/search', 200);
    assert.deepEqual(asked, ['/v1/search?q=app&n=3']);
    assert.deepEqual(
      all.json.map((r: { name: string }) => r.name),
      ['team/app', 'team/app-old', 'app'],
    );
    const f = encodeURIComponent(JSON.stringify({ stars: ['2'], 'is-official': ['false'] }));
    const some = await conform('GET', `/images/search?term=${host}/app&filters=${f}`, '/images/search', 200);
    assert.deepEqual(some.json, [{ description: 'the app', is_official: false, is_automated: false, name: 'team/app', star_count: 5 }]);
    const bad = await api('GET', `/images/search?term=${host}/app&filters=${encodeURIComponent(JSON.stringify({ nope: ['x'] }))}`);
    assert.equal(bad.status, 400, bad.text);
    assert.deepEqual(sw.validateDefinition('ErrorResponse', bad.json), []);
  } finally {
    srv.close();
  }
});
