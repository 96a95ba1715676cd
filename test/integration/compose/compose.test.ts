// berth compose end to end against a real berthd with busybox services: DNS by service name and
// alias on the project network, depends_on with a healthcheck and with a completed one-shot,
// `up` twice changing nothing, recreate on change only, scale up and down, volumes across
// down/up, orphans, one-off run, exec, logs, port, and errors reported before anything exists.
// Traffic goes only to 127.0.0.1 and to containers this test made; every loop is bounded.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, useBusyboxDaemon, expectOk as ok, type RunResult } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';

const skip = requiresRoot('containers, bridges, namespaces');
const d = useBusyboxDaemon({ before, after }, skip);
const tag = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const dirs: string[] = [];
after(() => {
  for (const x of dirs) rmSync(x, { recursive: true, force: true });
});

/** A project folder with this compose file; returns a runner of `berth compose -p NAME -f FILE ...`. */
function project(name: string, yaml: string): { dir: string; write: (y: string) => void; compose: (...args: string[]) => Promise<RunResult> } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-compose-'));
  dirs.push(dir);
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, yaml);
  const p = `${name}${tag}`;
  return { dir, write: (y) => writeFileSync(file, y), compose: (...args) => d.berth(['compose', '-p', p, '-f', file, ...args], { timeoutMs: 120_000 }) };
}

const WEB = `
  web:
    image: busybox
    init: true
    command: ["sh", "-c", "echo hello from web > /tmp/index.html && echo web-started && exec httpd -f -p 80 -h /tmp"]
    networks:
      default:
        aliases: [www]
    ports: ["127.0.0.1::80"]
    healthcheck:
      test: ["CMD", "sh", "-c", "wget -qO- http://127.0.0.1/ >/dev/null"]
      interval: 1s
      retries: 20
`;

test('up -d, DNS by service name and alias, healthy dependency, second up is a no-op, ps/logs/exec/port, down', { skip }, async () => {
  const pr = project(
    'app',
    `services:${WEB}
  client:
    image: busybox
    init: true
    command: ["sleep", "600"]
    depends_on:
      web:
        condition: service_healthy
`,
  );
  const up = ok(await pr.compose('up', '-d'));
  assert.match(up.stderr, /Network app\w+_default {2}Created/);
  assert.match(up.stderr, /Container app\w+-web-1 {2}Healthy/);
  assert.match(up.stderr, /Container app\w+-client-1 {2}Started/);
  for (const host of ['web', 'www', 'web-1', `app${tag}-web-1`]) {
    const r = ok(await pr.compose('exec', '-T', 'client', 'sh', '-c', `timeout 3 wget -qO- http://${host}/`));
    assert.equal(r.stdout.trim(), 'hello from web', host);
  }
  const again = ok(await pr.compose('up', '-d'));
  assert.doesNotMatch(again.stderr, /Creat|Recreat|Start/);
  assert.match(again.stderr, /Container app\w+-web-1 {2}Running/);

  const ps = ok(await pr.compose('ps'));
  assert.match(ps.stdout.split('\n')[0]!, /^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS/);
  assert.match(ps.stdout, new RegExp(`app${tag}-web-1 .* web .*Up .*\\(healthy\\).*127\\.0\\.0\\.1:\\d+->80/tcp`));
  assert.deepEqual(
    ok(await pr.compose('ps', '--services'))
      .stdout.trim()
      .split('\n')
      .sort(),
    ['client', 'web'],
  );

  const port = ok(await pr.compose('port', 'web', '80')).stdout.trim();
  assert.match(port, /^127\.0\.0\.1:\d+$/);
  const res = await fetch(`http://${port}/`, { signal: AbortSignal.timeout(5000) });
  assert.equal((await res.text()).trim(), 'hello from web');

  const logs = ok(await pr.compose('logs', '--no-color', 'web'));
  assert.match(logs.stdout, /^web-1 +\| web-started$/m);
  const code = await pr.compose('exec', '-T', 'web', 'sh', '-c', 'exit 7');
  assert.equal(code.code, 7);

  writeFileSync(join(pr.dir, 'note.txt'), 'copied in\n');
  ok(await pr.compose('cp', join(pr.dir, 'note.txt'), 'client:/tmp/note.txt'));
  assert.equal(ok(await pr.compose('exec', '-T', 'client', 'cat', '/tmp/note.txt')).stdout, 'copied in\n');
  ok(await pr.compose('cp', 'web:/tmp/index.html', join(pr.dir, 'index.html')));
  assert.equal(readFileSync(join(pr.dir, 'index.html'), 'utf8'), 'hello from web\n');

  ok(await pr.compose('stop'));
  assert.equal(ok(await pr.compose('ps', '-q')).stdout.trim(), '');
  ok(await pr.compose('start'));
  assert.equal(
    ok(await pr.compose('ps', '-q'))
      .stdout.trim()
      .split('\n').length,
    2,
  );

  const down = ok(await pr.compose('down'));
  assert.match(down.stderr, /Container app\w+-client-1 {2}Removed/);
  assert.match(down.stderr, /Network app\w+_default {2}Removed/);
  assert.equal(ok(await d.berth(['ps', '-aq', '--filter', `label=com.docker.compose.project=app${tag}`])).stdout.trim(), '');
  assert.doesNotMatch(ok(await d.berth(['network', 'ls'])).stdout, new RegExp(`app${tag}_default`));
});

