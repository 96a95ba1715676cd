// berthd --userns-remap on a real berthd and crun, as dockerd's: container root is the first id of
// dockremap's /etc/subuid and /etc/subgid ranges on the host (root inside), the store lives in
// <data-root>/<uid>.<gid>/ (switching remap off and on keeps two stores), images unpack with the
// mapped owners (import, load, pull, build), and what leaves the store (save, push, export, cp,
// commit) carries container ids again. --userns=host opts out; --privileged needs it. Root in the
// container cannot write a host root's file through a bind mount.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, readdir, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BERTH, TestDaemon, expectOk, run } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { makeContext } from '../../support/context-dir.js';
import { BerthRegistry } from '../registry/berth-registry.js';

const skip = requiresRoot('real crun, overlayfs, useradd');
let d: TestDaemon;
let tree: string;
let rootUid: number;
let rootGid: number;

/** The host range dockremap's container root maps to, from the files berthd read. */
async function firstSubId(file: string): Promise<number> {
  const line = (await readFile(file, 'utf8')).split('\n').find((l) => l.startsWith('dockremap:'));
  assert.ok(line, `dockremap has a range in ${file}`);
  return Number(line.split(':')[1]);
}

/** A daemon whose temp dir the remapped root may pass (mkdtemp makes it 0700: berthd refuses that, as dockerd). */
async function remapDaemon(): Promise<TestDaemon> {
  const t = await TestDaemon.create();
  await chmod(t.dir, 0o711);
  return t;
}

before(async () => {
  if (skip) return;
  d = await remapDaemon();
  await d.start(['--userns-remap', 'default']);
  rootUid = await firstSubId('/etc/subuid');
  rootGid = await firstSubId('/etc/subgid');
  tree = join(d.dataRoot, `${rootUid}.${rootGid}`);
  await d.importBusybox();
});
after(async () => {
  if (d) await d.stop();
});

test('the store lives in <data-root>/<uid>.<gid>, root:<gid> 0710; info lists name=userns and that root', { skip }, async () => {
  const st = await stat(tree);
  assert.equal(st.mode & 0o777, 0o710);
  assert.equal(st.uid, 0);
  assert.equal(st.gid, rootGid);
  assert.deepEqual(
    (await readdir(d.dataRoot)).filter((n) => /^\d+\.\d+$/.test(n)),
    [`${rootUid}.${rootGid}`],
  );
  const info = JSON.parse(expectOk(await d.docker(['info', '--format', '{{json .}}'])).stdout);
  assert.ok(info.SecurityOptions.includes('name=userns'), info.SecurityOptions.join(' '));
  assert.equal(info.DockerRootDir, tree);
  // imported files carry the mapped owners on the host
  const layers = join(tree, 'overlay', 'layers');
  const [one] = await readdir(layers);
  const passwd = await stat(join(layers, one!, 'diff', 'etc', 'passwd'));
  assert.deepEqual([passwd.uid, passwd.gid], [rootUid, rootGid]);
});

test('run, exec, logs: root inside, the mapped uid on the host', { skip }, async () => {
  const inside = expectOk(await d.berth(['run', '--rm', 'busybox', 'sh', '-c', 'id -u; id -g; cat /proc/self/uid_map']));
  const [uid, gid, map] = inside.stdout.split('\n');
  assert.equal(uid, '0');
  assert.equal(gid, '0');
  assert.deepEqual(map!.trim().split(/\s+/), ['0', String(rootUid), '65536']);
  expectOk(await d.berth(['run', '-d', '--name', 'sleeper', 'busybox', 'sh', '-c', 'echo started; exec sleep 600']));
  const pid = expectOk(await d.berth(['inspect', '-f', '{{.State.Pid}}', 'sleeper'])).stdout.trim();
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  assert.match(status, new RegExp(`^Uid:\\s+${rootUid}\\s+${rootUid}\\s+${rootUid}\\s+${rootUid}$`, 'm'));
  assert.match(status, new RegExp(`^Gid:\\s+${rootGid}\\s`, 'm'));
  assert.equal(expectOk(await d.docker(['exec', 'sleeper', 'id', '-u'])).stdout.trim(), '0');
  const execPid = expectOk(await d.berth(['exec', 'sleeper', 'sh', '-c', 'cat /proc/self/status'])).stdout;
  assert.match(execPid, /^Uid:\s+0\s+0\s+0\s+0$/m); // as seen inside
  assert.match(expectOk(await d.berth(['logs', 'sleeper'])).stdout, /started/);
  expectOk(await d.berth(['rm', '-f', 'sleeper']));
});

