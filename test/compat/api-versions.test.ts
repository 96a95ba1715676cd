// Clients pinned at an older API version: the main routes' bodies at /v1.24/, /v1.41/ and /v1.45/
// carry the fields that version defines. /v1.41/ is checked against the v1.41 swagger (schema and
// the fields it declares that later versions removed); /v1.24/ against the fields API 1.24's
// reference lists (Docker's API changelog for what changed since); docker-py at version='1.24'
// parses them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { TestDaemon, run } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';
import { conformancePath, requiresConformance } from '../support/conformance.js';
import { SwaggerValidator } from './swagger-schema.js';

const PYTHON = '/usr/bin/python3';
const skip = requiresRoot('real crun, overlayfs, cgroups') || requiresConformance('engine-api/v1.41.yaml');
const noDockerPy = spawnSync(PYTHON, ['-c', 'import docker'], { stdio: 'ignore' }).status === 0 ? false : 'python3-docker is not importable';
let d: TestDaemon;
let sw41: SwaggerValidator;
let id = '';

function get(version: string, path: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, path: `/v${version}${path}` }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({
          status: res.statusCode ?? 0,
          json: path.startsWith('/events')
            ? text
                .split('\n')
                .filter(Boolean)
                .map((l) => JSON.parse(l))
            : JSON.parse(text),
        });
      });
    });
    req.setTimeout(20_000, () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function ok(version: string, path: string): Promise<any> {
  const r = await get(version, path);
  assert.equal(r.status, 200, `/v${version}${path}: ${JSON.stringify(r.json).slice(0, 300)}`);
  return r.json;
}

function hasAll(at: string, body: Record<string, unknown>, keys: string[]): void {
  const missing = keys.filter((k) => !(k in body));
  assert.deepEqual(missing, [], `${at} lacks ${missing.join(', ')}`);
}

before(async () => {
  if (skip) return;
  sw41 = SwaggerValidator.load(conformancePath('engine-api/v1.41.yaml')!, {
    // Where dockerd sends Go nil slices/maps although v1.41 declares a non-nullable type (as in api-shapes.test.ts).
    nullable: [
      ['definitions', 'EndpointSettings', 'properties', 'Links'],
      ['definitions', 'EndpointSettings', 'properties', 'Aliases'],
      ['definitions', 'IPAM', 'properties', 'Options'],
      ['definitions', 'PluginsInfo', 'properties', 'Authorization'],
    ],
  });
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
  const net = await d.berth(['network', 'create', 'vnet']);
  assert.equal(net.code, 0, `network create: ${net.stderr}`);
  const r = await d.berth([
    'run',
    '-d',
    '--name',
    'vc',
    '--hostname',
    'vhost',
    '--network',
    'vnet',
    '-v',
    'vvol:/data',
    'busybox',
    'sh',
    '-c',
    'trap "exit 0" TERM; while :; do sleep 0.1; done',
  ]);
  assert.equal(r.code, 0, r.stderr);
  id = r.stdout.trim();
});
after(async () => {
  if (d) await d.stop();
});

test('/v1.41/: bodies match the v1.41 swagger, with the fields 1.42+ removed', { skip }, async () => {
  const list = await ok('1.41', '/containers/json');
  const listErrs = sw41.validateResponse('/containers/json', 'get', 200, list);
  assert.deepEqual(listErrs, []);
  const ins = await ok('1.41', `/containers/${id}/json`);
  assert.equal(ins.HostConfig.KernelMemory, 0, 'HostConfig.KernelMemory (removed in 1.42)');
  hasAll('NetworkSettings', ins.NetworkSettings, sw41.missingProperties('NetworkSettings', {}));
  // Before 1.45 a user-defined network's Aliases also hold the short ID and the hostname.
  assert.deepEqual([...ins.NetworkSettings.Networks.vnet.Aliases].sort(), [id.slice(0, 12), 'vhost'].sort());
  const images = await ok('1.41', '/images/json');
  assert.deepEqual(sw41.validateResponse('/images/json', 'get', 200, images), []);
  for (const i of images) assert.equal(typeof i.VirtualSize, 'number');
  const img = await ok('1.41', '/images/busybox/json');
  assert.deepEqual(sw41.validateResponse('/images/{name}/json', 'get', 200, img), []);
  hasAll('ImageInspect', img, ['Container', 'ContainerConfig', 'VirtualSize']);
  assert.deepEqual(sw41.validateResponse('/networks', 'get', 200, await ok('1.41', '/networks')), []);
  assert.deepEqual(sw41.validateResponse('/volumes', 'get', 200, await ok('1.41', '/volumes')), []);
  const info = await ok('1.41', '/info');
  assert.deepEqual(sw41.validateResponse('/info', 'get', 200, info), []);
  hasAll('SystemInfo', info, ['KernelMemory', 'ClusterStore', 'ClusterAdvertise']);
  assert.ok(
    info.SecurityOptions.every((o: string) => o.startsWith('name=')),
    'key=value security options since 1.25',
  );
  assert.deepEqual(sw41.validateResponse('/version', 'get', 200, await ok('1.41', '/version')), []);
  const df = await ok('1.41', '/system/df');
  assert.deepEqual(sw41.validateResponse('/system/df', 'get', 200, df), []);
  for (const i of df.Images) assert.equal(typeof i.VirtualSize, 'number');
});

test('/v1.45/: the fields 1.44/1.45 removed stay out', { skip }, async () => {
  const ins = await ok('1.45', `/containers/${id}/json`);
  assert.ok(!('KernelMemory' in ins.HostConfig));
  assert.ok(!(ins.NetworkSettings.Networks.vnet.Aliases ?? []).includes(id.slice(0, 12)), 'short ID is in DNSNames from 1.45');
  assert.ok(ins.NetworkSettings.Networks.vnet.DNSNames.includes(id.slice(0, 12)));
  for (const i of await ok('1.45', '/images/json')) assert.ok(!('VirtualSize' in i));
  assert.ok(!('VirtualSize' in (await ok('1.45', '/images/busybox/json'))));
  const info = await ok('1.45', '/info');
  assert.ok(!('ExecutionDriver' in info) && !('ClusterStore' in info));
});

test('/v1.24/: each main route carries the fields API 1.24 defines', { skip }, async () => {
  const [row] = (await ok('1.24', '/containers/json')).filter((c: { Id: string }) => c.Id === id);
  hasAll('ContainerSummary', row, [
    'Id',
    'Names',
    'Image',
    'ImageID',
    'Command',
    'Created',
    'State',
    'Status',
    'Ports',
    'Labels',
    'HostConfig',
    'NetworkSettings',
    'Mounts',
  ]);
  assert.equal(row.HostConfig.NetworkMode, 'vnet');
  assert.ok(row.NetworkSettings.Networks.vnet.IPAddress);
  const ins = await ok('1.24', `/containers/${id}/json`);
  hasAll('ContainerInspect', ins, [
    'Id',
    'Created',
    'Path',
    'Args',
    'State',
    'Image',
    'ResolvConfPath',
    'HostnamePath',
    'HostsPath',
    'LogPath',
    'Name',
    'RestartCount',
    'Driver',
    'MountLabel',
    'ProcessLabel',
    'AppArmorProfile',
    'ExecIDs',
    'HostConfig',
    'GraphDriver',
    'Mounts',
    'Config',
    'NetworkSettings',
  ]);
  hasAll('State', ins.State, ['Status', 'Running', 'Paused', 'Restarting', 'OOMKilled', 'Dead', 'Pid', 'ExitCode', 'Error', 'StartedAt', 'FinishedAt']);
  hasAll('NetworkSettings', ins.NetworkSettings, [
    'Bridge',
    'SandboxID',
    'HairpinMode',
    'LinkLocalIPv6Address',
    'LinkLocalIPv6PrefixLen',
    'Ports',
    'SandboxKey',
    'SecondaryIPAddresses',
    'SecondaryIPv6Addresses',
    'EndpointID',
    'Gateway',
    'GlobalIPv6Address',
    'GlobalIPv6PrefixLen',
    'IPAddress',
    'IPPrefixLen',
    'IPv6Gateway',
    'MacAddress',
    'Networks',
  ]);
  hasAll('EndpointSettings', ins.NetworkSettings.Networks.vnet, [
    'IPAMConfig',
    'Links',
    'Aliases',
    'NetworkID',
    'EndpointID',
    'Gateway',
    'IPAddress',
    'IPPrefixLen',
    'MacAddress',
  ]);
  assert.ok(ins.NetworkSettings.Networks.vnet.Aliases.includes('vhost'));
  hasAll('HostConfig', ins.HostConfig, [
    'Binds',
    'NetworkMode',
    'PortBindings',
    'RestartPolicy',
    'KernelMemory',
    'Memory',
    'MemorySwap',
    'CpuShares',
    'ShmSize',
    'LogConfig',
    'Privileged',
    'SecurityOpt',
  ]);
  hasAll('Mount', ins.Mounts[0], ['Name', 'Source', 'Destination', 'Driver', 'Mode', 'RW', 'Propagation']);
  for (const i of await ok('1.24', '/images/json'))
    hasAll('ImageSummary', i, ['Id', 'ParentId', 'RepoTags', 'RepoDigests', 'Created', 'Size', 'VirtualSize', 'Labels']);
  const img = await ok('1.24', '/images/busybox/json');
  hasAll('ImageInspect', img, [
    'Id',
    'RepoTags',
    'RepoDigests',
    'Parent',
    'Comment',
    'Created',
    'Container',
    'ContainerConfig',
    'DockerVersion',
    'Author',
    'Config',
    'Architecture',
    'Os',
    'Size',
    'VirtualSize',
    'GraphDriver',
    'RootFS',
  ]);
  for (const n of await ok('1.24', '/networks'))
    hasAll('Network', n, ['Name', 'Id', 'Scope', 'Driver', 'EnableIPv6', 'IPAM', 'Internal', 'Containers', 'Options', 'Labels']);
  const vols = await ok('1.24', '/volumes');
  hasAll('VolumeList', vols, ['Volumes', 'Warnings']);
  for (const v of vols.Volumes) hasAll('Volume', v, ['Name', 'Driver', 'Mountpoint', 'Labels', 'Scope']);
  const info = await ok('1.24', '/info');
  hasAll('Info', info, [
    'ID',
    'Containers',
    'Images',
    'Driver',
    'ExecutionDriver',
    'KernelMemory',
    'SecurityOptions',
    'Runtimes',
    'DefaultRuntime',
    'Swarm',
    'Plugins',
  ]);
  assert.equal(info.ExecutionDriver, '<not supported>');
  assert.deepEqual(info.SecurityOptions, ['seccomp'], 'bare names before 1.25');
  hasAll('Version', await ok('1.24', '/version'), ['Version', 'ApiVersion', 'GitCommit', 'GoVersion', 'Os', 'Arch', 'KernelVersion', 'BuildTime']);
  hasAll('SystemDf', await ok('1.24', '/system/df'), ['LayersSize', 'Images', 'Containers', 'Volumes']);
  const events = await ok('1.24', `/events?since=0&until=${Math.ceil(Date.now() / 1000)}&filters=${encodeURIComponent(JSON.stringify({ container: [id] }))}`);
  const start = events.find((e: { Action: string }) => e.Action === 'start');
  assert.ok(start, JSON.stringify(events));
  hasAll('event', start, ['status', 'id', 'from', 'Type', 'Action', 'Actor', 'time', 'timeNano']);
});

const PY = `
import docker, sys, time
c = docker.APIClient(base_url=sys.argv[1], version='1.24')
cid = sys.argv[2]
assert c.version()['ApiVersion']
info = c.info(); assert info['ExecutionDriver'] == '<not supported>', info.get('ExecutionDriver')
[row] = [x for x in c.containers(all=True) if x['Id'] == cid]
assert row['HostConfig']['NetworkMode'] == 'vnet'
ins = c.inspect_container(cid)
assert ins['NetworkSettings']['Networks']['vnet']['IPAddress']
assert 'vhost' in ins['NetworkSettings']['Networks']['vnet']['Aliases']
assert ins['HostConfig']['KernelMemory'] == 0
imgs = c.images(); assert all('VirtualSize' in i for i in imgs)
img = c.inspect_image('busybox'); assert 'ContainerConfig' in img and 'VirtualSize' in img
assert any(n['Name'] == 'vnet' for n in c.networks())
assert any(v['Name'] == 'vvol' for v in c.volumes()['Volumes'])
evs = list(c.events(since=0, until=int(time.time()) + 1, decode=True, filters={'container': cid}))
assert any(e.get('status') == 'start' and e.get('id') == cid for e in evs), evs
hc = c.create_host_config(binds=['/tmp:/hosttmp:ro'], port_bindings={80: None})
ct = c.create_container('busybox', ['sh', '-c', 'echo hi; ls -d /hosttmp'], host_config=hc, ports=[80])
c.start(ct)
assert c.wait(ct)['StatusCode'] == 0
assert c.logs(ct) == b'hi\\n/hosttmp\\n', c.logs(ct)
c.remove_container(ct)
print('ok')
`;

test('docker-py at version=1.24 parses the main routes', { skip: skip || noDockerPy }, async () => {
  const r = await run(PYTHON, ['-c', PY, d.host, id], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'ok');
});

test('the docker CLI pinned at DOCKER_API_VERSION=1.24 and 1.41: ps, inspect, info, images, run', {
  skip: skip || (spawnSync('docker', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'no docker CLI'),
}, async () => {
  for (const version of ['1.24', '1.41']) {
    const docker = async (args: string[]): Promise<string> => {
      const r = await run('docker', args, { env: { ...process.env, DOCKER_HOST: d.host, DOCKER_API_VERSION: version }, timeoutMs: 60_000 });
      assert.equal(r.code, 0, `docker ${args.join(' ')} at ${version}: ${r.stderr}`);
      return r.stdout;
    };
    assert.equal((await docker(['ps', '--format', '{{.Names}} {{.Networks}}'])).trim(), 'vc vnet');
    assert.equal((await docker(['inspect', '-f', '{{.Config.Hostname}} {{.HostConfig.NetworkMode}}', 'vc'])).trim(), 'vhost vnet');
    assert.match(await docker(['info']), version === '1.24' ? /Security Options:\n\s+seccomp\n/ : /Security Options:\n\s+seccomp\n\s+Profile: builtin/);
    assert.match(await docker(['images']), /busybox\s+latest/);
    assert.equal((await docker(['run', '--rm', 'busybox', 'echo', `ran at ${version}`])).trim(), `ran at ${version}`);
  }
});
