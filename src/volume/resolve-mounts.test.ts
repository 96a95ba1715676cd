import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostMount, resolveMounts, sortByDepth, type ResolveEnv } from './resolve-mounts.js';
import { mergeTmpfsOptions, parseBind, tmpfsData } from './mount-parse.js';
import type { MountPoint, MountsInput } from './mount-point.js';

function env(over: Partial<ResolveEnv> = {}): ResolveEnv {
  let n = 0;
  return {
    lookupContainer: () => undefined,
    bindSourceExists: (p) => p.startsWith('/exists'),
    volumePath: (name) => `/vols/${name}/_data`,
    randomName: () => `anon${++n}`,
    ...over,
  };
}
const input = (i: Partial<MountsInput>): MountsInput => ({ binds: [], mounts: [], tmpfs: {}, volumesFrom: [], imageVolumes: [], ...i });
const resolve = (i: Partial<MountsInput>, e?: Partial<ResolveEnv>) => resolveMounts(input(i), env(e));
const wire = (mps: MountPoint[]) =>
  mps.map((m) => ({ type: m.type, name: m.name, source: m.source, destination: m.destination, mode: m.mode, rw: m.rw, propagation: m.propagation }));

test('-v forms: named volume, anonymous, bind with modes', () => {
  const mps = resolve({ binds: ['data:/var/lib/x', '/host/dir:/src:ro', '/h2:/p:rshared', 'd2:/n:nocopy'] });
  assert.deepEqual(wire(mps), [
    { type: 'volume', name: 'data', source: '/vols/data/_data', destination: '/var/lib/x', mode: 'z', rw: true, propagation: '' },
    { type: 'bind', name: undefined, source: '/host/dir', destination: '/src', mode: 'ro', rw: false, propagation: 'rprivate' },
    { type: 'bind', name: undefined, source: '/h2', destination: '/p', mode: 'rshared', rw: true, propagation: 'rshared' },
    { type: 'volume', name: 'd2', source: '/vols/d2/_data', destination: '/n', mode: 'nocopy', rw: true, propagation: '' },
  ]);
  assert.equal(mps[0]!.copyData, true);
  assert.equal(mps[3]!.copyData, false);
  assert.equal(mps[1]!.createSource, true, '-v creates a missing host dir');
});

test('anonymous volumes: -v /path in Binds and image VOLUMEs are labelled anonymous', () => {
  const mps = resolve({ binds: ['/only'], imageVolumes: ['/data', '/only', '/var/log/'] });
  assert.deepEqual(
    mps.map((m) => [m.destination, m.name, m.anonymous, m.mode]),
    [
      ['/only', 'anon1', true, 'z'],
      ['/data', 'anon2', true, ''],
      ['/var/log', 'anon3', true, ''],
    ],
  );
  assert.deepEqual(mps[1]!.create?.labels, { 'com.docker.volume.anonymous': '' });
});

test('image volumes are skipped where something else is mounted (incl. --tmpfs)', () => {
  const mps = resolve({ binds: ['v1:/data'], tmpfs: { '/run': 'size=64m' }, imageVolumes: ['/data', '/run'] });
  assert.deepEqual(
    mps.map((m) => [m.type, m.destination, !!m.hidden]),
    [
      ['volume', '/data', false],
      ['tmpfs', '/run', true],
    ],
  );
});

test('--mount forms', () => {
  const mps = resolve({
    mounts: [
      { type: 'bind', source: '/exists/a', target: '/a', readOnly: true },
      {
        type: 'volume',
        source: 'data',
        target: '/d',
        volumeOptions: { noCopy: true, driverConfig: { options: { type: 'tmpfs', device: 'tmpfs' } }, labels: { a: 'b' } },
      },
      { type: 'tmpfs', target: '/t', tmpfsOptions: { sizeBytes: 64 * 1024 * 1024, mode: 0o1777 } },
      { type: 'volume', target: '/anon' },
    ],
  });
  assert.deepEqual(wire(mps), [
    { type: 'bind', name: undefined, source: '/exists/a', destination: '/a', mode: '', rw: false, propagation: 'rprivate' },
    { type: 'volume', name: 'data', source: '/vols/data/_data', destination: '/d', mode: 'z', rw: true, propagation: '' },
    { type: 'tmpfs', name: undefined, source: '', destination: '/t', mode: '', rw: true, propagation: '' },
    { type: 'volume', name: 'anon1', source: '/vols/anon1/_data', destination: '/anon', mode: 'z', rw: true, propagation: '' },
  ]);
  assert.equal(mps[0]!.createSource, false);
  assert.equal(mps[1]!.copyData, false);
  assert.deepEqual(mps[1]!.create, { options: { type: 'tmpfs', device: 'tmpfs' }, labels: { a: 'b' } });
  assert.equal(mps[2]!.tmpfsData, 'mode=1777,size=64m');
  assert.equal(mps[3]!.anonymous, true);
});

