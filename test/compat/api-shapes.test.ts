// Response shapes of berthd against the Engine API v1.45 swagger. The swagger is the contract
// clients are generated from; where dockerd itself sends something the swagger does not allow,
// we follow dockerd (the docker CLI and docker-py are the real judges) and say so below.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type ApiReply, TestDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { conformancePath, requiresConformance } from '../support/conformance.js';
import { DOCKERD_SENDS_NULL, SwaggerValidator } from './swagger-schema.js';

const SWAGGER = conformancePath('engine-api/v1.45.yaml');
const skip = requiresRoot('real crun, overlayfs, cgroups') || requiresConformance('engine-api/v1.45.yaml');
const tag = `${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
let d: TestDaemon;
let sw: SwaggerValidator;

type Reply = ApiReply;

function api(method: string, path: string, body?: unknown): Promise<Reply> {
  return d.api(method, path, body, 20_000);
}

/** Calls the API, checks the status, and validates the body against the swagger's path template. */
async function conform(method: string, path: string, template: string, status: number, body?: unknown): Promise<Reply> {
  const r = await api(method, path, body);
  assert.equal(r.status, status, `${method} ${path}: ${r.text.slice(0, 500)}`);
  const errors = sw.validateResponse(template, method, status, r.json);
  assert.deepEqual(errors, [], `${method} ${path} does not match the swagger:\n${errors.join('\n')}`);
  return r;
}

/** Fields the swagger declares that the body lacks, minus those dockerd also omits. */
function assertNoMissing(def: string, body: unknown, dockerdOmits: string[] = []): void {
  const missing = sw.missingProperties(def, body as Record<string, unknown>).filter((p) => !dockerdOmits.includes(p));
  assert.deepEqual(missing, [], `${def} lacks declared fields: ${missing.join(', ')}`);
}

async function createContainer(name: string, cmd: string[]): Promise<string> {
  const r = await conform('POST', `/containers/create?name=${name}`, '/containers/create', 201, { Image: 'busybox', Cmd: cmd });
  const id = (r.json as { Id: string }).Id;
  assert.match(id, /^[0-9a-f]{64}$/);
  return id;
}

const LOOP = ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'];
const ids: Record<'created' | 'running' | 'exited', string> = { created: '', running: '', exited: '' };

before(async () => {
  if (skip) return;
  sw = SwaggerValidator.load(SWAGGER!, { nullable: DOCKERD_SENDS_NULL });
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
  ids.created = await createContainer(`shape-created-${tag}`, ['true']);
  ids.running = await createContainer(`shape-running-${tag}`, LOOP);
  assert.equal((await api('POST', `/containers/${ids.running}/start`)).status, 204);
  ids.exited = await createContainer(`shape-exited-${tag}`, ['sh', '-c', 'exit 3']);
  assert.equal((await api('POST', `/containers/${ids.exited}/start`)).status, 204);
  // Polls rather than POST /wait, so a wait bug shows in the docker CLI tests, not here.
  for (let i = 0; i < 100 && ((await api('GET', `/containers/${ids.exited}/json`)).json as { State: { Status: string } }).State.Status !== 'exited'; i++)
    await new Promise((r) => setTimeout(r, 50));
});

after(async () => {
  if (d) await d.stop();
});

test('the swagger translation itself rejects wrong shapes (the validator can fail)', { skip }, () => {
  assert.deepEqual(sw.validateDefinition('ErrorResponse', { message: 'x' }), []);
  assert.notDeepEqual(sw.validateDefinition('ErrorResponse', {}), []);
  assert.notDeepEqual(sw.validateDefinition('ContainerSummary', { Id: 5 }), []);
  // x-nullable: true admits null (ImageInspect.Parent is not nullable; ContainerState.Health is).
  assert.deepEqual(sw.validateDefinition('ContainerState', { Health: null }), []);
  assert.notDeepEqual(sw.validateDefinition('ImageSummary', { Id: null }), []);
});

test('/_ping, /version, /info', { skip }, async () => {
  const ping = await api('GET', '/_ping');
  assert.equal(ping.status, 200);
  assert.equal(ping.text, 'OK');
  assert.equal(ping.headers['api-version'], '1.45');
  assert.equal(ping.headers.ostype, 'linux');
  const head = await api('HEAD', '/_ping');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  const v = await conform('GET', '/version', '/version', 200);
  // Experimental is omitempty in dockerd's types.Version (sent only when true).
  assertNoMissing('SystemVersion', v.json, ['Experimental']);
  const info = await conform('GET', '/info', '/info', 200);
  // dockerd omits these (omitempty or feature-gated): BridgeNfIptables/BridgeNfIp6tables (only
  // with bridge-nf), DefaultAddressPools, GenericResources (swarm), ProductLicense, CDISpecDirs
  // (only with CDI enabled), Containerd (only with the containerd image store).
  assertNoMissing('SystemInfo', info.json, [
    'BridgeNfIptables',
    'BridgeNfIp6tables',
    'DefaultAddressPools',
    'GenericResources',
    'ProductLicense',
    'CDISpecDirs',
    'Containerd',
  ]);
});

test('/containers/json and /containers/{id}/json in created, running and exited states', { skip }, async () => {
  const list = await conform('GET', '/containers/json?all=1', '/containers/json', 200);
  const rows = list.json as Array<Record<string, unknown>>;
  assert.equal(rows.length, 3);
  // SizeRw/SizeRootFs only with ?size=1; dockerd omits them otherwise.
  for (const row of rows) assertNoMissing('ContainerSummary', row, ['SizeRw', 'SizeRootFs']);
  await conform('GET', '/containers/json?all=1&size=1', '/containers/json', 200);
  for (const [state, id] of Object.entries(ids)) {
    const r = await conform('GET', `/containers/${id}/json`, '/containers/{id}/json', 200);
    const body = r.json as Record<string, unknown> & { State: Record<string, unknown>; Config: Record<string, unknown>; HostConfig: Record<string, unknown> };
    assert.equal(body.State.Status, state);
    // SizeRw/SizeRootFs only with ?size=1.
    const schema = sw.responseSchema('/containers/{id}/json', 'get', 200) as { properties: Record<string, unknown> };
    const missing = Object.keys(schema.properties).filter((k) => !(k in body) && !['SizeRw', 'SizeRootFs'].includes(k));
    assert.deepEqual(missing, [], `inspect (${state}) lacks ${missing.join(', ')}`);
    // Health only appears with a healthcheck.
    assertNoMissing('ContainerState', body.State, ['Health']);
    // ExposedPorts/Healthcheck/StopSignal/StopTimeout/ArgsEscaped/MacAddress/NetworkDisabled/Shell/
    // OnBuild are omitempty in dockerd's ContainerConfig.
    assertNoMissing('ContainerConfig', body.Config, [
      'ExposedPorts',
      'Healthcheck',
      'StopSignal',
      'StopTimeout',
      'ArgsEscaped',
      'MacAddress',
      'NetworkDisabled',
      'Shell',
      'OnBuild',
    ]);
  }
  const sized = await conform('GET', `/containers/${ids.running}/json?size=1`, '/containers/{id}/json', 200);
  assert.equal(typeof (sized.json as Record<string, unknown>).SizeRootFs, 'number');
});

test('/containers/{id}/top and /containers/{id}/stats?stream=false', { skip }, async () => {
  const top = await conform('GET', `/containers/${ids.running}/top`, '/containers/{id}/top', 200);
  const t = top.json as { Titles: string[]; Processes: string[][] };
  assert.ok(t.Titles.includes('PID') && t.Processes.length >= 1, top.text);
  await conform('GET', `/containers/${ids.running}/top?ps_args=-o%20pid,comm`, '/containers/{id}/top', 200);
  const stats = await conform('GET', `/containers/${ids.running}/stats?stream=false`, '/containers/{id}/stats', 200);
  // The swagger says only "object"; these are the fields the docker CLI and docker-py read.
  const s = stats.json as Record<string, Record<string, unknown>>;
  for (const k of ['read', 'preread', 'pids_stats', 'blkio_stats', 'cpu_stats', 'precpu_stats', 'memory_stats', 'name', 'id'])
    assert.ok(k in s, `stats lacks ${k}`);
  assert.equal(typeof (s.cpu_stats!.cpu_usage as Record<string, unknown>).total_usage, 'number');
  assert.equal(typeof s.cpu_stats!.online_cpus, 'number');
  assert.equal(typeof s.memory_stats!.usage, 'number');
  assert.equal(typeof s.memory_stats!.limit, 'number');
  assert.equal(typeof s.pids_stats!.current, 'number');
  const stopped = await api('GET', `/containers/${ids.exited}/stats?stream=false`);
  assert.equal(stopped.status, 200, stopped.text);
});

test('/images/json, /images/{name}/json, /images/{name}/history', { skip }, async () => {
  const list = await conform('GET', '/images/json', '/images/json', 200);
  // VirtualSize is gone from v1.44 on.
  for (const img of list.json as unknown[]) assertNoMissing('ImageSummary', img, ['VirtualSize']);
  const ins = await conform('GET', '/images/busybox/json', '/images/{name}/json', 200);
  // VirtualSize (before 1.44), Container/ContainerConfig (before 1.45) are gone; Variant and
  // OsVersion are omitempty in dockerd.
  assertNoMissing('ImageInspect', ins.json, ['VirtualSize', 'Container', 'ContainerConfig', 'Variant', 'OsVersion']);
  const hist = await conform('GET', '/images/busybox/history', '/images/{name}/history', 200);
  assert.ok((hist.json as unknown[]).length >= 1);
});

test('/system/df', { skip }, async () => {
  const df = await conform('GET', '/system/df', '/system/df', 200);
  const body = df.json as Record<string, unknown>;
  for (const k of ['LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache']) assert.ok(k in body, `df lacks ${k}`);
  for (const img of body.Images as unknown[]) assertNoMissing('ImageSummary', img, ['VirtualSize']);
  for (const c of body.Containers as unknown[]) assertNoMissing('ContainerSummary', c, []);
});

test('exec create and /exec/{id}/json', { skip }, async () => {
  const created = await conform('POST', `/containers/${ids.running}/exec`, '/containers/{id}/exec', 201, { Cmd: ['sh', '-c', 'exit 2'], AttachStdout: true });
  const id = (created.json as { Id: string }).Id;
  const before = await conform('GET', `/exec/${id}/json`, '/exec/{id}/json', 200);
  assert.equal((before.json as { Running: boolean }).Running, false);
  const started = await api('POST', `/exec/${id}/start`, { Detach: true });
  assert.equal(started.status, 200, started.text);
  let body: Record<string, unknown> = {};
  for (let i = 0; i < 100; i++) {
    body = (await conform('GET', `/exec/${id}/json`, '/exec/{id}/json', 200)).json as Record<string, unknown>;
    if (body.Running === false && body.ExitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(body.ExitCode, 2);
  const schema = sw.responseSchema('/exec/{id}/json', 'get', 200) as { properties: Record<string, unknown> };
  const missing = Object.keys(schema.properties).filter((k) => !(k in body));
  assert.deepEqual(missing, [], `exec inspect lacks ${missing.join(', ')}`);
});

test('error bodies: 404, 409, 400 carry {message}', { skip }, async () => {
  const nf = await conform('GET', `/containers/no-such-${tag}/json`, '/containers/{id}/json', 404);
  assert.equal((nf.json as { message: string }).message, `No such container: no-such-${tag}`);
  await conform('GET', `/images/no-such-${tag}/json`, '/images/{name}/json', 404);
  await conform('GET', `/exec/no-such-${tag}/json`, '/exec/{id}/json', 404);
  const dup = await conform('POST', `/containers/create?name=shape-created-${tag}`, '/containers/create', 409, { Image: 'busybox', Cmd: ['true'] });
  assert.match((dup.json as { message: string }).message, /Conflict\. The container name "\/shape-created-[^"]+" is already in use/);
  await conform('POST', '/containers/create', '/containers/create', 400, { Image: 'busybox', Cmd: ['true'], WorkingDir: 'relative' });
  const noCmd = await conform('POST', '/containers/create', '/containers/create', 400, { Image: 'busybox' });
  assert.equal((noCmd.json as { message: string }).message, 'No command specified');
  await conform('GET', '/containers/json?filters=not-json', '/containers/json', 400);
  await conform('POST', '/containers/create', '/containers/create', 404, { Image: `no-such-image-${tag}`, Cmd: ['true'] });
  const running = await conform('DELETE', `/containers/${ids.running}`, '/containers/{id}', 409);
  assert.match((running.json as { message: string }).message, /cannot remove container|You cannot remove a running container/i);
});

test('a container with healthcheck, mounts, labels, ulimits and restart policy; a committed image', { skip }, async (t) => {
  const name = `shape-rich-${tag}`;
  const r = await conform('POST', `/containers/create?name=${name}`, '/containers/create', 201, {
    Image: 'busybox',
    Cmd: LOOP,
    Env: ['A=1'],
    Labels: { 'com.example.k': 'v' },
    WorkingDir: '/tmp',
    Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 100_000_000, Timeout: 1_000_000_000, Retries: 2 },
    StopSignal: 'SIGTERM',
    HostConfig: {
      Mounts: [{ Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1 << 20 } }],
      Binds: [`${d.dir}:/hostdir:ro`],
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 },
      Memory: 64 << 20,
      CapAdd: ['NET_ADMIN'],
    },
  });
  const id = (r.json as { Id: string }).Id;
  assert.equal((await api('POST', `/containers/${id}/start`)).status, 204);
  // Health appears once the first probe ran (if healthchecks run at all); validate it when there.
  let ins: { Mounts: unknown[]; State: { Health?: Record<string, unknown> } } = { Mounts: [], State: {} };
  for (let i = 0; i < 40; i++) {
    ins = (await conform('GET', `/containers/${id}/json`, '/containers/{id}/json', 200)).json as typeof ins;
    if (ins.State.Health?.Status === 'healthy') break;
    await new Promise((res) => setTimeout(res, 50));
  }
  if (ins.State.Health) assertNoMissing('Health', ins.State.Health);
  else t.diagnostic('State.Health never appeared: healthchecks do not run');
  assert.ok(ins.Mounts.length >= 1, `inspect Mounts: ${JSON.stringify(ins.Mounts)}`);
  // Name and Driver are omitempty in dockerd's MountPoint (bind and tmpfs mounts have none).
  for (const m of ins.Mounts) assertNoMissing('MountPoint', m, ['Name', 'Driver']);
  assert.deepEqual(ins.Mounts, [
    { Type: 'bind', Source: d.dir, Destination: '/hostdir', Mode: 'ro', RW: false, Propagation: 'rprivate' },
    { Type: 'tmpfs', Source: '', Destination: '/scratch', Mode: '', RW: true, Propagation: '' },
  ]);
  const list = await conform('GET', `/containers/json?filters=${encodeURIComponent(JSON.stringify({ name: [name] }))}`, '/containers/json', 200);
  const row = (list.json as Array<{ Mounts: unknown[]; Status: string }>)[0]!;
  if (ins.State.Health?.Status === 'healthy') assert.match(row.Status, /\(healthy\)/);
  assert.ok(row.Mounts.length >= 1, `summary Mounts: ${JSON.stringify(row.Mounts)}`);

  const commit = await api('POST', `/commit?container=${id}&repo=shape-commit&tag=${tag}&comment=c1`, { Env: ['X=1'], Cmd: ['true'] });
  assert.equal(commit.status, 201, commit.text);
  assert.deepEqual(sw.validateResponse('/commit', 'post', 201, commit.json), []);
  const img = await conform('GET', `/images/shape-commit:${tag}/json`, '/images/{name}/json', 200);
  assert.equal((img.json as { Comment: string }).Comment, 'c1');
  await conform('GET', `/images/shape-commit:${tag}/history`, '/images/{name}/history', 200);
  await conform('GET', '/images/json?all=1', '/images/json', 200);
  const del = await conform('DELETE', `/images/shape-commit:${tag}`, '/images/{name}', 200);
  assert.ok((del.json as unknown[]).length >= 1);
  assert.equal((await api('DELETE', `/containers/${id}?force=1`)).status, 204);
});

test('/events lines match EventMessage', { skip }, async () => {
  const since = Math.floor(Date.now() / 1000) - 60;
  const until = Math.floor(Date.now() / 1000) + 1;
  const r = await api('GET', `/events?since=${since}&until=${until}`);
  assert.equal(r.status, 200);
  const lines = r.text.split('\n').filter(Boolean);
  assert.ok(lines.length >= 5, r.text);
  for (const line of lines) {
    const e = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(sw.validateDefinition('EventMessage', e), [], line);
    assertNoMissing('EventMessage', e);
  }
  const bad = await api('GET', '/events?filters=%7B%22nope%22%3A%5B%22x%22%5D%7D');
  assert.equal(bad.status, 400, bad.text);
  assert.deepEqual(sw.validateDefinition('ErrorResponse', bad.json), []);
});

test('/containers/{id}/changes and /plugins', { skip }, async () => {
  const id = await createContainer(`shapes-changes-${tag}`, ['sh', '-c', 'touch /new; rm /etc/group']);
  await conform('GET', `/containers/${id}/changes`, '/containers/{id}/changes', 200);
  assert.equal((await api('POST', `/containers/${id}/start`)).status, 204);
  await api('POST', `/containers/${id}/wait`);
  const changes = await conform('GET', `/containers/${id}/changes`, '/containers/{id}/changes', 200);
  assert.deepEqual(changes.json, [
    { Path: '/etc', Kind: 0 },
    { Path: '/etc/group', Kind: 2 },
    { Path: '/new', Kind: 1 },
  ]);
  const plugins = await conform('GET', '/plugins', '/plugins', 200);
  assert.deepEqual(plugins.json, []);
});
