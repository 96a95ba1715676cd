// berth network/volume commands against a scripted daemon: the real docker CLI 28 (when on the
// PATH) runs the same command lines against the same fake, and stdout, stderr, the exit code and
// the requests it sent (method, path, query, JSON body) must be equal. Without docker, the
// expectations written below (taken from docker 28) still run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { FakeDaemon, json, type FakeRequest } from '../../api/client/testing/fake-daemon.js';
import type { CliIo, CommandFn } from '../context.js';
import { runCommand } from '../run-command.js';
import * as net from './network.js';
import * as vol from './volume.js';

const NET = (name: string, id: string, extra: object = {}) => ({
  Name: name,
  Id: id,
  Created: '2024-05-02T11:00:00.5Z',
  Scope: 'local',
  Driver: 'bridge',
  EnableIPv4: true,
  EnableIPv6: false,
  IPAM: { Driver: 'default', Options: {}, Config: [] },
  Internal: false,
  Attachable: false,
  Ingress: false,
  ConfigFrom: { Network: '' },
  ConfigOnly: false,
  Containers: {},
  Options: {},
  Labels: {},
  ...extra,
});
const NETS = [
  NET('bridge', 'b7f5c2d9e1a34f60a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718', {
    Created: '2024-05-01T10:00:00.123456789Z',
    Options: { 'com.docker.network.bridge.default_bridge': 'true' },
  }),
  NET('mynet10', '0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9', {
    Created: '2024-05-02T11:00:00Z',
    EnableIPv6: true,
    Internal: true,
    Labels: { a: '1' },
  }),
  NET('mynet9', 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100'),
  NET('host', '1111111111112222222222223333333333334444444444445555555555556666', { Driver: 'host' }),
];
const VOLS = [
  { Name: 'v10', Driver: 'local', Labels: null, Options: null, Scope: 'local', Mountpoint: '/x/v10', CreatedAt: '2024-01-01T00:00:00Z' },
  {
    Name: 'V1',
    Driver: 'local',
    Labels: { k: 'v' },
    Options: null,
    Scope: 'local',
    Mountpoint: '/x/V1',
    CreatedAt: '2024-01-01T00:00:00Z',
    UsageData: { Size: 123456, RefCount: 2 },
  },
  { Name: 'v9', Driver: 'local', Labels: {}, Options: {}, Scope: 'local', Mountpoint: '/x/v9', CreatedAt: '2024-01-01T00:00:00Z' },
];

let d: FakeDaemon;
let pruneNone = false;
const hasDocker = (() => {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

before(async () => {
  d = new FakeDaemon();
  const ping = (_q: FakeRequest, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'Api-Version': '1.45', Ostype: 'linux', 'Content-Type': 'text/plain' });
    res.end('OK');
  };
  const none = (_q: FakeRequest, res: import('node:http').ServerResponse) => {
    res.writeHead(204);
    res.end();
  };
  d.on('GET /_ping', ping).on('HEAD /_ping', ping);
  d.on('GET /networks', (_q, res) => json(res, 200, NETS));
  for (const n of NETS) {
    d.on(`GET /networks/${n.Name}`, (_q, res) => json(res, 200, n)).on(`DELETE /networks/${n.Name}`, none);
    d.on(`POST /networks/${n.Name}/connect`, none).on(`POST /networks/${n.Name}/disconnect`, none);
  }
  const missing = (_q: FakeRequest, res: import('node:http').ServerResponse) => json(res, 404, { message: 'network nosuch not found' });
  d.on('GET /networks/nosuch', missing).on('DELETE /networks/nosuch', missing).on('POST /networks/nosuch/connect', missing);
  d.on('POST /networks/create', (_q, res) => json(res, 201, { Id: 'abcdef0123456789'.repeat(4), Warning: '' }));
  d.on('POST /networks/prune', (_q, res) => json(res, 200, { NetworksDeleted: pruneNone ? null : ['n1', 'n2'] }));
  d.on('GET /volumes', (_q, res) => json(res, 200, { Volumes: VOLS, Warnings: ['ignored by the CLI'] }));
  d.on('POST /volumes/create', (q, res) => json(res, 201, { ...VOLS[0], Name: JSON.parse(q.body).Name ?? 'anon' }));
  d.on('DELETE /volumes/v9', none);
  d.on('DELETE /volumes/nosuch', (_q, res) => json(res, 404, { message: 'get nosuch: no such volume' }));
  d.on('POST /volumes/prune', (_q, res) => json(res, 200, { VolumesDeleted: pruneNone ? null : ['a', 'b'], SpaceReclaimed: 123456 }));
  await d.start();
});
after(async () => {
  await d?.close();
});

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  requests: string[];
}
/** The requests after `from`; IPAM configs sorted by subnet (docker builds them from a Go map, in random order). */
const logged = (from: number) =>
  d.log
    .slice(from)
    .filter((r) => r.path !== '/_ping')
    .map((r) => {
      const body = r.body ? (JSON.parse(r.body) as { IPAM?: { Config?: { Subnet: string }[] } }) : undefined;
      body?.IPAM?.Config?.sort((a, b) => (a.Subnet < b.Subnet ? -1 : a.Subnet > b.Subnet ? 1 : 0));
      return `${r.method} ${r.path}?${r.query} ${body ? JSON.stringify(body) : ''}`;
    });