test("another container's PID, IPC and network namespaces can be shared under remap", { skip }, async () => {
  expectOk(await d.berth(['run', '-d', '--name', 'donor', '--ipc', 'shareable', 'busybox', 'sleep', '600']));
  assert.match(expectOk(await d.berth(['run', '--rm', '--pid', 'container:donor', 'busybox', 'ps'])).stdout, /sleep 600/);
  expectOk(await d.berth(['run', '--rm', '--ipc', 'container:donor', 'busybox', 'true']));
  expectOk(await d.berth(['run', '--rm', '--network', 'container:donor', 'busybox', 'true']));
  expectOk(await d.berth(['rm', '-f', 'donor']));
});

test('named volumes and new bind sources belong to the remapped root; files made inside carry the mapped id', { skip }, async () => {
  const bindDir = join(d.dir, 'made-by-berthd', 'sub');
  expectOk(
    await d.berth([
      'run',
      '--rm',
      '-v',
      'uvol:/data',
      '-v',
      `${bindDir}:/b`,
      'busybox',
      'sh',
      '-c',
      'echo v > /data/f && echo b > /b/f && mkdir /data/dir && ls -ln /data/f',
    ]),
  );
  const mountpoint = expectOk(await d.berth(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'uvol'])).stdout.trim();
  assert.ok(mountpoint.startsWith(tree), mountpoint);
  for (const p of [mountpoint, join(mountpoint, 'f'), join(mountpoint, 'dir'), bindDir, join(bindDir, 'f')]) {
    const st = await stat(p);
    assert.deepEqual([st.uid, st.gid], [rootUid, rootGid], p);
  }
  // inside, the same files are root's
  const ls = expectOk(await d.berth(['run', '--rm', '-v', 'uvol:/data', 'busybox', 'stat', '-c', '%u:%g', '/data/f'])).stdout.trim();
  assert.equal(ls, '0:0');
});

test('cp in and out, commit, save and load, export: archives carry container ids', { skip }, async () => {
  expectOk(await d.berth(['create', '--name', 'cpbox', 'busybox', 'true']));
  const src = join(d.dir, 'cp-in.txt');
  await writeFile(src, 'copied\n');
  expectOk(await d.berth(['cp', src, 'cpbox:/tmp/']));
  const out = await run('sh', ['-c', `${process.execPath} ${BERTH} cp cpbox:/tmp/cp-in.txt - | tar -tvf -`], {
    env: { ...process.env, DOCKER_HOST: d.host },
  });
  assert.match(expectOk(out).stdout, /^-rw-r--r-- 0\/0 /m);
  expectOk(await d.berth(['commit', 'cpbox', 'committed:1']));
  assert.equal(expectOk(await d.berth(['run', '--rm', 'committed:1', 'stat', '-c', '%u:%g %n', '/tmp/cp-in.txt'])).stdout.trim(), '0:0 /tmp/cp-in.txt');
  const exported = await run('sh', ['-c', `${process.execPath} ${BERTH} export cpbox | tar -tvf - tmp/cp-in.txt etc/passwd`], {
    env: { ...process.env, DOCKER_HOST: d.host },
  });
  for (const line of expectOk(exported).stdout.trim().split('\n')) assert.match(line, / 0\/0 /);
  const archive = join(d.dir, 'committed.tar');
  expectOk(await d.berth(['save', '-o', archive, 'committed:1']));
  // every layer in the archive names container ids (root), never the host's 100000+
  const listing = expectOk(
    await run('sh', [
      '-c',
      `cd ${d.dir} && mkdir -p saved && tar -xf ${archive} -C saved && for b in saved/blobs/sha256/*; do tar -tvf $b 2>/dev/null; done; true`,
    ]),
  );
  assert.ok(listing.stdout.includes('etc/passwd'));
  assert.doesNotMatch(listing.stdout, new RegExp(` ${rootUid}/`));
  expectOk(await d.berth(['rm', 'cpbox']));
  expectOk(await d.berth(['rmi', 'committed:1']));
  expectOk(await d.berth(['load', '-i', archive]));
  assert.equal(expectOk(await d.berth(['run', '--rm', 'committed:1', 'cat', '/tmp/cp-in.txt'])).stdout, 'copied\n');
  assert.match(expectOk(await d.berth(['system', 'check', '--full'], { timeoutMs: 120_000 })).stdout, /No damage found/);
});

