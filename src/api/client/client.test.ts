import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { DockerClient } from './docker-client.js';
import { ApiError, ConnectError } from './errors.js';
import { parseHost, resolveHost } from './host.js';
import { StdcopyDemuxer, demuxStream, stdcopyFrame } from './stdcopy.js';
import { readJsonLines } from './json-lines.js';
import { buildQuery } from './transport.js';
import { FakeDaemon, json } from './testing/fake-daemon.js';

test('stdcopy demuxes frames split at every byte boundary', () => {
  const wire = Buffer.concat([stdcopyFrame(1, 'out1\n'), stdcopyFrame(2, 'err\n'), stdcopyFrame(1, ''), stdcopyFrame(1, 'out2')]);
  for (let step = 1; step <= wire.length; step++) {
    const got: string[] = [];
    const d = new StdcopyDemuxer((s, b) => got.push(`${s}:${b.toString()}`));
    for (let i = 0; i < wire.length; i += step) d.push(wire.subarray(i, i + step));
    const out = got
      .filter((g) => g.startsWith('1:'))
      .map((g) => g.slice(2))
      .join('');
    const err = got
      .filter((g) => g.startsWith('2:'))
      .map((g) => g.slice(2))
      .join('');
    assert.equal(out, 'out1\nout2', `step ${step}`);
    assert.equal(err, 'err\n', `step ${step}`);
  }
});

test('demuxStream routes streams and reports a system-error frame', async () => {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d) => (o += d));
  err.on('data', (d) => (e += d));
  await demuxStream([stdcopyFrame(1, 'a'), stdcopyFrame(2, 'b')], out, err);
  assert.equal(o, 'a');
  assert.equal(e, 'b');
  await assert.rejects(demuxStream([stdcopyFrame(3, 'boom')], out, err), /boom/);
  assert.throws(() => new StdcopyDemuxer(() => {}).push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 0])), /Unrecognized input header/);
});

test('json lines survive arbitrary chunking', async () => {
  const chunks = ['{"a":1}\n{"a"', ':2}\n\n', '{"a":3}'];
  const got: unknown[] = [];
  for await (const x of readJsonLines(chunks)) got.push(x);
  assert.deepEqual(got, [{ a: 1 }, { a: 2 }, { a: 3 }]);
});

test('hosts and queries', () => {
  assert.equal(resolveHost(undefined, {}), 'unix:///run/berth/berth.sock');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///x.sock' }), 'unix:///x.sock');
  assert.equal(resolveHost('tcp://1.2.3.4:5', { DOCKER_HOST: 'unix:///x.sock' }), 'tcp://1.2.3.4:5');
  assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { host: 'tcp://127.0.0.1:2375', hostname: '127.0.0.1', port: 2375 });
  assert.equal(buildQuery({ all: true, n: 2, skip: undefined, names: ['a', 'b c'] }), '?all=1&n=2&names=a&names=b%20c');
});

test('client: version prefix, JSON bodies, Docker error messages', async () => {
  const d = await new FakeDaemon().start();
  const c = new DockerClient(d.host);
  try {
    d.on('POST /containers/create', (req, res) => json(res, 201, { Id: 'abc', Warnings: [], echo: JSON.parse(req.body) }));
    d.on('GET /containers/nope/json', (_req, res) => json(res, 404, { message: 'No such container: nope' }));
    d.on('POST /containers/x/stop', (_req, res) => {
      res.writeHead(304);
      res.end();
    });
    d.on('GET /containers/json', (req, res) => json(res, 200, [{ filters: req.query.get('filters'), all: req.query.get('all') }]));
    const r = await c.containerCreate({ Image: 'busybox' }, { name: 'n1' });
    assert.equal(r.Id, 'abc');
    assert.equal(d.log[0]!.query.get('name'), 'n1');
    assert.equal(d.log[0]!.headers['content-type'], 'application/json');
    await assert.rejects(
      c.containerInspect('nope'),
      (e: unknown) => e instanceof ApiError && e.status === 404 && e.kind === 'not-found' && e.message === 'No such container: nope',
    );
    await c.containerStop('x'); // 304 is not an error for the client
    const list = await c.containerList({ all: true, filters: { name: ['web'] } });
    assert.deepEqual(list, [{ filters: '{"name":["web"]}', all: '1' }] as unknown);
  } finally {
    c.close();
    await d.close();
  }
});

test('client: unreachable socket is docker\'s "Cannot connect" error', async () => {
  const c = new DockerClient(`unix:///tmp/berth-none-${process.pid}-${Math.random()}.sock`);
  await assert.rejects(
    c.ping(),
    (e: unknown) =>
      e instanceof ConnectError &&
      /^Cannot connect to the Docker daemon at unix:\/\/\/tmp\/berth-none-.*\. Is the docker daemon running\?$/.test((e as Error).message),
  );
});

test('hijack: 101 upgrade, stdin half-close, output still readable after it', async () => {
  const d = await new FakeDaemon().start();
  const c = new DockerClient(d.host);
  try {
    d.onUpgrade('POST /containers/{id}/attach', (req, socket) => {
      assert.equal(req.headers.upgrade, 'tcp');
      let input = '';
      socket.on('data', (b) => (input += b));
      socket.on('end', () => {
        socket.end(stdcopyFrame(1, `got:${input}`));
      }); // answer only after our stdin EOF
    });
    const { socket, head } = await c.containerAttach('abc123', { stdin: true, stdout: true, stderr: true });
    socket.end('hello');
    const out = new PassThrough();
    let o = '';
    out.on('data', (x) => (o += x));
    await demuxStream(socket, out, new PassThrough(), head);
    assert.equal(o, 'got:hello');
    assert.equal(d.log[0]!.query.get('stream'), '1');
  } finally {
    c.close();
    await d.close();
  }
});