const FNS: Record<string, CommandFn> = {
  'network create': net.networkCreate,
  'network ls': net.networkLs,
  'network inspect': net.networkInspect,
  'network rm': net.networkRm,
  'network prune': net.networkPrune,
  'network connect': net.networkConnect,
  'network disconnect': net.networkDisconnect,
  'volume create': vol.volumeCreate,
  'volume ls': vol.volumeLs,
  'volume inspect': vol.volumeInspect,
  'volume rm': vol.volumeRm,
  'volume prune': vol.volumePrune,
};

async function berth(args: string[], input = ''): Promise<Outcome> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  stdin.end(input);
  const from = d.log.length;
  const name = `${args[0]} ${args[1]}`;
  const code = await runCommand(FNS[name]!, name, args.slice(2), d.host, { stdout, stderr, stdin } as CliIo, {});
  return { code, stdout: out, stderr: err.replace(/\bberth\b/g, 'docker'), requests: logged(from) };
}

function docker(args: string[], input = ''): Promise<Outcome> {
  return new Promise((resolve) => {
    const from = d.log.length;
    const p = spawn('docker', args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_HOST: d.host, DOCKER_CONFIG: '/nonexistent-berth-test' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err += c));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout: out, stderr: err, requests: logged(from) }));
    p.stdin.end(input);
  });
}