test('build with RUN, COPY --chown and WORKDIR under remap', { skip }, async () => {
  const ctx = await makeContext(d.dir, {
    Dockerfile:
      'FROM busybox\nRUN id -u > /uid && mkdir /made\nCOPY --chown=33:33 f.txt /app/\nADD a.tar /x/\nWORKDIR /w/d\nRUN touch here\nRUN --mount=type=bind,target=/ctx cat /ctx/f.txt\nRUN --mount=type=bind,target=/ctx,rw touch /ctx/new && cat /ctx/f.txt\n',
    'f.txt': 'ctx\n',
  });
  expectOk(await run('tar', ['-C', ctx, '-cf', join(ctx, 'a.tar'), 'f.txt']));
  expectOk(await d.berth(['build', '-q', '-t', 'remap-built', ctx], { timeoutMs: 120_000 }));
  const r = expectOk(await d.berth(['run', '--rm', 'remap-built', 'sh', '-c', 'cat /uid; stat -c "%u:%g %n" /made /app/f.txt /x/f.txt /w/d /w/d/here']));
  assert.equal(r.stdout, '0\n0:0 /made\n33:33 /app/f.txt\n0:0 /x/f.txt\n0:0 /w/d\n0:0 /w/d/here\n');
});

test('push to a registry, pull into another remapped daemon (a store without those layers)', { skip }, async () => {
  const reg = await BerthRegistry.start();
  const other = await remapDaemon();
  try {
    const ref = `${reg.host}/remap/built:1`;
    expectOk(await d.berth(['tag', 'remap-built', ref]));
    expectOk(await d.berth(['push', ref]));
    await other.start(['--userns-remap', 'default']);
    expectOk(await other.berth(['pull', ref]));
    const r = expectOk(await other.berth(['run', '--rm', ref, 'stat', '-c', '%u:%g %n', '/etc/passwd', '/app/f.txt']));
    assert.equal(r.stdout, '0:0 /etc/passwd\n33:33 /app/f.txt\n');
    const layers = join(other.dataRoot, `${rootUid}.${rootGid}`, 'overlay', 'layers');
    const owners = new Set<string>();
    for (const l of await readdir(layers)) {
      const st = await stat(join(layers, l, 'diff', 'etc')).catch(() => undefined);
      if (st) owners.add(`${st.uid}:${st.gid}`);
    }
    assert.deepEqual([...owners], [`${rootUid}:${rootGid}`]);
  } finally {
    await other.stop();
    await reg.stop();
  }
});

test('--userns=host opts a container out; --privileged and the host network need it', { skip }, async () => {
  const map = expectOk(await d.docker(['run', '--rm', '--userns=host', 'busybox', 'cat', '/proc/self/uid_map']))
    .stdout.trim()
    .split(/\s+/);
  assert.deepEqual(map, ['0', '0', '4294967295']);
  assert.equal(
    expectOk(
      await d.berth(['inspect', '-f', '{{.HostConfig.UsernsMode}}', expectOk(await d.berth(['create', '--userns=host', 'busybox', 'true'])).stdout.trim()]),
    ).stdout.trim(),
    'host',
  );
  for (const cli of ['berth', 'docker'] as const) {
    const priv = await d[cli](['run', '--rm', '--privileged', 'busybox', 'true']);
    assert.equal(priv.code, 125, cli);
    assert.match(
      priv.stderr,
      /privileged mode is incompatible with user namespaces\. {2}You must run the container in the host namespace when running privileged mode/,
    );
  }
  const net = await d.berth(['run', '--rm', '--network', 'host', 'busybox', 'true']);
  assert.match(net.stderr, /cannot share the host's network namespace when user namespaces are enabled/);
  const pid = await d.berth(['run', '--rm', '--pid', 'host', 'busybox', 'true']);
  assert.match(pid.stderr, /cannot share the host PID namespace when user namespaces are enabled/);
  expectOk(await d.berth(['run', '--rm', '--privileged', '--userns=host', 'busybox', 'true']));
  const bad = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { UsernsMode: 'private' } });
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /invalid USER mode: private/);
});

