// What testcontainers' reaper (Ryuk) needs from berthd, with a reaper built here: Ryuk's image is
// on Docker Hub, so examples/reaper/reaper.c (Ryuk's protocol, static, on an empty base) stands in.
// It runs with berthd's socket bind-mounted at /var/run/docker.sock, calls the Engine API from
// inside the container, and removes what a label filter matches once its clients are gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, TestDaemon, run } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';

const REAPER_IMAGE = 'berth-reaper:local';
const SESSION = 'org.testcontainers.session-id';
const skip =
  requiresRoot('real crun, overlayfs, cgroups') || (spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0 ? false : 'gcc is not installed');
let d: TestDaemon;
let work = '';

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
  work = await mkdtemp(join(tmpdir(), 'berth-reaper-'));
  const ctx = join(work, 'ctx');
  await mkdir(ctx);
  const cc = await run('gcc', ['-static', '-O2', '-o', join(ctx, 'reaper'), join(ROOT, 'examples/reaper/reaper.c')]);
  assert.equal(cc.code, 0, cc.stderr);
  await copyFile(join(ROOT, 'examples/reaper/Dockerfile'), join(ctx, 'Dockerfile'));
  const b = await d.berth(['build', '-q', '-t', REAPER_IMAGE, ctx], { timeoutMs: 120_000 });
  assert.equal(b.code, 0, b.stderr);
});
after(async () => {
  if (d) await d.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Polls until `check` holds (the reaper works on its own clock); fails with `what` after 60 s. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`never: ${what}`);
}

async function names(kind: 'ps' | 'network' | 'volume'): Promise<string[]> {
  const args = kind === 'ps' ? ['ps', '-a', '--format', '{{.Names}}'] : [kind, 'ls', '--format', '{{.Name}}'];
  return (await d.berth(args)).stdout.split('\n').filter(Boolean);
}

const ok = async (args: string[]): Promise<string> => {
  const r = await d.berth(args);
  assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};

test('a reaper container with the socket bind-mounted: Ryuk protocol (ACK), then label-filtered removal', { skip }, async () => {
  await ok(['run', '-d', '--name', 'doomed', '--label', `${SESSION}=s1`, 'busybox', 'sleep', '1000']);
  await ok(['network', 'create', '--label', `${SESSION}=s1`, 'doomed-net']);
  await ok(['volume', 'create', '--label', `${SESSION}=s1`, 'doomed-vol']);
  await ok(['run', '-d', '--name', 'kept', '--label', `${SESSION}=other`, 'busybox', 'sleep', '1000']);
  await ok([
    'run',
    '-d',
    '--name',
    'reaper',
    '-p',
    '127.0.0.1::8080',
    '-v',
    `${d.socket}:/var/run/docker.sock`,
    '-e',
    'RYUK_RECONNECTION_TIMEOUT=1s',
    REAPER_IMAGE,
  ]);
  await eventually('the reaper logs Started', async () => (await d.berth(['logs', 'reaper'])).stdout.includes('Started'));
  const port = Number((await ok(['port', 'reaper', '8080'])).split(':').pop());
  const reply = await new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`label=${SESSION}=s1\r\n`));
    s.on('data', (b) => {
      resolve(b.toString());
      s.end();
    });
    s.on('error', reject);
  });
  assert.equal(reply, 'ACK\n');
  await eventually('the labelled container, network and volume are removed', async () => {
    const [ps, nets, vols] = await Promise.all([names('ps'), names('network'), names('volume')]);
    return !ps.includes('doomed') && !nets.includes('doomed-net') && !vols.includes('doomed-vol');
  });
  assert.ok((await names('ps')).includes('kept'), 'a container of another session stays');
  await eventually('the reaper exits', async () => (await ok(['inspect', '-f', '{{.State.Status}}', 'reaper'])) === 'exited');
  assert.equal(await ok(['inspect', '-f', '{{.State.ExitCode}}', 'reaper']), '0');
  assert.match((await d.berth(['logs', 'reaper'])).stdout, /Removed 1 container/);
  await ok(['rm', '-f', 'kept', 'reaper']);
});

test('testcontainers with Ryuk enabled (RYUK_CONTAINER_IMAGE): what a finished test process left is reaped', { skip }, async () => {
  // A separate process, as a test runner is: it starts a network and a container, and exits
  // without stopping them; its connection to the reaper closes with it.
  const script = join(work, 'leave-behind.cjs');
  await writeFile(
    script,
    `const tc = require(${JSON.stringify(join(ROOT, 'node_modules/testcontainers'))});
(async () => {
  const net = await new tc.Network().start();
  const c = await new tc.GenericContainer('busybox:latest')
    .withCommand(['sh', '-c', "trap 'exit 0' TERM; echo ready; while :; do sleep 0.1; done"])
    .withNetwork(net)
    .withWaitStrategy(tc.Wait.forLogMessage('ready'))
    .start();
  const Docker = require(${JSON.stringify(join(ROOT, 'node_modules/dockerode'))});
  const reapers = await new Docker().listContainers({ filters: { name: ['testcontainers-ryuk-'] } });
  console.log(JSON.stringify({ id: c.getId(), network: net.getName(), reapers: reapers.map((x) => x.Image) }));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`,
  );
  const r = await run(process.execPath, [script], {
    env: {
      ...process.env,
      DOCKER_HOST: d.host,
      TESTCONTAINERS_RYUK_DISABLED: 'false',
      RYUK_CONTAINER_IMAGE: REAPER_IMAGE,
      TESTCONTAINERS_RYUK_RECONNECTION_TIMEOUT: '1s',
    },
    timeoutMs: 120_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const left = JSON.parse(r.stdout.trim().split('\n').pop()!) as { id: string; network: string; reapers: string[] };
  assert.deepEqual(left.reapers, [REAPER_IMAGE], 'testcontainers ran its reaper from the local image');
  await eventually('the container and network the process left are removed', async () => {
    const [ps, nets] = await Promise.all([d.berth(['ps', '-aq', '--no-trunc']), names('network')]);
    return !ps.stdout.includes(left.id) && !nets.includes(left.network);
  });
});
