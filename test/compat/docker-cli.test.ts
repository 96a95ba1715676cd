// The real docker CLI (28.x) against berthd: the CLI is the judge of wire compatibility, so each
// test drives the commands people type and checks what they print and how they exit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, writeFile, rm, readdir } from 'node:fs/promises';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon, run, type RunResult } from '../support/daemon.js';
import { requiresRoot } from '../support/requires-root.js';

function hasDocker(): boolean {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
// For programs that never read stdin (tmux, script): support's run() writes to their stdin.
const cmd = (file: string, args: string[], env?: NodeJS.ProcessEnv) => promisify(execFile)(file, args, { env: env ?? process.env, timeout: 20_000 });
const skip = requiresRoot('real crun, overlayfs, cgroups') || (!hasDocker() ? 'the docker CLI is not on the PATH' : false);
const tag = `${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
let d: TestDaemon;
let work: string;

const dk = (args: string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<RunResult> => d.docker(args, { timeoutMs: 20_000, ...opts });

/** Asserts exit 0 and returns the result; the message carries the command and its stderr. */
async function ok(args: string[], opts: { input?: string | Buffer } = {}): Promise<RunResult> {
  const r = await dk(args, opts);
  assert.equal(r.code, 0, `docker ${args.join(' ')} exited ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`);
  return r;
}
function why(args: string[], r: RunResult): string {
  return `docker ${args.join(' ')} (exit ${r.code})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
}
async function expectOut(args: string[], expected: string | RegExp, opts: { input?: string; code?: number } = {}): Promise<RunResult> {
  const r = await dk(args, opts);
  assert.equal(r.code, opts.code ?? 0, why(args, r));
  if (typeof expected === 'string') assert.equal(r.stdout, expected, why(args, r));
  else assert.match(r.stdout, expected, why(args, r));
  return r;
}
async function until(what: string, f: () => Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}
// A container that stops promptly on SIGTERM (busybox sleep as PID 1 ignores it).
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64' };
const LOOP = ['sh', '-c', 'trap "exit 0" TERM; echo ready; while true; do sleep 0.1; done'];

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  work = await mkdtemp(join(tmpdir(), 'berth-compat-cli-'));
  await d.start();
  await d.importBusybox();
});

