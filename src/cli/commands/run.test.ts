import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { stdcopyFrame } from '../../api/client/stdcopy.js';
import { FakeDaemon, json } from '../../api/client/testing/fake-daemon.js';
import type { CliIo } from '../context.js';
import { runCommand } from '../run-command.js';
import { run, create } from './run.js';
import { stop, rm } from './lifecycle.js';
import { ps } from './ps.js';

function io(stdinText?: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  if (stdinText !== undefined) stdin.end(stdinText);
  return { io: { stdout, stderr, stdin } as CliIo, out: () => out, err: () => err };
}

const ID = 'c0ffee'.repeat(10) + 'abcd';

/** A daemon that runs one container: output on start, then it exits with `code`. */
function scriptRun(d: FakeDaemon, code: number, opts: { startError?: string } = {}) {
  let attached: import('node:net').Socket | undefined;
  let stdinSeen = '';
  let finishWait: ((c: number) => void) | undefined;
  d.on('POST /containers/create', (_q, res) => json(res, 201, { Id: ID, Warnings: [] }));
  d.onUpgrade('POST /containers/{id}/attach', (_q, s) => {
    attached = s;
    s.on('data', (b) => (stdinSeen += b));
  });
  d.on(`POST /containers/${ID}/wait`, (_q, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    finishWait = (c) => res.end(JSON.stringify({ StatusCode: c, Error: null }));
  });
  d.on(`POST /containers/${ID}/start`, (_q, res) => {
    if (opts.startError) {
      json(res, 400, { message: opts.startError });
      return;
    }
    res.writeHead(204);
    res.end();
    setTimeout(() => {
      attached?.write(stdcopyFrame(1, 'hello out\n'));
      attached?.end(stdcopyFrame(2, 'hello err\n'));
      finishWait?.(code);
    }, 20);
  });
  return { stdin: () => stdinSeen };
}

test("run: create → attach → wait → start, output demuxed, exit code is the container's", async () => {
  const d = await new FakeDaemon().start();
  try {
    scriptRun(d, 3);
    const t = io();
    const code = await runCommand(run, 'run', ['--name', 'x', 'busybox', 'sh', '-c', 'exit 3'], d.host, t.io, {});
    assert.equal(code, 3);
    assert.equal(t.out(), 'hello out\n');
    assert.equal(t.err(), 'hello err\n');
    assert.deepEqual(
      d.log.map((r) => `${r.method} ${r.path}`),
      ['POST /containers/create', `POST /containers/${ID}/attach`, `POST /containers/${ID}/wait`, `POST /containers/${ID}/start`],
    );
    const attach = d.log[1]!.query;
    assert.deepEqual([attach.get('stream'), attach.get('stdin'), attach.get('stdout'), attach.get('stderr')], ['1', '0', '1', '1']);
    assert.equal(d.log[2]!.query.get('condition'), 'next-exit');
    assert.deepEqual(JSON.parse(d.log[0]!.body).Cmd, ['sh', '-c', 'exit 3']);
  } finally {
    await d.close();
  }
});

test('run -i --rm: stdin is forwarded and wait uses condition=removed', async () => {
  const d = await new FakeDaemon().start();
  try {
    const s = scriptRun(d, 0);
    const t = io('typed input');
    const code = await runCommand(run, 'run', ['-i', '--rm', 'busybox', 'cat'], d.host, t.io, {});
    assert.equal(code, 0);
    assert.equal(d.log.find((r) => r.path.endsWith('/wait'))!.query.get('condition'), 'removed');
    assert.equal(d.log.find((r) => r.path.endsWith('/attach'))!.query.get('stdin'), '1');
    assert.equal(s.stdin(), 'typed input');
  } finally {
    await d.close();
  }
});

test('run -d: create then start, prints the id, no attach or wait', async () => {
  const d = await new FakeDaemon().start();
  try {
    scriptRun(d, 0);
    const t = io();
    assert.equal(await runCommand(run, 'run', ['-d', 'busybox', 'sleep', '5'], d.host, t.io, {}), 0);
    assert.equal(t.out(), `${ID}\n`);
    assert.deepEqual(
      d.log.map((r) => r.path),
      ['/containers/create', `/containers/${ID}/start`],
    );
  } finally {
    await d.close();
  }
});

test('run: start failures map to 127 (not found), 126 (cannot invoke), 125 (other)', async () => {
  const cases: [string, number][] = [
    ['failed to create task: exec: "nope": executable file not found in $PATH', 127],
    ['exec /etc: permission denied', 126],
    ['something else broke', 125],
  ];
  for (const [msg, want] of cases) {
    const d = await new FakeDaemon().start();
    try {
      scriptRun(d, 0, { startError: msg });
      const t = io();
      assert.equal(await runCommand(run, 'run', ['busybox', 'nope'], d.host, t.io, {}), want, msg);
      assert.equal(t.err(), `berth: Error response from daemon: ${msg}\n\nRun 'berth run --help' for more information\n`);
    } finally {
      await d.close();
    }
  }
});

