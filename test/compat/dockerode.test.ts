// dockerode (and its docker-modem) against berthd: the Node client most Node tools sit on
// (testcontainers, devcontainers, many dashboards). Each test drives one group of dockerode's
// API reference methods that map to Engine routes and checks what the client gets back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable, type Duplex } from 'node:stream';
import Docker from 'dockerode';
import * as tar from 'tar-stream';
import { useBusyboxDaemon } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before: (fn) => test.before(fn), after: (fn) => test.after(fn) }, skip);
const LABEL = { 'berth.test': 'dockerode' };
let client: Docker | undefined;
const docker = () => (client ??= new Docker({ socketPath: d.socket }));

/** Everything a stream gives until it ends. */
async function collect(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer | string>) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

/** A multiplexed stream split with docker-modem's demuxStream, as dockerode's docs show. */
async function demux(stream: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  docker().modem.demuxStream(stream, out, err);
  const o = collect(out);
  const e = collect(err);
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  out.end();
  err.end();
  return { stdout: (await o).toString(), stderr: (await e).toString() };
}

/** A tar of { name: content } (build contexts, archives). */
async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, content);
  pack.finalize();
  return collect(pack as unknown as NodeJS.ReadableStream);
}

async function tarEntries(bytes: Buffer): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const ex = tar.extract();
  Readable.from([bytes]).pipe(ex);
  for await (const e of ex) out[e.header.name] = (await collect(e as unknown as NodeJS.ReadableStream)).toString();
  return out;
}