after(async () => {
  if (d) await d.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test('docker run: output, exit codes, env, workdir, user, entrypoint, stdin, --rm', { skip }, async () => {
  await expectOut(['run', '--rm', 'busybox', 'echo', 'hello'], 'hello\n');
  const three = await dk(['run', '--rm', 'busybox', 'sh', '-c', 'echo bad >&2; exit 3']);
  assert.equal(three.code, 3, why(['run', 'exit 3'], three));
  assert.equal(three.stderr, 'bad\n');
  const missing = await dk(['run', '--rm', 'busybox', 'no-such-cmd']);
  assert.equal(missing.code, 127, why(['run', 'no-such-cmd'], missing));
  assert.match(missing.stderr, /executable file not found/);
  await expectOut(
    ['run', '--rm', '-e', 'A=1', '-e', 'B=two words', '-w', '/tmp', '-u', '1000:1001', 'busybox', 'sh', '-c', 'echo "$A|$B|$(pwd)|$(id -u):$(id -g)"'],
    '1|two words|/tmp|1000:1001\n',
  );
  await expectOut(['run', '--rm', '--entrypoint', '/bin/echo', 'busybox', 'via', 'entrypoint'], 'via entrypoint\n');
  await expectOut(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'wc -c; tr a-z A-Z < /dev/null'], /^\s*11\n$/, { input: 'hello world' });
  await expectOut(['run', '--rm', '-i', 'busybox', 'tr', 'a-z', 'A-Z'], 'PIPED\n', { input: 'piped\n' });
  const named = `named-${tag}`;
  await expectOut(['run', '--name', named, 'busybox', 'hostname'], /^[0-9a-f]{12}\n$/);
  await expectOut(['inspect', '-f', '{{.Name}} {{.State.Status}} {{.State.ExitCode}}', named], `/${named} exited 0\n`);
  await ok(['rm', named]);
  await expectOut(['ps', '-aq'], '', {});
});

test('docker run -d, ps (-a, -q, --filter, --format), logs (-t, --tail, --since)', { skip }, async () => {
  const name = `logs-${tag}`;
  const r = await ok([
    'run',
    '-d',
    '--name',
    name,
    'busybox',
    'sh',
    '-c',
    'echo one; echo err1 >&2; sleep 1; echo two; trap "exit 0" TERM; while true; do sleep 0.1; done',
  ]);
  const id = r.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await expectOut(['ps', '-q', '--filter', `name=${name}`], new RegExp(`^${id.slice(0, 12)}\n$`));
  await expectOut(
    ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.Image}} {{.Command}}'],
    `${id} ${name} busybox "sh -c 'echo one; echo err1 >&2; sleep 1; echo two; trap \\"exit 0\\" TERM; while true; do sleep 0.1; done'"\n`,
  );
  await expectOut(['ps', '--filter', `name=${name}`, '--format', '{{.Names}}|{{.Status}}'], new RegExp(`^${name}\\|Up .+\n$`));
  await expectOut(['ps', '--filter', 'name=nothing-matches', '-q'], '');
  await expectOut(['ps', '--filter', 'status=running', '--filter', `id=${id.slice(0, 12)}`, '--format', '{{.State}}'], 'running\n');
  await until('second log line', async () => (await dk(['logs', name])).stdout.includes('two'));
  const logs = await ok(['logs', name]);
  assert.equal(logs.stdout, 'one\ntwo\n');
  assert.equal(logs.stderr, 'err1\n');
  const tail = await ok(['logs', '--tail', '1', name]);
  assert.equal(tail.stdout + tail.stderr, 'two\n', why(['logs', '--tail', '1'], tail));
  const stamped = await ok(['logs', '-t', name]);
  const m = /^(\S+) two$/m.exec(stamped.stdout);
  assert.ok(m && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/.test(m[1]!), why(['logs', '-t'], stamped));
  // --since a point between "one" and "two" (a second apart) keeps only "two".
  const since = new Date(Date.parse(m![1]!) - 300).toISOString();
  const sinceOut = await ok(['logs', '--since', since, name]);
  assert.equal(sinceOut.stdout, 'two\n', why(['logs', '--since', since], sinceOut));
  assert.equal(sinceOut.stderr, '');
  await expectOut(['logs', '--since', '2999-01-01T00:00:00Z', name], '');
  await ok(['stop', '-t', '5', name]);
  await expectOut(['ps', '-a', '--filter', `name=${name}`, '--format', '{{.Status}}'], /^Exited \(0\) .+ ago\n$/);
  await ok(['rm', name]);
});

test('docker exec: env, user, workdir, stdin, exit code', { skip }, async () => {
  const name = `exec-${tag}`;
  await ok(['run', '-d', '--name', name, '-e', 'BASE=b', ...['busybox', ...LOOP]]);
  await expectOut(['exec', '-e', 'X=1', '-u', '1000', '-w', '/tmp', name, 'sh', '-c', 'echo $BASE $X $(id -u) $(pwd)'], 'b 1 1000 /tmp\n');
  await expectOut(['exec', '-i', name, 'sh', '-c', 'cat; echo done'], 'in\ndone\n', { input: 'in\n' });
  const code = await dk(['exec', name, 'sh', '-c', 'echo out; exit 4']);
  assert.equal(code.code, 4, why(['exec', 'exit 4'], code));
  assert.equal(code.stdout, 'out\n');
  // dockerd hijacks first, writes the start error into the stream and records exit code 126
  // (newer versions 127); the CLI then exits with the inspected code.
  const nf = await dk(['exec', name, 'no-such-cmd']);
  assert.ok(nf.code === 126 || nf.code === 127, why(['exec', 'no-such-cmd'], nf));
  assert.match(nf.stdout + nf.stderr, /executable file not found/, why(['exec', 'no-such-cmd'], nf));
  const notRunning = `exec-stopped-${tag}`;
  await ok(['create', '--name', notRunning, 'busybox', 'true']);
  const bad = await dk(['exec', notRunning, 'true']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /is not running/, why(['exec', notRunning], bad));
  await ok(['rm', '-f', name, notRunning]);
});

