import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { detectCgroupLayout, findRuntime, prepareHost } from './host-setup.js';

test('detectCgroupLayout matches /proc/self/mountinfo', async () => {
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  const rootIsV2 = / \/sys\/fs\/cgroup [^-]*- cgroup2 /.test(mounts);
  const anyV2 = / - cgroup2 /.test(mounts);
  assert.equal(await detectCgroupLayout(), rootIsV2 ? 'v2' : anyV2 ? 'v1-hybrid' : 'v1');
});

test('prepareHost is idempotent and leaves a v1 hugetlb hierarchy on a hybrid host', async () => {
  const first = await prepareHost();
  const second = await prepareHost();
  assert.equal(second.mountedHugetlb, false); // nothing left to do the second time
  assert.equal(second.layout, first.layout);
  if (first.layout === 'v1-hybrid') {
    const mounts = await readFile('/proc/self/mountinfo', 'utf8');
    assert.match(mounts, / - cgroup cgroup \S*hugetlb/);
  }
});

test('findRuntime finds crun and runc, and explains a missing one', async () => {
  assert.match(await findRuntime(), /\/crun$/);
  assert.match(await findRuntime('runc'), /\/runc$/);
  await assert.rejects(findRuntime('nope' as 'crun', { PATH: '/nonexistent' }), { kind: 'unavailable', message: /"nope" not found/ });
});