test('service_completed_successfully, recreate on change only, scale up and down, orphans', { skip }, async () => {
  const base = (env: string, extra = '') => `services:
  init:
    image: busybox
    command: ["sh", "-c", "echo seeded > /data/seed"]
    volumes: ["data:/data"]
  app:
    image: busybox
    init: true
    command: ["sh", "-c", "cat /data/seed && exec sleep 600"]
    environment:
      MODE: ${env}
    volumes: ["data:/data"]
    depends_on:
      init:
        condition: service_completed_successfully
${extra}
volumes:
  data: {}
`;
  const pr = project('dep', base('one'));
  ok(await pr.compose('up', '-d'));
  assert.match(ok(await pr.compose('logs', '--no-color', 'app')).stdout, /app-1 +\| seeded/);
  const appId = ok(await pr.compose('ps', '-q', 'app')).stdout.trim();

  pr.write(base('two'));
  const changed = ok(await pr.compose('up', '-d'));
  assert.match(changed.stderr, /Container dep\w+-app-1 {2}Recreated/);
  const newId = ok(await pr.compose('ps', '-q', 'app')).stdout.trim();
  assert.notEqual(newId, appId);
  assert.equal(ok(await pr.compose('exec', '-T', 'app', 'sh', '-c', 'echo $MODE')).stdout.trim(), 'two');

  ok(await pr.compose('up', '-d', '--scale', 'app=3'));
  assert.equal(
    ok(await pr.compose('ps', '-q', 'app'))
      .stdout.trim()
      .split('\n').length,
    3,
  );
  assert.equal(ok(await pr.compose('ps', '-q', 'app')).stdout.includes(newId), true, 'scaling keeps the existing replica');
  ok(await pr.compose('up', '-d', '--scale', 'app=1'));
  assert.equal(ok(await pr.compose('ps', '-q', 'app')).stdout.trim(), newId);

  pr.write(base('two', '  extra:\n    image: busybox\n    command: ["sleep", "600"]\n    init: true\n'));
  ok(await pr.compose('up', '-d'));
  pr.write(base('two'));
  const orphan = ok(await pr.compose('up', '-d'));
  assert.match(orphan.stderr, /Found orphan containers \(\[dep\w+-extra-1\]\)/);
  ok(await pr.compose('up', '-d', '--remove-orphans'));
  assert.doesNotMatch(ok(await pr.compose('ps', '-a')).stdout, /extra/);

  ok(await pr.compose('down'));
  assert.match(ok(await d.berth(['volume', 'ls', '-q'])).stdout, new RegExp(`dep${tag}_data`), 'down keeps named volumes');
  ok(await pr.compose('up', '-d', 'app'));
  assert.match(ok(await pr.compose('exec', '-T', 'app', 'cat', '/data/seed')).stdout, /seeded/);
  ok(await pr.compose('down', '-v'));
  assert.doesNotMatch(ok(await d.berth(['volume', 'ls', '-q'])).stdout, new RegExp(`dep${tag}_data`));
});