test('lifecycle: stop, kill, restart, pause, unpause, wait, rename, update, rm -f', { skip }, async () => {
  const name = `life-${tag}`;
  await ok(['run', '-d', '--name', name, 'busybox', ...LOOP]);
  await ok(['pause', name]);
  await expectOut(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', name], 'paused true\n');
  const pausedExec = await dk(['exec', name, 'true']);
  assert.notEqual(pausedExec.code, 0, 'exec in a paused container fails');
  await ok(['unpause', name]);
  await expectOut(['inspect', '-f', '{{.State.Status}}', name], 'running\n');
  const renamed = `life2-${tag}`;
  await ok(['rename', name, renamed]);
  await expectOut(['inspect', '-f', '{{.Name}}', renamed], `/${renamed}\n`);
  const gone = await dk(['inspect', name]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /No such object/, why(['inspect', name], gone));
  await ok(['update', '--memory', '64m', '--memory-swap', '128m', renamed]);
  await expectOut(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', renamed], '67108864 134217728\n');
  await expectOut(['exec', renamed, 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max'], '67108864\n');
  const pid1 = (await ok(['inspect', '-f', '{{.State.Pid}}', renamed])).stdout.trim();
  await ok(['restart', '-t', '5', renamed]);
  const pid2 = (await ok(['inspect', '-f', '{{.State.Pid}} {{.State.Running}} {{.RestartCount}}', renamed])).stdout.trim();
  assert.notEqual(pid2.split(' ')[0], pid1, 'restart started a new process');
  assert.equal(pid2.split(' ')[1], 'true');
  const waiting = dk(['wait', renamed]);
  await new Promise((r) => setTimeout(r, 200));
  await ok(['kill', renamed]);
  const w = await waiting;
  assert.equal(w.stdout, '137\n', why(['wait', renamed], w));
  await expectOut(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', renamed], 'exited 137\n');
  await ok(['start', renamed]);
  await ok(['stop', '-t', '5', renamed]);
  await expectOut(['inspect', '-f', '{{.State.ExitCode}}', renamed], '0\n');
  await ok(['start', renamed]);
  await expectOut(['rm', '-f', renamed], `${renamed}\n`);
  const rmMissing = await dk(['rm', renamed]);
  assert.equal(rmMissing.code, 1);
  assert.match(rmMissing.stderr, /No such container/, why(['rm', renamed], rmMissing));
});

test('inspect -f fields, top, stats --no-stream', { skip }, async () => {
  const name = `insp-${tag}`;
  const id = (await ok(['run', '-d', '--name', name, '-e', 'K=v', '-w', '/tmp', '-u', '0', '--label', 'l1=x', 'busybox', ...LOOP])).stdout.trim();
  await expectOut(
    [
      'inspect',
      '-f',
      '{{.Id}}|{{.Name}}|{{.Config.Image}}|{{.State.Running}}|{{.Config.WorkingDir}}|{{.Config.User}}|{{index .Config.Labels "l1"}}|{{.HostConfig.NetworkMode}}',
      name,
    ],
    `${id}|/${name}|busybox|true|/tmp|0|x|bridge\n`,
  );
  await expectOut(['inspect', '-f', '{{json .Config.Cmd}}', name], `${JSON.stringify(LOOP.slice(0, 1).concat(LOOP.slice(1)))}\n`);
  await expectOut(['inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', name], /^K=v$/m);
  await expectOut(['inspect', '--type', 'container', '-f', '{{.State.Pid}}', name], /^[1-9]\d*\n$/);
  const full = JSON.parse((await ok(['inspect', name])).stdout) as Array<Record<string, unknown>>;
  assert.equal(full.length, 1);
  assert.equal(full[0]!.Id, id);
  const top = await ok(['top', name]);
  assert.match(top.stdout, /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD\n/, why(['top'], top));
  assert.match(top.stdout, /sh -c trap/);
  const topArgs = await ok(['top', name, '-o', 'pid,comm']);
  assert.match(topArgs.stdout, /^\s*PID\s+COMMAND\n/, why(['top', '-o'], topArgs));
  const stats = await ok(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}} {{.MemUsage}}', name]);
  assert.match(stats.stdout, new RegExp(`^${name} [1-9]\\d* \\d[\\d.]*\\w*B / \\d[\\d.]*\\w*B\n$`), why(['stats'], stats));
  await ok(['rm', '-f', name]);
});

test('cp both ways: files, directories and tar streams', { skip }, async () => {
  const name = `cp-${tag}`;
  await ok(['run', '-d', '--name', name, 'busybox', ...LOOP]);
  const src = join(work, 'src');
  await mkdir(join(src, 'dir', 'sub'), { recursive: true });
  await writeFile(join(src, 'file.txt'), 'file-data\n');
  await writeFile(join(src, 'dir', 'sub', 'nested.txt'), 'nested\n');
  await ok(['cp', join(src, 'file.txt'), `${name}:/tmp/`]);
  await ok(['cp', join(src, 'dir'), `${name}:/tmp/copied`]);
  await expectOut(['exec', name, 'sh', '-c', 'cat /tmp/file.txt /tmp/copied/sub/nested.txt'], 'file-data\nnested\n');
  const out = join(work, 'out');
  await mkdir(out);
  await ok(['cp', `${name}:/tmp/copied`, out]);
  assert.equal(await readFile(join(out, 'copied', 'sub', 'nested.txt'), 'utf8'), 'nested\n');
  await ok(['cp', `${name}:/tmp/file.txt`, join(out, 'renamed.txt')]);
  assert.equal(await readFile(join(out, 'renamed.txt'), 'utf8'), 'file-data\n');
  // `-` as the destination writes a tar of the path to stdout.
  const tarOut = await ok(['cp', `${name}:/tmp/copied`, '-']);
  const listed = (await run('tar', ['-t'], { input: tarOut.stdout })).stdout
    .split('\n')
    .filter(Boolean)
    .map((p) => p.replace(/\/$/, ''))
    .sort();
  assert.deepEqual(listed, ['copied', 'copied/sub', 'copied/sub/nested.txt']);
  // `-` as the source extracts a tar read from stdin.
  const tarIn = execFileSync('tar', ['-C', src, '-c', 'file.txt', 'dir'], { maxBuffer: 1 << 26 });
  await ok(['cp', '-', `${name}:/etc/`], { input: tarIn });
  await expectOut(['exec', name, 'sh', '-c', 'cat /etc/file.txt /etc/dir/sub/nested.txt'], 'file-data\nnested\n');
  const missing = await dk(['cp', `${name}:/no/such/path`, out]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /Could not find the file \/no\/such\/path in container/, why(['cp', 'missing'], missing));
  assert.deepEqual((await readdir(out)).sort(), ['copied', 'renamed.txt']);
  await ok(['rm', '-f', name]);
});

test('commit, images, image inspect, history, tag, rmi, save, load, import, image prune', { skip }, async () => {
  const name = `commit-${tag}`;
  await ok(['run', '--name', name, 'busybox', 'sh', '-c', 'echo committed > /marker']);
  const imgId = (await ok(['commit', '-m', 'a message', '-c', 'ENV FOO=bar', '-c', 'CMD ["cat","/marker"]', name, `committed:${tag}`])).stdout.trim();
  assert.match(imgId, /^sha256:[0-9a-f]{64}$/);
  await expectOut(['run', '--rm', `committed:${tag}`], 'committed\n');
  await expectOut(['run', '--rm', `committed:${tag}`, 'sh', '-c', 'echo $FOO'], 'bar\n');
  await ok(['rm', name]);
  await expectOut(['images', '--format', '{{.Repository}}:{{.Tag}}'], new RegExp(`^committed:${tag}$`, 'm'));
  await expectOut(['images', '-q', '--no-trunc', `committed:${tag}`], `${imgId}\n`);
  await expectOut(
    ['image', 'inspect', '-f', '{{.Id}} {{index .RepoTags 0}} {{.Os}} {{.Architecture}} {{len .RootFS.Layers}} {{.Comment}}', `committed:${tag}`],
    `${imgId} committed:${tag} linux ${GO_ARCH[process.arch] ?? process.arch} 2 a message\n`,
  );
  await expectOut(['image', 'inspect', '-f', '{{json .Config.Cmd}} {{json .Config.Env}}', `committed:${tag}`], /^\["cat","\/marker"\] \[.*"FOO=bar".*\]\n$/);
  const hist = await ok(['history', '--no-trunc', '--format', '{{.ID}}|{{.Comment}}', `committed:${tag}`]);
  assert.equal(hist.stdout.split('\n')[0], `${imgId}|a message`, why(['history'], hist));
  assert.equal(hist.stdout.trim().split('\n').length, 2);
  await ok(['tag', `committed:${tag}`, `other/repo:${tag}`]);
  await expectOut(['image', 'inspect', '-f', '{{.Id}}', `other/repo:${tag}`], `${imgId}\n`);
  await expectOut(['rmi', `other/repo:${tag}`], `Untagged: other/repo:${tag}\n`);
  const saved = join(work, 'saved.tar');
  await ok(['save', '-o', saved, `committed:${tag}`]);
  const tarNames = execFileSync('tar', ['-tf', saved], { maxBuffer: 1 << 26 }).toString();
  assert.match(tarNames, /^manifest\.json$/m);
  assert.match(tarNames, /^index\.json$/m);
  const rmi = await ok(['rmi', `committed:${tag}`]);
  assert.match(rmi.stdout, new RegExp(`Untagged: committed:${tag}\nDeleted: ${imgId}\n`));
  await expectOut(['load', '-i', saved], `Loaded image: committed:${tag}\n`);
  await expectOut(['image', 'inspect', '-f', '{{.Id}}', `committed:${tag}`], `${imgId}\n`);
  await expectOut(['load'], `Loaded image: committed:${tag}\n`, { input: (await readFile(saved)) as unknown as string });
  // An image a container uses cannot be removed without -f (409, Docker's message).
  const user = (await ok(['create', `committed:${tag}`])).stdout.trim();
  const inUse = await dk(['rmi', `committed:${tag}`]);
  assert.equal(inUse.code, 1, why(['rmi', 'in use'], inUse));
  assert.match(inUse.stderr, /conflict: unable to (remove repository reference|delete)/, why(['rmi', 'in use'], inUse));
  await ok(['rm', user]);
  const rootfsTar = execFileSync('tar', ['-C', join(d.dir, 'rootfs'), '-c', '.'], { maxBuffer: 1 << 26 });
  const imported = await ok(['import', '-c', 'ENV IMPORTED=1', '-m', 'from tar', '-', `imported:${tag}`], { input: rootfsTar });
  assert.match(imported.stdout, /^sha256:[0-9a-f]{64}\n$/);
  await expectOut(['run', '--rm', `imported:${tag}`, 'sh', '-c', 'echo $IMPORTED'], '1\n');
  await ok(['rmi', `imported:${tag}`]);
  // A dangling image: untag the committed one after tagging nothing else.
  await ok(['rmi', `committed:${tag}`]);
  await expectOut(['image', 'prune', '-f'], /Total reclaimed space: /);
  const notFound = await dk(['image', 'inspect', `nope:${tag}`]);
  assert.equal(notFound.code, 1);
  assert.match(notFound.stderr, new RegExp(`No such image: nope:${tag}`), why(['image', 'inspect', 'nope'], notFound));
});

test('system df, info, version', { skip }, async () => {
  await expectOut(['system', 'df', '--format', '{{.Type}}'], 'Images\nContainers\nLocal Volumes\nBuild Cache\n');
  const info = await ok(['info', '--format', '{{.Driver}}|{{.OSType}}|{{.NCPU}}|{{.ServerVersion}}|{{.DockerRootDir}}']);
  assert.match(info.stdout, new RegExp(`^overlay2\\|linux\\|\\d+\\|\\S+\\|${d.dataRoot}\n$`));
  const plain = await ok(['info']);
  assert.doesNotMatch(plain.stderr, /error/i, why(['info'], plain));
  assert.match(plain.stdout, /Server Version: /);
  const v = await ok(['version', '--format', '{{.Server.Version}}|{{.Server.APIVersion}}|{{.Server.MinAPIVersion}}|{{.Server.Os}}']);
  assert.match(v.stdout, /^\S+\|1\.45\|1\.\d+\|linux\n$/);
  const plainV = await ok(['version']);
  assert.match(plainV.stdout, /Server: /);
  assert.doesNotMatch(plainV.stdout, /Git commit:\s*\n\s*Built:\s*\n/, 'the Engine component fills GitCommit/BuildTime');
});

test('events bounded by --since/--until, container prune', { skip }, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const name = `ev-${tag}`;
  await ok(['run', '--name', name, 'busybox', 'true']);
  await ok(['rm', name]);
  const untilTs = Math.floor(Date.now() / 1000) + 1;
  const ev = await ok([
    'events',
    '--since',
    String(since),
    '--until',
    String(untilTs),
    '--filter',
    `container=${name}`,
    '--format',
    '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}',
  ]);
  const lines = ev.stdout.trim().split('\n');
  for (const a of ['create', 'start', 'die', 'destroy']) assert.ok(lines.includes(`container ${a} ${name}`), why(['events'], ev));
  assert.ok(lines.indexOf(`container create ${name}`) < lines.indexOf(`container destroy ${name}`));
  const js = await ok([
    'events',
    '--since',
    String(since),
    '--until',
    String(untilTs),
    '--filter',
    'event=die',
    '--filter',
    `container=${name}`,
    '--format',
    '{{json .}}',
  ]);
  const die = JSON.parse(js.stdout.trim().split('\n')[0]!) as { Actor: { Attributes: Record<string, string> }; timeNano: number };
  assert.equal(die.Actor.Attributes.exitCode, '0');
  assert.ok(die.timeNano > 0);

  // Start from no containers so the prune result is exact even after an earlier test failed.
  const left = (await ok(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (left.length) await ok(['rm', '-f', ...left]);
  const a = `prune-a-${tag}`;
  await ok(['create', '--name', a, 'busybox', 'true']);
  const keep = `prune-keep-${tag}`;
  await ok(['run', '-d', '--name', keep, 'busybox', ...LOOP]);
  const pr = await ok(['container', 'prune', '-f']);
  assert.match(pr.stdout, /Deleted Containers:\n[0-9a-f]{64}\n/, why(['container', 'prune'], pr));
  await expectOut(['ps', '-a', '--format', '{{.Names}}'], `${keep}\n`);
  await ok(['rm', '-f', keep]);
});

test('docker run -t and -it under a terminal (tmux): prompt, stty size, exit code', { skip }, async (t) => {
  if (
    !(await cmd('tmux', ['-V']).then(
      () => true,
      () => false,
    ))
  )
    return t.skip('tmux is not installed');
  const session = `berth-tty-${tag}`;
  const codeFile = join(work, 'tty-exit');
  const env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') };
  const envArgs = ['-e', `DOCKER_HOST=${d.host}`, '-e', `DOCKER_CONFIG=${join(d.dir, 'docker-config')}`];
  const shell = `docker run --rm -it busybox sh; echo $? > ${codeFile}; sleep 30`;
  await cmd('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '30', ...envArgs, shell], env);
  const pane = async (): Promise<string> => (await cmd('tmux', ['capture-pane', '-p', '-t', session])).stdout;
  try {
    await until('the shell prompt', async () => /^\/ #/m.test(await pane()), 10_000);
    await cmd('tmux', ['send-keys', '-t', session, 'stty size; echo tty-$((6*7))', 'Enter']);
    await until('stty output', async () => /tty-42/.test(await pane()), 5000);
    assert.match(await pane(), /^30 100$/m, 'the container terminal has the client window size');
    await cmd('tmux', ['send-keys', '-t', session, 'exit 9', 'Enter']);
    await until('exit code file', async () => (await readFile(codeFile, 'utf8').catch(() => '')).trim() !== '', 10_000);
    assert.equal((await readFile(codeFile, 'utf8')).trim(), '9');
  } finally {
    await cmd('tmux', ['kill-session', '-t', session]).catch(() => {});
  }
  // -t without -i under `script`: output comes through the container pty, and the exit code passes through.
  const sc = await cmd('script', ['-qec', `docker run --rm -t busybox sh -c 'tty; exit 6'`, '/dev/null'], env).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
  assert.equal(sc.code, 6, `script docker run -t: ${sc.stdout} ${sc.stderr}`);
  assert.match(sc.stdout, /\/dev\/pts\/\d+\r+\n/); // the outer pty adds its own \r
});

test('docker wait on an already exited container answers (and the daemon survives)', { skip }, async () => {
  const name = `waited-${tag}`;
  await expectOut(['run', '--name', name, 'busybox', 'sh', '-c', 'exit 2'], '', { code: 2 });
  await expectOut(['wait', name], '2\n');
  await new Promise((r) => setTimeout(r, 200));
  await expectOut(['inspect', '-f', '{{.State.ExitCode}}', name], '2\n');
  await ok(['rm', name]);
});
