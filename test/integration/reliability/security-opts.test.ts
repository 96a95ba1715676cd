// --security-opt and the daemon's security defaults on a real berthd and crun: a Docker-format
// seccomp profile file (the CLI sends its JSON, as docker's does) is enforced, `unconfined` turns
// the filter off, a bad profile is refused before anything is made; `apparmor=NAME` is refused on
// a host without AppArmor (unconfined passes); berthd --no-new-privileges sets no_new_privs for
// every container and RUN step unless a container says no-new-privileges=false.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { makeContext } from '../../support/context-dir.js';

const skip = requiresRoot('real crun and seccomp');
let d: TestDaemon;
let profile: string;
const hostHasAppArmor = existsSync('/sys/module/apparmor');

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start(['--no-new-privileges']);
  await d.importBusybox();
  profile = join(d.dir, 'no-mkdir.json');
  const denyMkdir = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] };
  await writeFile(profile, `${JSON.stringify(denyMkdir, null, 2)}\n`);
});
after(async () => {
  if (d) await d.stop();
});

const status = (flags: string[]) => d.berth(['run', '--rm', ...flags, 'busybox', 'grep', '-E', '^(NoNewPrivs|Seccomp):', '/proc/self/status']);

test('seccomp=FILE: the profile is enforced (berth and docker CLIs); unconfined turns filtering off', { skip }, async () => {
  for (const cli of ['berth', 'docker'] as const) {
    const r = await d[cli](['run', '--rm', '--security-opt', `seccomp=${profile}`, 'busybox', 'sh', '-c', 'mkdir /made; echo rc=$?']);
    assert.match(r.stdout + r.stderr, /Operation not permitted/, cli);
    assert.match(r.stdout, /rc=1/, cli);
  }
  // without the profile the same mkdir works: the refusal above is the profile's
  assert.match(expectOk(await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'mkdir /made; echo rc=$?'])).stdout, /rc=0/);
  assert.match(expectOk(await status(['--security-opt', 'seccomp=unconfined'])).stdout, /Seccomp:\s+0/);
  assert.match(expectOk(await status([])).stdout, /Seccomp:\s+2/);
  // the container keeps the profile's JSON, as dockerd does
  expectOk(await d.berth(['create', '--name', 'sec-kept', '--security-opt', `seccomp=${profile}`, 'busybox', 'true']));
  const opt = expectOk(await d.berth(['inspect', '-f', '{{json .HostConfig.SecurityOpt}}', 'sec-kept'])).stdout;
  assert.match(opt, /SCMP_ACT_ERRNO/);
  expectOk(await d.berth(['rm', 'sec-kept']));
});

test('a missing or broken seccomp profile is refused before a container is made', { skip }, async () => {
  const missing = await d.berth(['run', '--rm', '--security-opt', `seccomp=${join(d.dir, 'none.json')}`, 'busybox', 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /opening seccomp profile \(.*none\.json\) failed: open .*: no such file or directory/);
  const broken = join(d.dir, 'broken.json');
  await writeFile(broken, '{bad');
  const b = await d.berth(['run', '--rm', '--security-opt', `seccomp=${broken}`, 'busybox', 'true']);
  assert.equal(b.code, 125);
  assert.match(b.stderr, /compacting json for seccomp profile/);
  const api = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { SecurityOpt: ['seccomp={"syscalls":[]}'] } });
  assert.equal(api.status, 400);
  assert.match(api.json.message, /Decoding seccomp profile failed: missing defaultAction/);
  const bad = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { SecurityOpt: ['nonsense'] } });
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /invalid --security-opt 1: "nonsense"/);
  const ps = expectOk(await d.berth(['ps', '-aq']));
  assert.equal(ps.stdout.trim(), '');
});

test('apparmor=NAME: refused with a clear error where the kernel has no AppArmor; unconfined runs', {
  skip: skip || (hostHasAppArmor && 'this host has AppArmor'),
}, async () => {
  const r = await d.berth(['run', '--rm', '--security-opt', 'apparmor=berth-test-profile', 'busybox', 'true']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /AppArmor profile "berth-test-profile" requested, but AppArmor is not enabled on this host/);
  const viaDocker = await d.docker(['run', '--rm', '--security-opt', 'apparmor=berth-test-profile', 'busybox', 'true']);
  assert.notEqual(viaDocker.code, 0);
  assert.match(viaDocker.stderr, /AppArmor is not enabled/);
  assert.equal(expectOk(await d.berth(['run', '--rm', '--security-opt', 'apparmor=unconfined', 'busybox', 'echo', 'ok'])).stdout.trim(), 'ok');
});

test('berthd --no-new-privileges: containers and RUN steps get no_new_privs; no-new-privileges=false opts out; info lists it', { skip }, async () => {
  assert.match(expectOk(await status([])).stdout, /NoNewPrivs:\s+1/);
  assert.match(expectOk(await status(['--security-opt', 'no-new-privileges=false'])).stdout, /NoNewPrivs:\s+0/);
  const info = expectOk(await d.docker(['info', '--format', '{{json .SecurityOptions}}'])).stdout;
  assert.match(info, /name=no-new-privileges/);
  assert.match(info, /name=seccomp,profile=builtin/);
  const ctx = await makeContext(d.dir, { Dockerfile: 'FROM busybox\nRUN grep NoNewPrivs /proc/self/status > /nnp\n' });
  expectOk(await d.berth(['build', '-q', '-t', 'nnp-build', ctx], { timeoutMs: 120_000 }));
  assert.match(expectOk(await d.berth(['run', '--rm', 'nnp-build', 'cat', '/nnp'])).stdout, /NoNewPrivs:\s+1/);
});
