// The berth CLI against the real docker CLI 28 as its oracle: the same berthd, the same state,
// the same command line; stdout, stderr and the exit code must be equal. Only the program name
// is normalised ("berth" → "docker"), and relative times ("3 seconds ago") only when a second
// boundary flipped between the two runs twice in a row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, TestDaemon, run, type RunResult } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';

function hasDocker(): boolean {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = requiresRoot() || (!hasDocker() ? 'needs the docker CLI on the PATH' : false);
let d: TestDaemon;
let work: string;
let t0 = '';
let t1 = '';

interface Case {
  args: string[];
  /** berth's own arguments when they must differ (names of per-side containers). */
  berthArgs?: string[];
  input?: string;
  /** Replace these in berth's output before comparing (its per-side names → docker's). */
  map?: [string, string][];
}

const ok = (r: RunResult) => {
  assert.equal(r.code, 0, r.stderr);
  return r;
};
const TIME = /\b(?:Less than a second|About a minute|About an hour|\d+ (?:seconds?|minutes|hours))\b/g;

function normalise(s: string, map: [string, string][] = []): string {
  let out = s.replace(/(?<![\w/.-])berth(?![\w.-])/g, 'docker');
  for (const [a, b] of map) out = out.split(a).join(b);
  return out;
}
/** Relative times to a token and every run of 2+ spaces to one column gap. */
const loose = (s: string) => s.replace(TIME, 'T').replace(/ {2,}/g, '  ');

/** berth with the same environment the docker CLI gets (DOCKER_CONFIG shows in help texts). */
function berth(args: string[], input?: string): Promise<RunResult> {
  return run(process.execPath, [BERTH, ...args], { input, env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') } });
}

async function both(c: Case): Promise<[RunResult, RunResult]> {
  const dr = await d.docker(c.args, { input: c.input });
  const br = await berth(c.berthArgs ?? c.args, c.input);
  return [dr, { code: br.code, stdout: normalise(br.stdout, c.map), stderr: normalise(br.stderr, c.map) }];
}

function same(a: RunResult, b: RunResult, f: (s: string) => string = (s) => s): boolean {
  return a.code === b.code && f(a.stdout) === f(b.stdout) && f(a.stderr) === f(b.stderr);
}

/** Fails the case if berthd crashed (restarting it so the remaining cases still run). */
async function alive(when: string): Promise<void> {
  if (await d.ping().catch(() => false)) return;
  const log = d.logs
    .join('')
    .split('\n')
    .filter((l) => !/^\s+at /.test(l))
    .slice(-8)
    .join('\n');
  await d.kill('SIGKILL');
  d.logs.length = 0;
  await d.start();
  assert.fail(`berthd died ${when}:\n${log}`);
}

async function compare(c: Case): Promise<void> {
  await alive('before this case (late effect of an earlier one)');
  let [dr, br] = await both(c);
  await alive('during this case');
  if (!same(dr, br)) [dr, br] = await both(c); // a second boundary may have flipped
  if (same(dr, br) || same(dr, br, loose)) return;
  // The docker CLI prints the repositories of one image by iterating a Go map, in random
  // order; for image listings only the set of rows can be compared.
  const rows = (x: string) => x.split('\n').sort().join('\n');
  if (c.args[0] === 'images' && same(dr, br, (x) => rows(loose(x)))) return;
  assert.deepEqual(
    { code: br.code, stdout: br.stdout, stderr: br.stderr },
    { code: dr.code, stdout: dr.stdout, stderr: dr.stderr },
    `berth ${(c.berthArgs ?? c.args).join(' ')}`,
  );
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'berth-parity-'));
  d = await TestDaemon.create();
  await d.start();
  await d.importBusybox();
  t0 = String(Math.floor(Date.now() / 1000));
  ok(await d.berth(['tag', 'busybox:latest', 'myrepo/thing:v1']));
  ok(await d.berth(['tag', 'busybox', 'busybox:old']));
  ok(await d.berth(['run', '-d', '--name', 'web', '-l', 'app=web', '-l', 'tier=front', 'busybox', 'sleep', '1000']));
  assert.equal((await d.berth(['run', '--name', 'bad', '-l', 'app=bad', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3'])).code, 3);
  ok(await d.berth(['create', '--name', 'fresh', '-l', 'app=x', 'busybox', 'echo', 'hi']));
  ok(await d.berth(['run', '--name', 'good', 'busybox', 'sh', '-c', 'mkdir -p /data/sub && echo a > /data/a.txt && echo b > /data/sub/b.txt && echo hello']));
  // per-side containers for the commands that change state
  for (const side of ['d', 'b']) {
    ok(await d.berth(['run', '-d', '--name', `${side}-run1`, 'busybox', 'sleep', '1000']));
    ok(await d.berth(['run', '-d', '--name', `${side}-run2`, 'busybox', 'sleep', '1000']));
    ok(await d.berth(['create', '--name', `${side}-made`, 'busybox', 'true']));
  }
  t1 = String(Math.floor(Date.now() / 1000) + 1);
  await mkdir(join(work, 'd'), { recursive: true });
  await mkdir(join(work, 'b'), { recursive: true });
});

after(async () => {
  if (d) await d.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const FMT = '{{.Names}} {{.Image}} {{.Command}} {{.State}} {{.Labels}}';
const READ_ONLY: Case[] = [
  // listings, default tables and --format
  { args: ['ps'] },
  { args: ['ps', '-a'] },
  { args: ['ps', '-a', '--no-trunc'] },
  { args: ['ps', '-aq'] },
  { args: ['ps', '-a', '--format', FMT] },
  { args: ['ps', '-a', '--filter', 'label=app=web', '--format', '{{.Names}}'] },
  { args: ['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}} {{.Status}}'] },
  { args: ['ps', '-a', '--format', 'table {{.Names}}\t{{.Image}}\t{{.Labels}}'] },
  { args: ['ps', '--all=false'] },
  { args: ['ps', '-a', '--format', 'json'] },
  { args: ['container', 'ls', '-a', '-n', '2', '--format', '{{.Names}}'] },
  { args: ['images'] },
  { args: ['images', '-a'] },
  { args: ['images', '--no-trunc'] },
  { args: ['images', '-q'] },
  { args: ['images', 'busybox'] },
  { args: ['images', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}'] },
  { args: ['image', 'ls', '--filter', 'reference=myrepo/*'] },
  { args: ['history', 'busybox'] },
  { args: ['history', '--no-trunc', '--format', '{{.CreatedBy}} {{.Size}}', 'busybox'] },
  { args: ['top', 'web'] },
  { args: ['port', 'web'] },
  { args: ['stats', '--no-stream', '--format', '{{.Name}} {{.ID}} {{.PIDs}}', 'web'] },
  { args: ['inspect', '-f', '{{.Name}} {{.State.Status}} {{.State.ExitCode}} {{.Config.Labels}}', 'web', 'bad', 'fresh'] },
  { args: ['inspect', '--format', '{{json .Config.Cmd}}', 'bad'] },
  { args: ['image', 'inspect', '-f', '{{.RepoTags}}', 'busybox'] },
  { args: ['container', 'inspect', '-f', '{{.Config.Image}}', 'good'] },
  { args: ['version', '-f', '{{.Server.Version}} {{.Server.APIVersion}}'] },
  { args: ['info', '-f', '{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} {{.Images}}'] },
  { args: ['logs', 'bad'] },
  { args: ['logs', '--tail', '1', 'bad'] },
  { args: ['logs', '-n', '0', 'good'] },
  { args: ['cp', 'good:/data/a.txt', '-'] }, // tar bytes differ in mtimes? compared exactly: same daemon answer
  // help
  { args: ['--help'] },
  { args: ['help'] },
  { args: [] },
  { args: ['run', '--help'] },
  { args: ['ps', '--help'] },
  { args: ['ps', '-h'] },
  { args: ['help', 'ps'] },
  { args: ['container', 'ls', '--help'] },
  { args: ['container'] },
  { args: ['image', '--help'] },
  { args: ['exec', '--help'] },
  { args: ['cp', '--help'] },
  { args: ['images', '--help'] },
  { args: ['logs', '--help'] },
  // usage errors
  { args: ['ps', '--bogus'] },
  { args: ['ps', '-z'] },
  { args: ['ps', '-ax'] },
  { args: ['ps', '-n'] },
  { args: ['ps', '-n', 'x'] },
  { args: ['ps', 'extra'] },
  { args: ['images', 'a', 'b'] },
  { args: ['logs'] },
  { args: ['rm'] },
  { args: ['run'] },
  { args: ['exec', 'web'] },
  { args: ['port'] },
  { args: ['rename', 'x'] },
  { args: ['cp', 'a'] },
  { args: ['--bogus'] },
  { args: ['-H'] },
  { args: ['nosuchcmd'] },
  { args: ['container', 'nosuch'] },
  { args: ['help', 'nosuch'] },
  { args: ['ps', '--help=maybe'] },
  { args: ['run', '--memory', 'bogus', 'busybox', 'true'] },
  { args: ['run', '-p', 'abc', 'busybox', 'true'] },
  { args: ['run', '-p', '99999:80', 'busybox', 'true'] },
  { args: ['run', '-p', '80/xyz', 'busybox', 'true'] },
  { args: ['run', '--cpus', 'x', 'busybox', 'true'] },
  { args: ['run', '-a', 'bogus', 'busybox'] },
  { args: ['run', '-d', '-a', 'stdout', 'busybox'] },
  { args: ['run', '--rm', '--restart', 'always', 'busybox'] },
  { args: ['run', '--mount', 'x', 'busybox'] },
  // daemon errors
  { args: ['inspect', 'nosuch'] },
  { args: ['logs', 'nosuch'] },
  { args: ['start', 'nosuch'] },
  { args: ['stop', 'nosuch'] },
  { args: ['kill', 'nosuch', 'nosuch2'] },
  { args: ['rm', 'web'] },
  { args: ['exec', 'good', 'ls'] },
  { args: ['exec', 'fresh', 'ls'] },
  { args: ['create', '--name', 'web', 'busybox', 'true'] },
  { args: ['run', '--name', 'web', 'busybox', 'true'] },
  { args: ['run', 'Busybox:TAG!'] },
  { args: ['run', 'busybox:TAG!'] },
  { args: ['create', 'UPPER'] },
  { args: ['pull', 'Busybox:TAG!'] },
  { args: ['tag', 'busybox', 'Busybox:x'] },
  { args: ['run', 'nosuchimage'] },
  { args: ['create', 'nosuchimage'] },
  { args: ['import', 'nosuchfile'] },
  { args: ['port', 'web', '80'] },
  { args: ['top', 'good'] },
  { args: ['rmi', 'nosuch'] },
  { args: ['history', 'nosuch'] },
  // running things that do not change the state
  { args: ['exec', 'web', 'echo', 'hi'] },
  { args: ['exec', 'web', 'sh', '-c', 'exit 4'] },
  { args: ['exec', '-i', 'web', 'cat'], input: 'piped\n' },
  { args: ['exec', '-e', 'A=1', '-w', '/tmp', 'web', 'sh', '-c', 'echo $A $PWD'] },
];

// the setup's events, in a closed window (the window is only known once before() ran)
const EVENTS: string[][] = [
  [],
  ['--format', '{{json .}}'],
  ['--filter', 'event=start'],
  ['--format', '{{.TimeNano}} {{.Type}} {{.Action}} {{.Actor.Attributes}} {{.ID}}'],
];
for (const extra of EVENTS) {
  test(`parity: docker events --since T0 --until T1 ${extra.join(' ')}`, { skip }, async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, Number(t1) * 1000 - Date.now() + 50)));
    await compare({ args: ['events', '--since', t0, '--until', t1, ...extra] });
  });
}

for (const c of READ_ONLY) {
  test(`parity: docker ${c.args.join(' ')}`, { skip }, async () => compare(c));
}

const PER_SIDE: { d: string[]; b: string[]; input?: string }[] = [
  { d: ['stop', '-t', '1', 'd-run1', 'nosuch'], b: ['stop', '-t', '1', 'b-run1', 'nosuch'] },
  { d: ['kill', 'd-run2', 'nosuch'], b: ['kill', 'b-run2', 'nosuch'] },
  { d: ['rm', '-f', 'd-made', 'nosuch'], b: ['rm', '-f', 'b-made', 'nosuch'] },
  { d: ['run', '--rm', 'busybox', 'sh', '-c', 'echo x; exit 2'], b: ['run', '--rm', 'busybox', 'sh', '-c', 'echo x; exit 2'] },
  { d: ['run', '--rm', '-i', 'busybox', 'cat'], b: ['run', '--rm', '-i', 'busybox', 'cat'], input: 'stdin data\n' },
];

for (const c of PER_SIDE) {
  test(`parity (own containers): docker ${c.d.join(' ')}`, { skip }, async () => {
    const map: [string, string][] = [['b-', 'd-']];
    const dr = await d.docker(c.d, { input: c.input });
    const br = await d.berth(c.b, { input: c.input });
    assert.deepEqual({ code: br.code, stdout: normalise(br.stdout, map), stderr: normalise(br.stderr, map) }, dr);
  });
}

test('parity: cp directory semantics and tar streams', { skip }, async () => {
  const cases: [string, string][] = [
    ['good:/data', '%/new'],
    ['good:/data', '%/existing'],
    ['good:/data/.', '%/dot'],
    ['good:/data/a.txt', '%/existing'],
    ['good:/data/a.txt', '%/renamed.txt'],
    ['good:/data/sub/', '%/existing'],
    ['good:/nosuch', '%/x'],
  ];
  for (const [src, dst] of cases) {
    for (const side of ['d', 'b']) await mkdir(join(work, side, 'existing'), { recursive: true });
    const dr = await d.docker(['cp', src, dst.replace('%', join(work, 'd'))]);
    const br = await d.berth(['cp', src, dst.replace('%', join(work, 'b'))]);
    assert.deepEqual({ ...br, stderr: normalise(br.stderr, [[join(work, 'b'), join(work, 'd')]]) }, dr, `cp ${src} ${dst}`);
  }
  const tree = (side: string) =>
    execFileSync('find', ['.'], { cwd: join(work, side) })
      .toString()
      .split('\n')
      .sort()
      .join('\n');
  assert.equal(tree('b'), tree('d'));
  // tar from stdin into a container, then read it back
  const tarball = execFileSync('tar', ['-C', join(work, 'd'), '-cf', '-', 'new']);
  const dr = await run('docker', ['cp', '-', 'web:/tmp'], { input: tarball, env: { ...process.env, DOCKER_HOST: d.host } });
  const br = await d.berth(['cp', '-', 'web:/root'], { input: tarball });
  assert.deepEqual({ ...br, stdout: br.stdout.replace('/root', '/tmp') }, dr);
  const ls = await d.berth(['exec', 'web', 'sh', '-c', 'cat /root/new/a.txt /tmp/new/sub/b.txt']);
  assert.equal(ls.stdout, 'a\nb\n');
});

// Last on purpose: berthd's ContainerService.wait leaves its "client gone" promise unhandled on
// its early-return paths (already stopped; start failed), so the client hanging up crashes the
// daemon. compare() restarts a crashed daemon so that the rest and after() still run.
const CRASHY: Case[] = [{ args: ['attach', 'good'] }, { args: ['wait', 'bad', 'good'] }, { args: ['run', 'busybox', 'nosuchcmd'] }];
for (const c of CRASHY) {
  test(`parity: docker ${c.args.join(' ')}`, { skip }, async () => {
    await compare(c);
  });
}

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('berth run -it: raw TTY follows SIGWINCH; ctrl-p ctrl-q detaches (run: exit 0, attach: "read escape sequence")', {
  skip: skip || (!hasTmux() && 'needs tmux'),
}, async () => {
  const session = `berth-parity-${process.pid}`;
  const name = `tty-${process.pid}`;
  const tmux = (...a: string[]) => execFileSync('tmux', a).toString();
  const pane = () => tmux('capture-pane', '-p', '-t', session);
  const until = async (re: RegExp, what: string) => {
    for (let i = 0; i < 60; i++) {
      if (re.test(pane())) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`${what}; pane:\n${pane()}`);
  };
  const env = `DOCKER_HOST=${d.host}`;
  const cmd = `${env} ${process.execPath} ${BERTH} run -it --name ${name} busybox sh; echo run-rc=$?; ${env} ${process.execPath} ${BERTH} attach ${name}; echo attach-rc=$?; sleep 30`;
  tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', cmd);
  try {
    await until(/^\/ #/m, 'no shell prompt');
    tmux('send-keys', '-t', session, 'stty size', 'Enter');
    await until(/^30 100$/m, 'stty size in the container should match the 100x30 pane');
    tmux('resize-window', '-t', session, '-x', '120', '-y', '40');
    await new Promise((r) => setTimeout(r, 300));
    tmux('send-keys', '-t', session, 'clear; stty size', 'Enter');
    await until(/^40 120$/m, 'stty size should follow the resize');
    tmux('send-keys', '-t', session, 'C-p', 'C-q');
    await until(/run-rc=0/, 'ctrl-p ctrl-q should end berth run with status 0');
    assert.match((await d.berth(['inspect', '-f', '{{.State.Running}}', name])).stdout, /true/);
    await new Promise((r) => setTimeout(r, 500));
    tmux('send-keys', '-t', session, 'C-p', 'C-q');
    await until(/read escape sequence\s+attach-rc=1/, 'attach detaches like docker 28: message and status 1');
  } finally {
    try {
      tmux('kill-session', '-t', session);
    } catch {
      /* gone */
    }
    await d.berth(['rm', '-f', name]);
  }
});

test('berth logs -f ends when the container exits', { skip }, async () => {
  const name = `follow-${process.pid}`;
  ok(await d.berth(['run', '-d', '--name', name, 'busybox', 'sh', '-c', 'echo one; sleep 1; echo two']));
  const started = Date.now();
  const r = await d.berth(['logs', '-f', name], { timeoutMs: 10_000 });
  assert.equal(r.stdout, 'one\ntwo\n');
  assert.equal(r.code, 0);
  assert.ok(Date.now() - started < 8000);
  await d.berth(['rm', '-f', name]);
});
