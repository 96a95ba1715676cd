// berthd spawns an exec's shim at exec create, ahead of the start (container/exec-service.ts):
// the start must run the exec exactly as before when that shim is gone or was made for an
// earlier run of the container, and no shim of it may be left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { useBusyboxDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before, after }, skip);

/** What a failure needs to be understood from CI's output alone. */
const daemonTail = () => `\n--- berthd log tail ---\n${d.logs.join('').split('\n').slice(-40).join('\n')}`;

/** The pids of berth-shim processes whose arguments name this exec (its state dir holds the id's first 16 characters). */
async function shimsOf(execId: string): Promise<number[]> {
  const pids: number[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const cmd = await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '');
    if (cmd.startsWith('berth-shim') && cmd.includes(execId.slice(0, 16))) pids.push(Number(p));
  }
  return pids;
}

async function execCreate(container: string, cmd: string[]): Promise<string> {
  const r = await d.api('POST', `/containers/${container}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true });
  assert.equal(r.status, 201, `exec create: ${r.text}${daemonTail()}`);
  return (r.json as { Id: string }).Id;
}

/** Starts detached and waits (bounded) for the exit code, as a client polling exec inspect does. */
async function execRun(execId: string): Promise<number> {
  const r = await d.api('POST', `/exec/${execId}/start`, { Detach: true });
  assert.equal(r.status, 200, `exec start: ${r.text}${daemonTail()}`);
  for (const end = Date.now() + 20_000; Date.now() < end; await sleep(50)) {
    const i = (await d.api('GET', `/exec/${execId}/json`)).json as { Running: boolean; ExitCode: number | null; Pid: number };
    if (!i.Running && i.ExitCode !== null && i.Pid > 0) return i.ExitCode;
  }
  assert.fail(`exec ${execId} did not end within 20 s${daemonTail()}`);
}

async function noShimLeft(execId: string): Promise<void> {
  let left: number[] = [];
  for (const end = Date.now() + 10_000; Date.now() < end; await sleep(50)) {
    left = await shimsOf(execId);
    if (left.length === 0) return;
  }
  assert.fail(`shims of exec ${execId} still running: ${left.join(', ')}${daemonTail()}`);
}

test('exec start after the shim spawned at create is gone, and after a restart of the container, runs the exec in the current run', { skip }, async () => {
  const c = expectOk(await d.berth(['run', '-d', 'busybox', 'sleep', '600'])).stdout.trim();

  // The shim spawned at create waits for the start; killed, the start spawns one of its own.
  const gone = await execCreate(c, ['sh', '-c', 'echo one > /tmp/one; exit 3']);
  let pids: number[] = [];
  for (const end = Date.now() + 10_000; pids.length === 0 && Date.now() < end; await sleep(20)) pids = await shimsOf(gone);
  assert.equal(pids.length, 1, `one shim spawned at exec create${daemonTail()}`);
  process.kill(pids[0]!, 'SIGKILL');
  for (const end = Date.now() + 10_000; (await shimsOf(gone)).length > 0 && Date.now() < end; ) await sleep(20);
  assert.equal(await execRun(gone), 3);
  assert.equal(expectOk(await d.berth(['exec', c, 'cat', '/tmp/one'])).stdout, 'one\n');
  await noShimLeft(gone);

  // Created in one run of the container, started in the next: it runs in the new one.
  const early = await execCreate(c, ['sh', '-c', 'echo two > /tmp/two; exit 4']);
  const before = ((await d.api('GET', `/containers/${c}/json`)).json as { State: { Pid: number } }).State.Pid;
  expectOk(await d.berth(['restart', '-t', '0', c]));
  const after = ((await d.api('GET', `/containers/${c}/json`)).json as { State: { Pid: number } }).State.Pid;
  assert.notEqual(after, before, 'the container restarted');
  assert.equal(await execRun(early), 4);
  assert.equal(expectOk(await d.berth(['exec', c, 'cat', '/tmp/two'])).stdout, 'two\n');
  await noShimLeft(early);

  // Through the docker CLI, the usual path: output, exit code, stdin (no shim ahead: -i).
  const r = await d.docker(['exec', c, 'sh', '-c', 'echo out; echo err >&2; exit 5']);
  assert.equal(r.code, 5, `${r.stderr}${daemonTail()}`);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  const i = await d.docker(['exec', '-i', c, 'cat'], { input: 'in\n' });
  assert.equal(i.stdout, 'in\n', `${i.stderr}${daemonTail()}`);
  expectOk(await d.berth(['rm', '-f', c]));
});

test('an exec created but never started leaves no shim once its container is removed', { skip }, async () => {
  const c = expectOk(await d.berth(['run', '-d', 'busybox', 'sleep', '600'])).stdout.trim();
  const idle = await execCreate(c, ['true']);
  let pids: number[] = [];
  for (const end = Date.now() + 10_000; pids.length === 0 && Date.now() < end; await sleep(20)) pids = await shimsOf(idle);
  assert.equal(pids.length, 1, `one shim spawned at exec create${daemonTail()}`);
  expectOk(await d.berth(['rm', '-f', c]));
  await noShimLeft(idle);
  assert.equal((await d.api('GET', `/exec/${idle}/json`)).status, 404, 'the exec went with its container');
});