test('errors with Docker texts', () => {
  const cases: [Partial<MountsInput>, string][] = [
    [{ mounts: [{ type: 'bind', source: '/x', target: '/d' }] }, 'invalid mount config for type "bind": bind source path does not exist: /x'],
    [{ mounts: [{ type: 'bind', source: '', target: '/d' }] }, 'invalid mount config for type "bind": field Source must not be empty'],
    [
      { mounts: [{ type: 'bind', source: '/exists', target: 'rel' }] },
      `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`,
    ],
    [{ mounts: [{ type: 'volume', target: '/' }] }, `invalid mount config for type "volume": invalid specification: destination can't be '/'`],
    [
      { mounts: [{ type: 'volume', target: '/d', readOnly: true }] },
      'invalid mount config for type "volume": must not set ReadOnly mode when using anonymous volumes',
    ],
    [{ mounts: [{ type: 'tmpfs', source: 'x', target: '/d' }] }, 'invalid mount config for type "tmpfs": field Source must not be specified'],
    [
      { mounts: [{ type: 'volume', source: 'vv', target: '/d', bindOptions: {} }] },
      'invalid mount config for type "volume": field BindOptions must not be specified',
    ],
    [
      { mounts: [{ type: 'bind', source: '/exists', target: '/d', bindOptions: { propagation: 'weird' } }] },
      'invalid mount config for type "bind": invalid propagation mode: weird',
    ],
    [{ mounts: [{ type: 'npipe' as 'bind', source: '/exists', target: '/d' }] }, 'invalid mount config for type "npipe": mount type unknown'],
    [{ binds: ['/a:/x', 'vv:/x'] }, 'Duplicate mount point: /x'],
    [{ binds: ['/a:/x/'], tmpfs: { '/x': '' } }, 'Duplicate mount point: /x'],
    [{ binds: ['/a:/x'], mounts: [{ type: 'tmpfs', target: '/x' }] }, 'Duplicate mount point: /x'],
    [
      {
        mounts: [
          { type: 'tmpfs', target: '/x' },
          { type: 'tmpfs', target: '/x/' },
        ],
      },
      'Duplicate mount point: /x/',
    ],
    [
      { binds: ['/a:rel'] },
      `invalid volume specification: '/a:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`,
    ],
    [{ binds: ['/a:/b:c:d'] }, `invalid volume specification: '/a:/b:c:d'`],
    [{ binds: ['/foo:rw'] }, `invalid volume specification: '/foo:rw'`],
    [{ binds: ['/a:/b:xx'] }, 'invalid mode: xx'],
    [{ binds: ['/a:/b:ro,rw'] }, 'invalid mode: ro,rw'],
    [{ binds: [':/b'] }, `invalid volume specification: ':/b'`],
    [
      { binds: ['x/y:/d'] },
      `create x/y: "x/y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    ],
    [{ binds: ['a:/d'] }, 'create a: volume name is too short, names should be at least two alphanumeric characters'],
    [
      { binds: ['/a:/b:nocopy'] },
      `invalid volume specification: '/a:/b:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`,
    ],
    [
      { binds: ['vv:/b:rshared'] },
      `invalid volume specification: 'vv:/b:rshared': invalid mount config for type "volume": field BindOptions must not be specified`,
    ],
    [{ tmpfs: { rel: '' } }, `invalid mount path: 'rel' mount path must be absolute`],
    [
      { imageVolumes: ['rel'] },
      `invalid volume specification: 'rel': invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`,
    ],
    [{ volumesFrom: ['gone'] }, 'No such container: gone'],
    [{ volumesFrom: ['c:rshared'] }, 'invalid mode: rshared'],
    [{ volumesFrom: ['c:nocopy'] }, 'invalid mode: nocopy'],
    [
      { mounts: [{ type: 'volume', source: 'vv', target: '/d', volumeOptions: { driverConfig: { name: 'nfs' } } }] },
      'error looking up volume plugin nfs: plugin "nfs" not found',
    ],
    [
      { mounts: [{ type: 'volume', source: 'vv', target: '/d', volumeOptions: { subpath: '../x' } }] },
      'invalid mount config for type "volume": subpath must be a relative path within the volume',
    ],
  ];
  for (const [i, msg] of cases) {
    assert.throws(
      () => resolve(i, { lookupContainer: (r) => (r === 'c' ? { id: 'c1', mountPoints: [] } : undefined) }),
      (e: Error) => {
        assert.equal(e.message, msg, JSON.stringify(i));
        assert.equal((e as { kind?: string }).kind, msg.startsWith('No such') || msg.startsWith('error looking') ? 'not-found' : 'invalid-argument');
        return true;
      },
    );
  }
});

