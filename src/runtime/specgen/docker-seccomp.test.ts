import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerDefaultSeccomp } from './docker-seccomp.js';
import { convertSeccompProfile, type SeccompProfile } from './seccomp.js';

const base: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  syscalls: [
    { names: ['read', 'clone', 'keyctl', 'unshare', 'mount', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['setns', 'bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
  ],
};
const rules = (caps: string[]) => convertSeccompProfile(dockerDefaultSeccomp(base), { arch: 'amd64', capabilities: caps, kernel: '6.1.0' }).syscalls;
const allowed = (caps: string[], name: string) => rules(caps).filter((r) => r.names.includes(name));

test("Docker's default: namespace and mount syscalls need CAP_SYS_ADMIN, the keyring is refused, plain clone stays", () => {
  const none = rules([]);
  assert.ok(none.some((r) => r.names.includes('read') && r.action === 'SCMP_ACT_ALLOW'));
  assert.deepEqual(
    allowed([], 'unshare').map((r) => [r.action, r.errnoRet]),
    [['SCMP_ACT_ERRNO', 1]],
  );
  assert.deepEqual(
    allowed([], 'keyctl').map((r) => [r.action, r.errnoRet]),
    [['SCMP_ACT_ERRNO', 1]],
  );
  assert.deepEqual(
    allowed([], 'clone').map((r) => [r.action, r.args?.[0]?.op, r.args?.[0]?.value]),
    [['SCMP_ACT_ALLOW', 'SCMP_CMP_MASKED_EQ', 0x7e020000]],
  );
  assert.deepEqual(
    allowed([], 'clone3').map((r) => [r.action, r.errnoRet]),
    [['SCMP_ACT_ERRNO', 38]],
  );
  assert.equal(allowed([], 'bpf').length, 0); // the base's own cap rule: left to the default action
  const admin = rules(['CAP_SYS_ADMIN']);
  for (const n of ['unshare', 'mount', 'setns', 'clone', 'clone3'])
    assert.deepEqual(
      admin.filter((r) => r.names.includes(n)).map((r) => r.action),
      ['SCMP_ACT_ALLOW'],
      n,
    );
  assert.deepEqual(
    admin.filter((r) => r.names.includes('keyctl')).map((r) => r.action),
    ['SCMP_ACT_ERRNO'],
  );
});