test('escape: root in the container cannot write a host root file through a bind mount, nor a root-owned dir', { skip }, async () => {
  const file = join(d.dir, 'host-root-file');
  await writeFile(file, 'host\n', { mode: 0o644 });
  await chmod(file, 0o644);
  const dir = join(d.dir, 'host-root-dir');
  await mkdir(dir, { mode: 0o755 });
  const r = await d.berth([
    'run',
    '--rm',
    '-v',
    `${file}:/f`,
    '-v',
    `${dir}:/d`,
    'busybox',
    'sh',
    '-c',
    'echo pwned >> /f; echo f=$?; touch /d/x; echo d=$?; chmod 666 /f; echo c=$?; stat -c %u:%g /f',
  ]);
  assert.match(r.stdout, /f=1\nd=1\nc=1\n65534:65534\n/);
  assert.equal(await readFile(file, 'utf8'), 'host\n');
  assert.deepEqual(await readdir(dir), []);
  assert.equal((await stat(file)).mode & 0o777, 0o644);
  // the same run with --userns=host is real root: the refusal above is the user namespace's
  expectOk(await d.berth(['run', '--rm', '--userns=host', '-v', `${dir}:/d`, 'busybox', 'touch', '/d/x']));
  assert.deepEqual(await readdir(dir), ['x']);
});

test('remap off and on again: two stores on one data root', { skip }, async () => {
  await d.kill('SIGTERM');
  await d.start();
  const plain = expectOk(await d.berth(['images', '-q'])).stdout.trim();
  assert.equal(plain, '', 'the store without remapping is another one');
  const info = JSON.parse(expectOk(await d.docker(['info', '--format', '{{json .}}'])).stdout);
  assert.ok(!info.SecurityOptions.includes('name=userns'));
  assert.equal(info.DockerRootDir, d.dataRoot);
  await d.kill('SIGTERM');
  await d.start(['--userns-remap', 'dockremap:dockremap']);
  assert.match(expectOk(await d.berth(['images', '--format', '{{.Repository}}'])).stdout, /busybox/);
});

test('the forms of --userns-remap and daemon.json; bad values refused at start with dockerd messages', { skip }, async () => {
  const uid = (await run('id', ['-u', 'dockremap'])).stdout.trim();
  const gid = (await run('id', ['-g', 'dockremap'])).stdout.trim();
  for (const form of ['dockremap', `${uid}:${gid}`, `${uid}:dockremap`]) {
    const t = await remapDaemon();
    try {
      await t.start(['--userns-remap', form]);
      const info = JSON.parse(expectOk(await t.docker(['info', '--format', '{{json .}}'])).stdout);
      assert.equal(info.DockerRootDir, join(t.dataRoot, `${rootUid}.${rootGid}`), form);
    } finally {
      await t.stop();
    }
  }
  const t = await remapDaemon();
  try {
    const config = join(t.dir, 'daemon.json');
    await writeFile(config, JSON.stringify({ 'userns-remap': 'default' }));
    await t.start(['--config-file', config]);
    assert.match(expectOk(await t.docker(['info', '--format', '{{json .SecurityOptions}}'])).stdout, /name=userns/);
    await t.kill('SIGTERM');
    const cases: Array<[string[], RegExp]> = [
      [['--userns-remap', 'no-such-user-x'], /Error during uid lookup for "no-such-user-x": getent unable to find entry "no-such-user-x" in passwd database/],
      [['--userns-remap', 'a:b:c'], /Invalid user\/group specification in --userns-remap: "a:b:c"/],
      [['--userns-remap', '54321'], /Uid 54321 has no entry in \/etc\/passwd/],
      [['--userns-remap', 'dockremap:no-such-group-x'], /Error during groupname lookup for "no-such-group-x"/],
      [['--userns-remap', 'daemon'], /Can't create ID mappings: no subuid ranges found for user "daemon"/],
    ];
    for (const [args, want] of cases) await assert.rejects(t.start(args), want, args.join(' '));
    await writeFile(config, JSON.stringify({ 'userns-remap': 'no-such-user-x' }));
    await assert.rejects(t.start(['--config-file', config]), /Error during uid lookup for "no-such-user-x"/);
    // a data root below a directory the remapped root cannot pass is refused, as dockerd does
    const closed = await TestDaemon.create(); // its dir is mkdtemp's 0700
    try {
      await assert.rejects(
        closed.start(['--userns-remap', 'default']),
        /restricts access to the remapped root uid\/gid; please fix by allowing 'o\+x' permissions/,
      );
    } finally {
      await closed.stop();
    }
  } finally {
    await t.stop();
  }
});