test('run --rm gives a one-off container with the exit code; config prints the model', { skip }, async () => {
  const pr = project(
    'one',
    `services:
  tool:
    image: busybox
    environment:
      GREETING: hi
`,
  );
  const r = await pr.compose('run', '--rm', '-T', 'tool', 'sh', '-c', 'echo $GREETING; exit 3');
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout.trim(), 'hi');
  assert.equal(ok(await d.berth(['ps', '-aq', '--filter', `label=com.docker.compose.project=one${tag}`])).stdout.trim(), '');
  const cfg = ok(await pr.compose('config', '--format', 'json'));
  assert.equal(JSON.parse(cfg.stdout).services.tool.environment.GREETING, 'hi');
  ok(await pr.compose('down'));
});

test('security_opt seccomp:FILE is read from the project directory and sent as the profile, as compose does', { skip }, async () => {
  const pr = project(
    'sec',
    `services:
  tool:
    image: busybox
    security_opt: ["seccomp:deny-mkdir.json"]
`,
  );
  // Everything allowed but mkdir/mkdirat, which fail with EPERM: only this profile can make mkdir fail here.
  const profile = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] };
  writeFileSync(join(pr.dir, 'deny-mkdir.json'), JSON.stringify(profile, null, 2));
  const r = await pr.compose('run', '--rm', '-T', 'tool', 'sh', '-c', 'mkdir /tmp/x && echo made || echo refused');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'refused');
  rmSync(join(pr.dir, 'deny-mkdir.json'));
  const missing = await pr.compose('run', '--rm', '-T', 'tool', 'true');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /opening seccomp profile \(deny-mkdir.json\) failed/);
  ok(await pr.compose('down'));
});

test('bad files are reported before anything is created', { skip }, async () => {
  const unknownDep = project(
    'bad',
    `services:
  a:
    image: busybox
    depends_on: [nope]
`,
  );
  const r = await unknownDep.compose('up', '-d');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /nope/);
  const schema = project(
    'bad2',
    `services:
  a:
    image: busybox
    ports: [{ target: "x" }]
`,
  );
  const s = await schema.compose('up', '-d');
  assert.notEqual(s.code, 0);
  assert.match(s.stderr, /services\.a\.ports/);
  assert.equal(ok(await d.berth(['ps', '-aq', '--filter', `label=com.docker.compose.project=bad${tag}`])).stdout.trim(), '');
  assert.doesNotMatch(ok(await d.berth(['network', 'ls'])).stdout, new RegExp(`bad${tag}`));
});

