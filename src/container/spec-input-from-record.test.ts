import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSecurityOptions, namespaceDonors, securityOptions, specInputFor } from './spec-input-from-record.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerPaths } from './paths.js';

function rec(id: string, host: Partial<ContainerRecord['host']>, state: Partial<ContainerRecord['state']> = {}): ContainerRecord {
  return {
    id,
    name: id,
    host: { ipcMode: '', pidMode: '', networkMode: 'default', groupAdd: [], capAdd: [], capDrop: [], securityOpt: [], sysctls: {}, ulimits: [], ...host },
    config: { entrypoint: [], cmd: ['true'], env: [], workingDir: '', user: '', tty: false, hostname: id, domainname: '' },
    state: { status: 'running', pid: 0, ...state },
  } as unknown as ContainerRecord;
}

const paths = {
  rootfs: (id: string) => `/r/${id}`,
  hostname: (id: string) => `/h/${id}`,
  hosts: (id: string) => `/hs/${id}`,
  resolvConf: (id: string) => `/rc/${id}`,
} as unknown as ContainerPaths;
const ctx = { paths, initPath: '/init', cgroupParent: '/berth' };

test('container:<x> IPC and PID modes join a running donor, with dockerd checks', () => {
  const donors = new Map([
    ['shared', rec('shared', { ipcMode: 'shareable' }, { pid: 41 })],
    ['private', rec('private', { ipcMode: 'private' }, { pid: 42 })],
    ['stopped', rec('stopped', { ipcMode: 'shareable' }, { status: 'exited', pid: 0 })],
  ]);
  const lookup = (ref: string) => {
    const r = donors.get(ref);
    if (!r) throw new Error(`No such container: ${ref}`);
    return r;
  };
  const joiner = rec('j', { ipcMode: 'container:shared', pidMode: 'container:private' });
  const found = namespaceDonors(joiner, lookup);
  assert.deepEqual(found, { ipc: { pid: 41, hostIpc: false }, pid: { pid: 42 } });
  const input = specInputFor(joiner, ctx, [], 'new', found);
  assert.deepEqual(input.ipcMode, { path: '/proc/41/ns/ipc' });
  assert.deepEqual(input.pidMode, { path: '/proc/42/ns/pid' });
  assert.throws(
    () => namespaceDonors(rec('j', { ipcMode: 'container:private' }), lookup),
    /non-shareable IPC \(hint: use IpcMode:shareable for the donor container\)/,
  );
  assert.throws(() => namespaceDonors(rec('j', { pidMode: 'container:stopped' }), lookup), /cannot join PID of a non running container: stopped/);
  assert.throws(() => namespaceDonors(rec('j', { ipcMode: 'container:nosuch' }), lookup), /cannot join IPC of a non running container: nosuch/);
  // Without donors, the modes are as before.
  assert.equal(specInputFor(rec('k', { ipcMode: 'shareable' }), ctx, [], 'new').ipcMode, 'private');
});

test("SecurityOpt as dockerd's parseSecurityOpt reads it, over the daemon's no-new-privileges default", () => {
  const json = '{"defaultAction":"SCMP_ACT_ALLOW"}';
  assert.deepEqual(securityOptions(['no-new-privileges', `seccomp=${json}`, 'apparmor=p', 'label=disable']), {
    noNewPrivileges: true,
    seccomp: { profileJson: json },
    apparmorProfile: 'p',
  });
  assert.deepEqual(securityOptions(['seccomp=unconfined']), { seccomp: 'unconfined' });
  assert.deepEqual(securityOptions(['seccomp:builtin']), { seccomp: 'default' });
  assert.deepEqual(securityOptions([], { noNewPrivileges: true }), { noNewPrivileges: true });
  assert.deepEqual(securityOptions(['no-new-privileges=false'], { noNewPrivileges: true }), { noNewPrivileges: false });
  assert.throws(() => securityOptions(['bogus']), /invalid --security-opt 1: "bogus"/);
  assert.throws(() => securityOptions(['what=ever']), /invalid --security-opt 2: "what=ever"/);
  assert.throws(() => securityOptions(['no-new-privileges=maybe']), /invalid --security-opt 2/);
  assert.throws(() => securityOptions(['seccomp=/a/path.json']), /Decoding seccomp profile failed/);
  assert.throws(() => checkSecurityOptions(['apparmor=p'], false), /AppArmor is not enabled on this host/);
  checkSecurityOptions(['apparmor=unconfined'], false);
  checkSecurityOptions(['apparmor=p'], true);
  const input = specInputFor(rec('n', {}), { ...ctx, noNewPrivileges: true }, [], 'new');
  assert.equal(input.noNewPrivileges, true);
});
