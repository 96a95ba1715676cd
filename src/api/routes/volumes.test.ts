// The /volumes routes on a real ApiServer (unix socket, real files), checked against Docker's
// messages and the Engine API swagger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../server/http-server.js';
import { VolumeStore } from '../../volume/volume-store.js';
import { ContainerVolumes } from '../../volume/container-volumes.js';
import { mountInputFromWire, mountInputToWire, mountPointsWire, volumeRoutes } from './volumes.js';
import { SwaggerValidator } from '../../../test/compat/swagger-schema.js';
import { conformancePath, requiresConformance } from '../../../test/support/conformance.js';

const SWAGGER = conformancePath('engine-api/v1.45.yaml');
const swagger = SWAGGER ? SwaggerValidator.load(SWAGGER) : undefined;
/** The tests that check shapes against the swagger say so when it is missing. */
const skip = requiresConformance('engine-api/v1.45.yaml');

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function call(socketPath: string, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = request({ socketPath, method, path, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function serve(t: { after: (fn: () => Promise<void>) => void }) {
  const d = await mkdtemp(join(tmpdir(), `berth-volroutes-${process.pid}-`));
  const events: string[] = [];
  const store = await VolumeStore.open(join(d, 'volumes'), { events: { emit: (a, n) => events.push(`${a} ${n}`) } });
  const server = new ApiServer({ routes: volumeRoutes({ volumes: store }), serverHeader: 'berth-test' });
  const sock = join(d, 'api.sock');
  await server.listen(sock);
  t.after(async () => {
    await server.close();
    await rm(d, { recursive: true, force: true });
  });
  return { store, sock, events, api: (method: string, path: string, body?: unknown) => call(sock, method, path, body) };
}

test('create, inspect, list: Docker wire shape', { skip }, async (t) => {
  const { api, store, events } = await serve(t);
  const c = await api('POST', '/v1.45/volumes/create', {
    Name: 'data',
    Driver: 'local',
    Labels: { a: 'b' },
    DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=10m' },
  });
  assert.equal(c.status, 201);
  assert.deepEqual(swagger!.validateResponse('/volumes/create', 'post', 201, c.body), []);
  assert.equal(c.body.Name, 'data');
  assert.equal(c.body.Mountpoint, store.path('data'));
  assert.equal(c.body.Scope, 'local');
  assert.deepEqual(c.body.Options, { type: 'tmpfs', device: 'tmpfs', o: 'size=10m' });
  assert.match(c.body.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(events, ['create data']);

  const i = await api('GET', '/volumes/data');
  assert.equal(i.status, 200);
  assert.deepEqual(i.body, c.body);
  assert.deepEqual(swagger!.validateResponse('/volumes/{name}', 'get', 200, i.body), []);

  const anon = await api('POST', '/volumes/create', {});
  assert.equal(anon.status, 201);
  assert.match(anon.body.Name, /^[0-9a-f]{64}$/);
  assert.deepEqual(anon.body.Labels, { 'com.docker.volume.anonymous': '' });

  const l = await api('GET', '/volumes');
  assert.equal(l.status, 200);
  assert.deepEqual(swagger!.validateResponse('/volumes', 'get', 200, l.body), []);
  assert.deepEqual(l.body.Warnings, []);
  assert.equal(l.body.Volumes.length, 2);
  const f = await api('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ label: ['a=b'] }))}`);
  assert.deepEqual(
    f.body.Volumes.map((v: { Name: string }) => v.Name),
    ['data'],
  );
  const old = await api('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ name: { dat: true } }))}`);
  assert.deepEqual(
    old.body.Volumes.map((v: { Name: string }) => v.Name),
    ['data'],
  );
});

test('errors: bad names, bad bodies, unknown volumes, bad filters', async (t) => {
  const { api } = await serve(t);
  const bad = await api('POST', '/volumes/create', { Name: 'x/y' });
  assert.equal(bad.status, 400);
  assert.equal(
    bad.body.message,
    `create x/y: "x/y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
  );
  assert.equal((await api('POST', '/volumes/create', { Name: 5 })).status, 400);
  assert.equal((await api('POST', '/volumes/create', { Labels: { a: 1 } })).status, 400);
  assert.equal((await api('POST', '/volumes/create', '{not json')).status, 400);
  const opt = await api('POST', '/volumes/create', { Name: 'vv', DriverOpts: { nope: 'x' } });
  assert.deepEqual([opt.status, opt.body.message], [400, 'invalid option: "nope"']);
  const drv = await api('POST', '/volumes/create', { Name: 'vv', Driver: 'nfs' });
  assert.deepEqual([drv.status, drv.body.message], [404, 'error looking up volume plugin nfs: plugin "nfs" not found']);
  const missing = await api('GET', '/volumes/nope');
  assert.deepEqual([missing.status, missing.body.message], [404, 'get nope: no such volume']);
  const del = await api('DELETE', '/volumes/nope');
  assert.deepEqual([del.status, del.body.message], [404, 'get nope: no such volume']);
  assert.equal((await api('DELETE', '/volumes/nope?force=1')).status, 204);
  const filt = await api('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ foo: ['1'] }))}`);
  assert.deepEqual([filt.status, filt.body.message], [400, "invalid filter 'foo'"]);
  assert.equal((await api('PUT', '/volumes/x', {})).status, 503);
});

test('remove: 409 while a container uses the volume, 204 after', async (t) => {
  const { api, store, events } = await serve(t);
  assert.equal((await api('POST', '/volumes/create', { Name: 'data' })).status, 201);
  const cid = 'a'.repeat(64);
  const cv = new ContainerVolumes(store);
  await cv.attach(cid, { binds: ['data:/d'], mounts: [], tmpfs: {}, volumesFrom: [], imageVolumes: [] }, { resolveContainer: () => undefined });
  const used = await api('DELETE', '/volumes/data?force=true');
  assert.deepEqual([used.status, used.body.message], [409, `remove data: volume is in use - [${cid}]`]);
  const dangling = await api('GET', `/volumes?filters=${encodeURIComponent(JSON.stringify({ dangling: ['true'] }))}`);
  assert.deepEqual(dangling.body.Volumes, []);
  await cv.detach(cid, { removeAnonymous: true });
  assert.equal((await api('DELETE', '/volumes/data')).status, 204);
  assert.equal((await api('GET', '/volumes/data')).status, 404);
  assert.ok(events.includes('destroy data'));
});

test('prune: anonymous only by default (API >= 1.42), all=true for named, everything on old APIs', { skip }, async (t) => {
  const { api } = await serve(t);
  const anon = (await api('POST', '/volumes/create', {})).body.Name as string;
  await api('POST', '/volumes/create', { Name: 'named', Labels: { keep: '1' } });
  await api('POST', '/volumes/create', { Name: 'named2' });
  let p = await api('POST', '/v1.45/volumes/prune');
  assert.equal(p.status, 200);
  assert.deepEqual(swagger!.validateResponse('/volumes/prune', 'post', 200, p.body), []);
  assert.deepEqual(p.body, { VolumesDeleted: [anon], SpaceReclaimed: 0 });
  p = await api('POST', `/v1.45/volumes/prune?filters=${encodeURIComponent(JSON.stringify({ all: ['true'], 'label!': ['keep'] }))}`);
  assert.deepEqual(p.body.VolumesDeleted, ['named2']);
  const badAll = await api('POST', `/volumes/prune?filters=${encodeURIComponent(JSON.stringify({ all: ['maybe'] }))}`);
  assert.equal(badAll.status, 400);
  p = await api('POST', '/v1.41/volumes/prune');
  assert.deepEqual(p.body.VolumesDeleted, ['named']);
  assert.equal((await api('POST', `/v1.41/volumes/prune?filters=${encodeURIComponent(JSON.stringify({ all: ['1'] }))}`)).status, 400);
});

test('wire helpers for the container routes: Mounts in, MountPoint list out', { skip }, () => {
  const m = mountInputFromWire({
    Type: 'volume',
    Source: 'data',
    Target: '/d',
    VolumeOptions: { NoCopy: true, DriverConfig: { Name: 'local', Options: { type: 'tmpfs' } } },
  });
  assert.deepEqual(m, {
    type: 'volume',
    source: 'data',
    target: '/d',
    readOnly: false,
    volumeOptions: { noCopy: true, labels: undefined, subpath: undefined, driverConfig: { name: 'local', options: { type: 'tmpfs' } } },
  });
  const b = mountInputFromWire({ Type: 'bind', Source: '/x', Target: '/y', ReadOnly: true, BindOptions: { Propagation: 'rslave' } });
  assert.equal(b.bindOptions?.propagation, 'rslave');
  const tm = mountInputFromWire({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 0o700, Options: [['exec']] } });
  assert.deepEqual(tm.tmpfsOptions, { sizeBytes: 1024, mode: 0o700, options: [['exec']] });
  assert.throws(() => mountInputFromWire({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 'big' } }), /SizeBytes/);
  for (const w of [
    {
      Type: 'volume',
      Source: 'data',
      Target: '/d',
      VolumeOptions: { NoCopy: true, Labels: { a: 'b' }, DriverConfig: { Name: 'local', Options: { type: 'tmpfs' } } },
    },
    { Type: 'bind', Source: '/x', Target: '/y', ReadOnly: true, BindOptions: { Propagation: 'rslave', CreateMountpoint: true } },
    { Type: 'tmpfs', Source: '', Target: '/t', TmpfsOptions: { SizeBytes: 1024, Mode: 448 } },
  ])
    assert.deepEqual(mountInputToWire(mountInputFromWire(w)), w, 'round trip');
  const out = mountPointsWire([
    { type: 'volume', destination: '/d', source: '/v/data/_data', name: 'data', driver: 'local', mode: 'z', rw: true, propagation: '', copyData: true },
    { type: 'bind', destination: '/s', source: '/h', mode: 'ro', rw: false, propagation: 'rprivate', copyData: false },
    { type: 'tmpfs', destination: '/run', source: '', mode: '', rw: true, propagation: '', copyData: false, hidden: true },
  ]);
  assert.deepEqual(out, [
    { Type: 'volume', Name: 'data', Source: '/v/data/_data', Destination: '/d', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
    { Type: 'bind', Source: '/h', Destination: '/s', Mode: 'ro', RW: false, Propagation: 'rprivate' },
  ]);
  for (const o of out) assert.deepEqual(swagger!.validateDefinition('MountPoint', o), []);
});