/** `berth compose ...` as a child process the test talks to (signals, output as it comes). */
function spawnCompose(
  pr: { dir: string },
  name: string,
  args: string[],
): { proc: ChildProcess; out: () => string; waitFor: (re: RegExp, ms: number) => Promise<void>; exit: Promise<number> } {
  const proc = spawn(process.execPath, [BERTH, 'compose', '-p', `${name}${tag}`, '-f', join(pr.dir, 'compose.yaml'), ...args], {
    env: { ...process.env, DOCKER_HOST: d.host },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  proc.stdout!.on('data', (c: Buffer) => {
    text += c.toString();
  });
  proc.stderr!.on('data', (c: Buffer) => {
    text += c.toString();
  });
  const exit = new Promise<number>((resolve) => proc.on('close', (code, sig) => resolve(code ?? (sig ? 128 : 1))));
  const killer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
  void exit.then(() => clearTimeout(killer));
  const waitFor = async (re: RegExp, ms: number) => {
    const deadline = Date.now() + ms;
    while (!re.test(text)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { proc, out: () => text, waitFor, exit };
}

test('attached up: prefixed logs, --exit-code-from, and Ctrl-C stops the project gracefully', { skip }, async () => {
  const pr = project(
    'att',
    `services:
  job:
    image: busybox
    command: ["sh", "-c", "echo working; sleep 1; echo done; exit 3"]
  side:
    image: busybox
    init: true
    command: ["sh", "-c", "echo side-up; exec sleep 600"]
`,
  );
  const r = await pr.compose('up', '--no-color', '--exit-code-from', 'job');
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /^Attaching to /m);
  assert.match(r.stdout, /^job-1 +\| working$/m);
  assert.match(r.stdout, /^job-1 +\| done$/m);
  assert.match(r.stdout, /^job-1 exited with code 3$/m);
  assert.match(r.stdout, /Aborting on container exit/);
  assert.equal(ok(await pr.compose('ps', '-q')).stdout.trim(), '', 'every container was stopped');

  const up = spawnCompose(pr, 'att', ['up', '--no-color', 'side']);
  await up.waitFor(/side-1 +\| side-up/, 60_000);
  up.proc.kill('SIGINT');
  await up.waitFor(/Gracefully stopping/, 10_000);
  assert.equal(await up.exit, 130);
  assert.equal(ok(await pr.compose('ps', '-q')).stdout.trim(), '');
  ok(await pr.compose('down'));
});

test('watch: sync copies a changed file into the running container; rebuild recreates it with a new image', { skip }, async () => {
  const pr = project('wat', '');
  mkdirSync(join(pr.dir, 'app'));
  writeFileSync(join(pr.dir, 'app', 'page.txt'), 'v1\n');
  writeFileSync(join(pr.dir, 'Dockerfile'), 'FROM busybox\nCOPY version /version\n');
  writeFileSync(join(pr.dir, 'version'), 'image-1\n');
  pr.write(`services:
  web:
    build: .
    init: true
    command: ["sleep", "600"]
    develop:
      watch:
        - path: ./app
          action: sync
          target: /srv/app
          ignore: ["*.tmp"]
        - path: ./version
          action: rebuild
`);
  const w = spawnCompose(pr, 'wat', ['watch']);
  try {
    await w.waitFor(/Watch enabled/, 90_000);
    const firstId = ok(await pr.compose('ps', '-q', 'web')).stdout.trim();
    writeFileSync(join(pr.dir, 'app', 'page.txt'), 'v2\n');
    await w.waitFor(/Syncing service "web" after 1 changes were detected/, 20_000);
    let seen = '';
    for (let i = 0; i < 50 && seen !== 'v2'; i++) {
      seen = (await pr.compose('exec', '-T', 'web', 'cat', '/srv/app/page.txt')).stdout.trim();
      if (seen !== 'v2') await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(seen, 'v2');
    writeFileSync(join(pr.dir, 'version'), 'image-2\n');
    await w.waitFor(/service "web" successfully built/, 60_000);
    const newId = ok(await pr.compose('ps', '-q', 'web')).stdout.trim();
    assert.notEqual(newId, firstId, 'the rebuild recreated the container');
    assert.equal(ok(await pr.compose('exec', '-T', 'web', 'cat', '/version')).stdout.trim(), 'image-2');
  } finally {
    w.proc.kill('SIGINT');
    await w.exit;
    ok(await pr.compose('down', '--rmi', 'local'));
  }
});

test('a host port clash and a missing external network are reported before anything is created', { skip }, async () => {
  const clash = project(
    'clash',
    `services:
  a:
    image: busybox
    ports: ["127.0.0.1:18080:80"]
  b:
    image: busybox
    ports: ["18080:80"]
`,
  );
  const r = await clash.compose('up', '-d');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /services "a" and "b" both publish host port 18080\/tcp/);
  const ext = project(
    'ext',
    `services:
  a:
    image: busybox
    networks: [outside]
networks:
  outside:
    external: true
    name: nonexistent-${tag}
`,
  );
  const e = await ext.compose('up', '-d');
  assert.equal(e.code, 1);
  assert.match(e.stderr, new RegExp(`network nonexistent-${tag} declared as external, but could not be found`));
  for (const p of ['clash', 'ext']) assert.equal(ok(await d.berth(['ps', '-aq', '--filter', `label=com.docker.compose.project=${p}${tag}`])).stdout.trim(), '');
  assert.doesNotMatch(ok(await d.berth(['network', 'ls'])).stdout, new RegExp(`(clash|ext)${tag}`));
});

test('compose build, push to a Berth registry, and pull back', { skip }, async () => {
  const { BerthRegistry } = await import('../registry/berth-registry.js');
  const reg = await BerthRegistry.start();
  try {
    const image = `${reg.host}/team/app${tag}:1`;
    const pr = project('reg', '');
    writeFileSync(join(pr.dir, 'Dockerfile'), 'FROM busybox\nRUN echo built > /built\n');
    pr.write(`services:\n  app:\n    build: .\n    image: ${image}\n    command: ["cat", "/built"]\n`);
    ok(await pr.compose('build'));
    const pushed = ok(await pr.compose('push'));
    assert.match(pushed.stderr, new RegExp(`Image ${image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} {2}Pushed`));
    ok(await d.berth(['rmi', image]));
    ok(await pr.compose('pull'));
    const r = await pr.compose('run', '--rm', '-T', 'app');
    assert.equal(r.stdout.trim(), 'built', r.stderr);
    ok(await pr.compose('down', '--rmi', 'all'));
  } finally {
    await reg.stop();
  }
});