test('run: missing image → "Unable to find image", pull attempt, pull error → 125', async () => {
  const d = await new FakeDaemon().start();
  try {
    d.on('POST /containers/create', (_q, res) => json(res, 404, { message: 'No such image: busybox:latest' }));
    d.on('POST /images/create', (_q, res) => json(res, 500, { message: 'pull access denied for busybox, repository does not exist' }));
    const t = io();
    assert.equal(await runCommand(run, 'run', ['busybox'], d.host, t.io, {}), 125);
    assert.equal(
      t.err(),
      "Unable to find image 'busybox:latest' locally\nberth: Error response from daemon: pull access denied for busybox, repository does not exist\n\nRun 'berth run --help' for more information\n",
    );
    const pull = d.log.find((r) => r.path === '/images/create')!;
    assert.equal(pull.query.get('fromImage'), 'docker.io/library/busybox');
    assert.equal(pull.query.get('tag'), 'latest');
  } finally {
    await d.close();
  }
});

test("flag errors exit 125 with docker's wording; missing arguments exit 1", async () => {
  const t = io();
  assert.equal(await runCommand(run, 'run', ['--foo', 'busybox'], 'unix:///nonexistent', t.io, {}), 125);
  assert.equal(t.err(), "unknown flag: --foo\n\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'berth run --help' for more information\n");
  const t2 = io();
  assert.equal(await runCommand(run, 'run', ['-itz', 'busybox'], 'unix:///nonexistent', t2.io, {}), 125);
  assert.match(t2.err(), /^unknown shorthand flag: 'z' in -z\n/);
  const t3 = io();
  assert.equal(await runCommand(run, 'run', ['-e'], 'unix:///nonexistent', t3.io, {}), 125);
  assert.match(t3.err(), /^flag needs an argument: 'e' in -e\n/);
  const t4 = io();
  assert.equal(await runCommand(create, 'create', [], 'unix:///nonexistent', t4.io, {}), 1);
  assert.match(t4.err(), /^berth: 'berth create' requires at least 1 argument\n/);
  const t5 = io();
  assert.equal(await runCommand(ps, 'ps', ['--bogus'], 'unix:///nonexistent', t5.io, {}), 125);
  assert.match(t5.err(), /^unknown flag: --bogus\n/);
});

test('daemon errors: "Error response from daemon" exit 1; no daemon: "Cannot connect" exit 1', async () => {
  const d = await new FakeDaemon().start();
  try {
    d.on('POST /containers/nope/stop', (_q, res) => json(res, 404, { message: 'No such container: nope' }));
    d.on('POST /containers/ok/stop', (_q, res) => {
      res.writeHead(204);
      res.end();
    });
    const t = io();
    assert.equal(await runCommand(stop, 'stop', ['ok', 'nope'], d.host, t.io, {}), 1);
    assert.equal(t.out(), 'ok\n');
    assert.equal(t.err(), 'Error response from daemon: No such container: nope\n');
  } finally {
    await d.close();
  }
  const sock = `/tmp/berth-none-${process.pid}.sock`;
  const t2 = io();
  assert.equal(await runCommand(rm, 'rm', ['x'], `unix://${sock}`, t2.io, {}), 1);
  assert.equal(t2.err(), `Cannot connect to the Docker daemon at unix://${sock}. Is the docker daemon running?\n`);
  const t3 = io();
  assert.equal(await runCommand(run, 'run', ['busybox'], undefined, t3.io, { DOCKER_HOST: `unix://${sock}` }), 125);
  assert.equal(
    t3.err(),
    `berth: Cannot connect to the Docker daemon at unix://${sock}. Is the docker daemon running?\n\nRun 'berth run --help' for more information\n`,
  );
});

test('ps -a --filter: query sent to the daemon and default table printed', async () => {
  const d = await new FakeDaemon().start();
  try {
    d.on('GET /containers/json', (_q, res) =>
      json(res, 200, [
        {
          Id: ID,
          Names: ['/web'],
          Image: 'busybox',
          ImageID: 'sha256:x',
          Command: 'top',
          Created: Math.floor(Date.now() / 1000) - 10,
          Ports: [],
          Labels: {},
          State: 'running',
          Status: 'Up 10 seconds',
          Mounts: [],
        },
      ]),
    );
    const t = io();
    assert.equal(await runCommand(ps, 'ps', ['-a', '--filter', 'name=web', '-f', 'status=running'], d.host, t.io, {}), 0);
    assert.equal(d.log[0]!.query.get('all'), '1');
    assert.deepEqual(JSON.parse(d.log[0]!.query.get('filters')!), { name: ['web'], status: ['running'] });
    assert.match(
      t.out(),
      /^CONTAINER ID   IMAGE     COMMAND   CREATED          STATUS          PORTS     NAMES\nc0ffeec0ffee   busybox   "top"     1\d seconds ago   Up 10 seconds             web\n$/,
    );
    const t2 = io();
    await runCommand(ps, 'ps', ['-q'], d.host, t2.io, {});
    assert.equal(t2.out(), 'c0ffeec0ffee\n');
  } finally {
    await d.close();
  }
});

test('run -it with a non-terminal stdin fails like docker before creating anything; -d -it and -t alone do not check', async () => {
  const d = await new FakeDaemon().start();
  try {
    scriptRun(d, 0);
    const t = io('');
    assert.equal(await runCommand(run, 'run', ['-it', 'busybox', 'true'], d.host, t.io, {}), 1);
    assert.equal(t.err(), 'the input device is not a TTY\n');
    assert.equal(t.out(), '');
    assert.deepEqual(
      d.log.map((r) => r.path),
      [],
    );
    const detached = io('');
    assert.equal(await runCommand(run, 'run', ['-d', '-it', 'busybox', 'true'], d.host, detached.io, {}), 0);
    assert.equal(d.log[0]?.path, '/containers/create');
  } finally {
    await d.close();
  }
});