async function until(what: string, fn: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('containers: create, start, inspect, list, wait, remove; attach with streams', { skip }, async () => {
  const c = await docker().createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo out; echo err >&2'], Labels: LABEL });
  const stream = await c.attach({ stream: true, stdout: true, stderr: true });
  const output = demux(stream as unknown as NodeJS.ReadableStream);
  await c.start();
  assert.deepEqual(await output, { stdout: 'out\n', stderr: 'err\n' });
  assert.deepEqual(await c.wait(), { StatusCode: 0, Error: null });
  const info = await c.inspect();
  assert.equal(info.State.Status, 'exited');
  assert.equal(info.Config.Labels['berth.test'], 'dockerode');
  const listed = await docker().listContainers({ all: true, filters: { label: ['berth.test=dockerode'] } });
  assert.ok(listed.some((x) => x.Id === c.id));
  await c.remove();
  await assert.rejects(c.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});

test('attach with stdin (hijack: true): what is written reaches the process', { skip }, async () => {
  const c = await docker().createContainer({
    Image: 'busybox',
    Cmd: ['sh', '-c', 'read line; echo "got $line"; echo err >&2'],
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Labels: LABEL,
  });
  const stream = (await c.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as unknown as Duplex;
  const output = demux(stream);
  await c.start();
  stream.write('hello\n');
  stream.end();
  assert.deepEqual(await output, { stdout: 'got hello\n', stderr: 'err\n' });
  assert.deepEqual(await c.wait(), { StatusCode: 0, Error: null });
  await c.remove();
});

test('exec: create, start (hijacked, demuxed), inspect exit code; exec with stdin', { skip }, async () => {
  const c = await docker().createContainer({ Image: 'busybox', Cmd: ['sleep', '600'], Labels: LABEL });
  await c.start();
  try {
    const ex = await c.exec({ Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'], AttachStdout: true, AttachStderr: true });
    const s = await ex.start({ hijack: true, stdin: false });
    assert.deepEqual(await demux(s), { stdout: 'out\n', stderr: 'err\n' });
    await until('the exec to exit', async () => (await ex.inspect()).Running === false);
    assert.equal((await ex.inspect()).ExitCode, 3);
    const withIn = await c.exec({ Cmd: ['cat'], AttachStdin: true, AttachStdout: true, AttachStderr: true });
    const s2 = (await withIn.start({ hijack: true, stdin: true })) as unknown as Duplex;
    const got = demux(s2);
    s2.end('piped\n');
    assert.equal((await got).stdout, 'piped\n');
  } finally {
    await c.remove({ force: true });
  }
});

test('exec with Tty: the stream is raw (no multiplexing frames)', { skip }, async () => {
  const c = await docker().createContainer({ Image: 'busybox', Cmd: ['sleep', '600'], Labels: LABEL });
  await c.start();
  try {
    const ex = await c.exec({ Cmd: ['sh', '-c', 'echo tty-out; echo tty-err >&2'], AttachStdout: true, AttachStderr: true, Tty: true });
    const raw = (await collect(await ex.start({ hijack: true, stdin: false, Tty: true }))).toString();
    assert.equal(raw, 'tty-out\r\ntty-err\r\n');
  } finally {
    await c.remove({ force: true });
  }
});

test('kill: the container is no longer running once kill answered', { skip }, async () => {
  const c = await docker().createContainer({ Image: 'busybox', Cmd: ['sleep', '600'], Labels: LABEL });
  await c.start();
  await c.kill();
  assert.equal((await c.inspect()).State.Running, false);
  await c.remove();
});

test('logs (follow), stats (stream), top, resize, update, rename', { skip }, async () => {
  const c = await docker().createContainer({
    Image: 'busybox',
    Cmd: ['sh', '-c', 'for i in 1 2 3; do echo line$i; sleep 0.1; done; echo e >&2'],
    Labels: LABEL,
  });
  // As dockerd, follow applies to a running container (a created one has nothing to follow yet).
  await c.start();
  const logs = (await c.logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
  assert.deepEqual(await demux(logs), { stdout: 'line1\nline2\nline3\n', stderr: 'e\n' });
  // Without follow dockerode hands back one buffer of frames: [stream, 0, 0, 0, size(4)] + data.
  const past = (await c.logs({ follow: false, stdout: true, stderr: true, tail: 2 })) as unknown as Buffer;
  const frames: string[] = [];
  for (let at = 0; at < past.length; at += 8 + past.readUInt32BE(at + 4))
    frames.push(`${past[at]}:${past.subarray(at + 8, at + 8 + past.readUInt32BE(at + 4))}`);
  assert.deepEqual(frames, ['1:line3\n', '2:e\n']);
  await c.wait();
  await c.remove();

  const t = await docker().createContainer({
    Image: 'busybox',
    Tty: true,
    Cmd: ['sh', '-c', 'while true; do stty size; sleep 0.1; done'],
    Labels: LABEL,
  });
  await t.start();
  try {
    await t.resize({ h: 31, w: 101 });
    await until('the new size in the logs', async () => ((await t.logs({ stdout: true })) as unknown as Buffer).toString().includes('31 101'));
    const stats = (await t.stats({ stream: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    const samples: { read: string; memory_stats: { usage?: number } }[] = [];
    let buf = '';
    for await (const chunk of stats as AsyncIterable<Buffer>) {
      buf += chunk.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        samples.push(JSON.parse(buf.slice(0, nl)) as (typeof samples)[number]);
        buf = buf.slice(nl + 1);
      }
      if (samples.length >= 2) break;
    }
    stats.destroy();
    assert.equal(samples.length, 2);
    assert.ok(samples[1]!.memory_stats.usage! > 0);
    const once = (await t.stats({ stream: false })) as { read: string };
    assert.ok(once.read);
    const top = await t.top();
    assert.ok(top.Titles.includes('PID') && top.Processes.length >= 1);
    await t.update({ CpuShares: 512 });
    assert.equal((await t.inspect()).HostConfig.CpuShares, 512);
    const name = `dockerode-renamed-${process.pid}`;
    await t.rename({ name });
    assert.equal((await t.inspect()).Name, `/${name}`);
  } finally {
    await t.remove({ force: true });
  }
});

test('archive get/put, export, changes, commit; images import from the export; prune', { skip }, async () => {
  const c = await docker().createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo made > /made'], Labels: LABEL });
  await c.start();
  await c.wait();
  await c.putArchive(await tarOf({ 'put.txt': 'put by dockerode' }), { path: '/tmp' });
  const got = await tarEntries(await collect((await c.getArchive({ path: '/tmp/put.txt' })) as NodeJS.ReadableStream));
  assert.deepEqual(got, { 'put.txt': 'put by dockerode' });
  // HEAD: dockerode resolves with no body (the stat is in a header it does not surface); a missing path is a 404.
  await c.infoArchive({ path: '/made' });
  await assert.rejects(c.infoArchive({ path: '/nonexistent' }), (e: { statusCode?: number }) => e.statusCode === 404);
  const changes = await c.changes();
  assert.deepEqual(changes, [
    { Path: '/made', Kind: 1 },
    { Path: '/tmp', Kind: 0 },
    { Path: '/tmp/put.txt', Kind: 1 },
  ]);
  const exported = await collect((await c.export()) as NodeJS.ReadableStream);
  const names = Object.keys(await tarEntries(exported));
  assert.ok(names.includes('made') && names.includes('tmp/put.txt') && names.includes('bin/busybox'));

  const committed = (await c.commit({ repo: 'dockerode-commit', tag: 'v1', comment: 'by dockerode' })) as { Id: string };
  assert.match(committed.Id, /^sha256:[0-9a-f]{64}$/);
  const img = await docker().getImage('dockerode-commit:v1').inspect();
  assert.equal(img.Comment, 'by dockerode');

  // import: the export as a new image's rootfs (POST /images/create?fromSrc=-).
  const progress = await docker().importImage(Readable.from([exported]) as unknown as string, { repo: 'dockerode-imported', tag: 'v1' });
  await new Promise((resolve, reject) => docker().modem.followProgress(progress, (err, res) => (err ? reject(err) : resolve(res))));
  const run = await docker().createContainer({ Image: 'dockerode-imported:v1', Cmd: ['cat', '/made'], Labels: LABEL });
  const out = (await run.attach({ stream: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
  const outp = demux(out);
  await run.start();
  assert.equal((await outp).stdout, 'made\n');
  await run.wait();

  const pruned = await docker().pruneContainers({ filters: { label: ['berth.test=dockerode'] } });
  assert.ok(pruned.ContainersDeleted?.includes(c.id) && pruned.ContainersDeleted.includes(run.id));
  assert.equal(typeof pruned.SpaceReclaimed, 'number');
});

// dockerode's own suite opens an export and never reads it, then stops the container: the open
// export must not hold the container (berthd held its lock for the whole stream, and stop hung).
test('an export left unread does not block stop, and rm -f during it succeeds', { skip }, async () => {
  const c = await docker().createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 1; done'], Labels: LABEL });
  await c.start();
  const unread = (await c.export()) as unknown as Readable;
  unread.pause();
  await c.stop({ t: 30 });
  assert.equal((await c.inspect()).State.Running, false);
  await c.start();
  const second = (await c.export()) as unknown as Readable;
  second.pause();
  await c.remove({ force: true });
  await assert.rejects(c.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  unread.destroy();
  second.destroy();
});

test('images: build from a tar stream with followProgress, history, tag, get (save), load, list, remove', { skip }, async () => {
  const context = await tarOf({ Dockerfile: 'FROM busybox\nRUN echo built > /built\nLABEL stage=dockerode\nCMD ["cat", "/built"]\n' });
  const buildStream = await docker().buildImage(Readable.from([context]) as unknown as NodeJS.ReadableStream, { t: 'dockerode-built:v1' });
  const events: { stream?: string; aux?: { ID: string }; error?: string }[] = [];
  const result = await new Promise<(typeof events)[number][]>((resolve, reject) =>
    docker().modem.followProgress(
      buildStream,
      (err, res) => (err ? reject(err) : resolve(res as { stream?: string }[])),
      (e: (typeof events)[number]) => events.push(e),
    ),
  );
  assert.equal(events.length, result.length, 'onProgress saw each message');
  assert.ok(!result.some((e) => e.error), JSON.stringify(result));
  assert.ok(result.some((e) => e.stream?.includes('Successfully tagged dockerode-built:v1')));
  const id = result.find((e) => e.aux)?.aux?.ID;
  assert.match(id ?? '', /^sha256:/);

  const image = docker().getImage('dockerode-built:v1');
  const history = await image.history();
  assert.ok(history.some((h: { CreatedBy: string }) => h.CreatedBy.includes('echo built > /built')));
  await image.tag({ repo: 'dockerode-built', tag: 'v2' });
  assert.equal((await docker().getImage('dockerode-built:v2').inspect()).Id, id);

  // get (docker save) then remove and load it back.
  const saved = await collect(await image.get());
  assert.ok(Object.keys(await tarEntries(saved)).includes('manifest.json'));
  await docker().getImage('dockerode-built:v2').remove();
  await image.remove();
  await assert.rejects(image.inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
  const loadStream = await docker().loadImage(Readable.from([saved]) as unknown as string);
  const loaded = (await collect(loadStream)).toString();
  assert.match(loaded, /Loaded image: dockerode-built:v1/);
  assert.equal((await image.inspect()).Id, id);
  const list = await docker().listImages({ filters: { reference: ['dockerode-built'] } });
  assert.deepEqual(
    list.map((i) => i.RepoTags),
    [['dockerode-built:v1']],
  );
});

test('networks and volumes: create, list, inspect, connect, disconnect, remove, prune', { skip }, async () => {
  const net = await docker().createNetwork({ Name: `dockerode-net-${process.pid}`, Driver: 'bridge', Labels: LABEL });
  const c = await docker().createContainer({ Image: 'busybox', Cmd: ['sleep', '600'], Labels: LABEL });
  await c.start();
  try {
    await net.connect({ Container: c.id, EndpointConfig: { Aliases: ['dockerode-alias'] } });
    const ni = await net.inspect();
    assert.ok(Object.keys(ni.Containers ?? {}).includes(c.id));
    const ci = await c.inspect();
    assert.ok(ci.NetworkSettings.Networks[`dockerode-net-${process.pid}`]?.Aliases?.includes('dockerode-alias'));
    await net.disconnect({ Container: c.id });
    assert.deepEqual(Object.keys((await net.inspect()).Containers ?? {}), []);
    const listed = await docker().listNetworks({ filters: { label: ['berth.test=dockerode'] } });
    assert.deepEqual(
      listed.map((n) => n.Name),
      [`dockerode-net-${process.pid}`],
    );
  } finally {
    await c.remove({ force: true });
    await net.remove();
  }

  const vol = await docker().createVolume({ Name: `dockerode-vol-${process.pid}`, Labels: LABEL });
  assert.equal(vol.name, `dockerode-vol-${process.pid}`);
  const v = docker().getVolume(vol.name);
  assert.equal((await v.inspect()).Labels['berth.test'], 'dockerode');
  const vl = await docker().listVolumes({ filters: { label: ['berth.test=dockerode'] } });
  assert.deepEqual(
    vl.Volumes.map((x) => x.Name),
    [vol.name],
  );
  await v.remove();
  await docker().createVolume({ Name: `dockerode-prune-${process.pid}`, Labels: LABEL });
  const pruned = await docker().pruneVolumes({ filters: { label: ['berth.test=dockerode'], all: ['true'] } });
  assert.deepEqual(pruned.VolumesDeleted, [`dockerode-prune-${process.pid}`]);
});

test('events: getEvents with since/until and filters; system ping, version, info, df', { skip }, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const c = await docker().createContainer({ Image: 'busybox', Cmd: ['true'], Labels: LABEL, name: `dockerode-ev-${process.pid}` });
  await c.start();
  await c.wait();
  await c.remove();
  const stream = await docker().getEvents({
    since,
    until: Math.floor(Date.now() / 1000) + 1,
    filters: { type: ['container'], container: [`dockerode-ev-${process.pid}`] },
  });
  const lines = (await collect(stream))
    .toString()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
  assert.deepEqual(
    lines.map((e) => e.Action),
    ['create', 'start', 'die', 'destroy'],
  );
  assert.equal(lines[0]!.Actor.Attributes['berth.test'], 'dockerode');
  assert.equal((await docker().ping()).toString(), 'OK');
  assert.match((await docker().version()).ApiVersion, /^1\.\d+$/);
  assert.ok((await docker().info()).Containers >= 0);
  const df = (await docker().df()) as { Images: unknown[] };
  assert.ok(Array.isArray(df.Images));
});
