import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerInspectForVersion, diskUsageForVersion, infoForVersion } from './version-shapes.js';
import type * as Wire from '../types/index.js';

const inspect = (): Wire.ContainerInspect =>
  ({
    Id: 'abcdef0123456789'.padEnd(64, '0'),
    Config: { Hostname: 'h1' },
    HostConfig: {},
    NetworkSettings: { Networks: { bridge: { Aliases: null }, mynet: { Aliases: ['web'] } } },
  }) as unknown as Wire.ContainerInspect;

test('before 1.45 user-defined networks list the short ID and hostname as aliases; bridge does not', () => {
  const old = containerInspectForVersion(inspect(), '1.44');
  assert.deepEqual(old.NetworkSettings.Networks!.mynet!.Aliases, ['web', 'abcdef012345', 'h1']);
  assert.equal(old.NetworkSettings.Networks!.bridge!.Aliases, null);
  assert.deepEqual(containerInspectForVersion(inspect(), '1.45').NetworkSettings.Networks!.mynet!.Aliases, ['web']);
});

test('KernelMemory before 1.42 only', () => {
  assert.equal((containerInspectForVersion(inspect(), '1.41').HostConfig as Record<string, unknown>).KernelMemory, 0);
  assert.ok(!('KernelMemory' in containerInspectForVersion(inspect(), '1.42').HostConfig));
});

test('info: bare security option names and ExecutionDriver before 1.25; cluster fields before 1.42', () => {
  const info = { SecurityOptions: ['name=seccomp,profile=builtin', 'name=rootless'] } as Wire.SystemInfo;
  const v24 = infoForVersion(info, '1.24');
  assert.deepEqual(v24.SecurityOptions, ['seccomp', 'rootless']);
  assert.equal(v24.ExecutionDriver, '<not supported>');
  const v41 = infoForVersion(info, '1.41');
  assert.deepEqual(v41.SecurityOptions, info.SecurityOptions);
  assert.equal(v41.ClusterStore, '');
  assert.ok(!('ExecutionDriver' in v41));
  assert.ok(!('KernelMemory' in infoForVersion(info, '1.45')));
});

test('df build cache gets Parent before 1.42', () => {
  const df = {
    BuildCache: [
      { ID: 'a', Parents: ['p1'] },
      { ID: 'b', Parents: null },
    ],
  } as unknown as Wire.SystemDf;
  assert.deepEqual(
    diskUsageForVersion(df, '1.41').BuildCache!.map((b) => b.Parent),
    ['p1', ''],
  );
  assert.equal(diskUsageForVersion(df, '1.42'), df);
});