interface Case {
  args: string[];
  input?: string;
  expect?: Partial<Outcome>;
}
const CASES: Case[] = [
  {
    args: ['network', 'ls'],
    expect: {
      stdout:
        'NETWORK ID     NAME      DRIVER    SCOPE\nb7f5c2d9e1a3   bridge    bridge    local\n111111111111   host      host      local\nffeeddccbbaa   mynet9    bridge    local\n0a1b2c3d4e5f   mynet10   bridge    local\n',
    },
  },
  {
    args: ['network', 'ls', '--no-trunc', '-q', '-f', 'driver=bridge', '-f', 'Name= my '],
    expect: { requests: ['GET /networks?filters=%7B%22driver%22%3A%7B%22bridge%22%3Atrue%7D%2C%22name%22%3A%7B%22my%22%3Atrue%7D%7D '] },
  },
  { args: ['network', 'ls', '--format', '{{.ID}}|{{.IPv4}}|{{.IPv6}}|{{.Internal}}|{{.Labels}}|{{.Label "a"}}|{{.CreatedAt}}'] },
  {
    args: ['network', 'ls', '--format', 'table {{.Name}}\t{{.CreatedAt}}\t{{.Label "com.x-y_z"}}'],
    expect: {
      stdout:
        'NAME      CREATED AT                                x y z\nbridge    2024-05-01 10:00:00.123456789 +0000 UTC   \nhost      2024-05-02 11:00:00.5 +0000 UTC           \nmynet9    2024-05-02 11:00:00.5 +0000 UTC           \nmynet10   2024-05-02 11:00:00 +0000 UTC             \n',
    },
  },
  { args: ['network', 'ls', '--format', 'json'] },
  { args: ['network', 'ls', '-f', 'bad'] },
  { args: ['network', 'ls', 'x'] },
  { args: ['network', 'inspect', 'mynet10'] },
  { args: ['network', 'inspect', '-f', '{{.Name}} {{.Id}}', 'mynet9', 'nosuch', 'bridge'] },
  { args: ['network', 'inspect', '-v', 'nosuch'], expect: { code: 1, stdout: '[]\n', stderr: 'Error response from daemon: network nosuch not found\n' } },
  { args: ['network', 'inspect', '-f', 'json', 'mynet9', 'host'] },
  {
    args: ['network', 'rm', 'mynet9', 'nosuch', 'host'],
    expect: { code: 1, stdout: 'mynet9\nhost\n', stderr: 'Error response from daemon: network nosuch not found\nexit status 1\n' },
  },
  { args: ['network', 'rm', '-f', 'nosuch', 'mynet9'] },
  { args: ['network', 'rm'] },
  { args: ['network', 'prune', '-f', '--filter', 'until=10m', '--filter', 'label=a'], expect: { stdout: 'Deleted Networks:\nn1\nn2\n\n' } },
  {
    args: ['network', 'prune'],
    input: 'n\n',
    expect: {
      stdout: 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ',
      requests: [],
    },
  },
  { args: ['network', 'prune'], input: 'y\n' },
  {
    args: ['network', 'create', 'n1'],
    expect: {
      requests: [
        'POST /networks/create? {"Driver":"bridge","Scope":"","IPAM":{"Driver":"default","Options":{},"Config":[]},"Internal":false,"Attachable":false,"Ingress":false,"ConfigOnly":false,"ConfigFrom":null,"Options":{},"Labels":{},"Name":"n1"}',
      ],
    },
  },
  {
    args: [
      'network',
      'create',
      '--driver',
      'bridge',
      '--subnet',
      '10.1.0.0/16',
      '--gateway',
      '10.1.0.1',
      '--ip-range',
      '10.1.1.0/24',
      '--internal',
      '--label',
      'a=b',
      '--label',
      'c',
      '--opt',
      'x=y',
      '-o',
      'z',
      '--attachable',
      '--ipv6',
      'n2',
    ],
  },
  {
    args: [
      'network',
      'create',
      '--ipv4=false',
      '--ipv6=false',
      '--ipam-driver',
      'x',
      '--ipam-opt',
      'a=b',
      '--scope',
      'local',
      '--config-from',
      'n',
      '--config-only',
      'n3',
    ],
  },
  { args: ['network', 'create'] },
  { args: ['network', 'create', '--subnet', 'bad', 'n'] },
  { args: ['network', 'create', '--label', '=x', 'n'] },
  {
    args: ['network', 'create', '--gateway', '10.0.0.1', 'n'],
    expect: { code: 1, stderr: 'every ip-range or gateway must have a corresponding subnet\n', requests: [] },
  },
  { args: ['network', 'create', '--subnet', '10.0.0.0/8', '--subnet', '10.1.0.0/16', 'n'] },
  { args: ['network', 'create', '--subnet', '10.0.0.0/16', '--ip-range', '11.0.0.0/24', 'n'] },
  { args: ['network', 'create', '--subnet', '10.0.0.0/16', '--gateway', '10.0.0.1', '--gateway', '10.0.0.2', '--subnet', '10.2.0.0/16', 'n'] },
  { args: ['network', 'create', '--subnet', '10.0.0.0/16', '--gateway', 'bogus', 'n'] },
  { args: ['network', 'create', '--subnet', '10.0.0.0/16', '--ip-range', 'bogus/99', 'n'] },
  { args: ['network', 'create', '--subnet', 'bad', '--gateway', '10.0.0.1', 'n'], expect: { stderr: 'invalid subnet: invalid CIDR address: bad\n' } },
  { args: ['network', 'create', '--subnet', '10.0.0.0/16,10.9.0.0/16', '--aux-address', 'a=10.9.0.5', 'n'] },
  { args: ['network', 'create', '--subnet', 'fd00::/64', '--gateway', 'fd00::1', '--subnet', '10.0.0.0/8', '--gateway', '10.0.0.1', 'n6'] },
  { args: ['network', 'connect', 'mynet9', 'c1'] },
  {
    args: [
      'network',
      'connect',
      '--alias',
      'a1',
      '--alias',
      'a2,a3',
      '--ip',
      '10.0.0.5',
      '--ip6',
      '::5',
      '--link',
      'x:y',
      '--link-local-ip',
      '169.254.0.1',
      '--driver-opt',
      'k=v',
      '--gw-priority',
      '3',
      'mynet9',
      'c1',
    ],
  },
  { args: ['network', 'connect', '--driver-opt', 'bad', 'mynet9', 'c1'] },
  { args: ['network', 'connect', '--link', 'a:b:c', 'mynet9', 'c1'] },
  { args: ['network', 'connect', 'nosuch', 'c1'] },
  { args: ['network', 'connect', 'mynet9'] },
  { args: ['network', 'disconnect', '-f', 'mynet9', 'c1'], expect: { requests: ['POST /networks/mynet9/disconnect? {"Container":"c1","Force":true}'] } },
  { args: ['volume', 'ls'], expect: { stdout: 'DRIVER    VOLUME NAME\nlocal     V1\nlocal     v9\nlocal     v10\n' } },
  { args: ['volume', 'ls', '--format', 'json'] },
  { args: ['volume', 'ls', '--format', '{{.Name}} {{.Links}} {{.Size}} {{.Labels}}'] },
  { args: ['volume', 'create'] },
  { args: ['volume', 'create', '--label', 'a=b', '-o', 'x=y', '-o', 'z', '-d', 'dd', 'n'] },
  { args: ['volume', 'create', '--name', 'n2'] },
  { args: ['volume', 'rm', 'v9', 'nosuch'] },
  { args: ['volume', 'rm', '-f', 'v9'] },
  { args: ['volume', 'prune', '-af', '--filter', 'label=x'], expect: { stdout: 'Deleted Volumes:\na\nb\n\nTotal reclaimed space: 123.5kB\n' } },
  { args: ['volume', 'prune'], input: 'y\n' },
  { args: ['volume', 'prune', '-a'], input: 'no\n' },
];

for (const c of CASES) {
  test(`berth ${c.args.join(' ')}`, async () => {
    const b = await berth(c.args, c.input);
    if (c.expect) for (const [k, v] of Object.entries(c.expect)) assert.deepEqual(b[k as keyof Outcome], v, k);
    if (hasDocker) assert.deepEqual(b, await docker(c.args, c.input));
  });
}

test('prune with nothing deleted: networks print nothing, volumes the total', async () => {
  pruneNone = true;
  try {
    for (const args of [
      ['network', 'prune', '-f'],
      ['volume', 'prune', '-f'],
    ]) {
      const b = await berth(args);
      assert.equal(b.stdout, args[0] === 'network' ? '' : 'Total reclaimed space: 0B\n');
      if (hasDocker) assert.deepEqual(b, await docker(args));
    }
  } finally {
    pruneNone = false;
  }
});