test('--volumes-from copies mount points, ro when asked; -v overrides one', () => {
  const other: MountPoint[] = [
    {
      type: 'volume',
      destination: '/d',
      source: '/vols/v/_data',
      name: 'v',
      driver: 'local',
      mode: 'z',
      rw: true,
      propagation: '',
      copyData: true,
      create: { options: null, labels: null },
    },
    { type: 'bind', destination: '/b', source: '/h', mode: '', rw: true, propagation: 'rprivate', copyData: false },
    { type: 'tmpfs', destination: '/t', source: '', mode: '', rw: true, propagation: '', copyData: false, hidden: true },
  ];
  const lookupContainer = (r: string) => (r === 'other' ? { id: 'abc', mountPoints: other } : undefined);
  const mps = resolve({ volumesFrom: ['other:ro'], binds: ['/x:/b'] }, { lookupContainer });
  assert.deepEqual(
    mps.map((m) => [m.type, m.destination, m.rw, m.copyData, m.fromContainer, m.source]),
    [
      ['volume', '/d', false, false, 'abc', '/vols/v/_data'],
      ['bind', '/b', true, false, undefined, '/x'],
    ],
  );
  assert.equal(resolve({ volumesFrom: ['other'] }, { lookupContainer })[0]!.rw, true);
});

test('runtime mounts: bind/volume/tmpfs options and depth order', () => {
  const mps = resolve({
    binds: ['/h:/a/b/c:ro', 'vol:/a'],
    mounts: [{ type: 'bind', source: '/exists', target: '/n', bindOptions: { nonRecursive: true } }],
    tmpfs: { '/run': 'size=64m,exec' },
  });
  const hm = sortByDepth(mps.map((m) => hostMount(m)));
  assert.deepEqual(hm, [
    { destination: '/a', type: 'bind', source: '/vols/vol/_data', options: ['rbind', 'rw', 'rprivate'] },
    { destination: '/n', type: 'bind', source: '/exists', options: ['bind', 'rw', 'rprivate'] },
    { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'rprivate', 'size=64m', 'exec'] },
    { destination: '/a/b/c', type: 'bind', source: '/h', options: ['rbind', 'ro', 'rprivate'] },
  ]);
  const ro = resolve({ mounts: [{ type: 'tmpfs', target: '/t', readOnly: true }] });
  assert.deepEqual(hostMount(ro[0]!).options, ['noexec', 'nosuid', 'nodev', 'rprivate', 'ro']);
});

test('tmpfs option helpers', () => {
  assert.deepEqual(mergeTmpfsOptions('size=1m,size=2m,mode=700,suid,rshared'), ['noexec', 'nodev', 'size=2m', 'mode=700', 'suid', 'rshared']);
  assert.equal(tmpfsData({ type: 'tmpfs', target: '/t', tmpfsOptions: { sizeBytes: 1000 } }), 'size=1000');
  assert.equal(tmpfsData({ type: 'tmpfs', target: '/t', tmpfsOptions: { sizeBytes: 3 * 1024, options: [['exec']] } }), 'size=3k,exec');
  assert.equal(parseBind('/a:/b:ro,rslave,z').mode, 'ro,rslave,z');
});
