// berthd's event loop runs at a higher CPU priority than its containers (src/lib/daemon-priority.ts),
// but every container process keeps the nice value berthd was started with, as under Docker
// (whose containers run at the daemon's nice, 0): the container's init, an exec'd process, and
// the shim that holds them. The expected value is this test's own nice, which the test daemon
// inherits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { getPriority } from 'node:os';
import { useBusyboxDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { DAEMON_NICE_RAISE } from '../../../src/lib/daemon-priority.js';

const skip = requiresRoot('real crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before, after }, skip);

/** Field 19 of /proc/<pid>/stat: the nice value (the fields after the command's closing parenthesis start at 3). */
function niceOf(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

function logTail(): string {
  return `berthd's log tail:\n${d.logs.join('').split('\n').slice(-20).join('\n')}`;
}

test('berthd runs above its containers; containers, execs and shims keep the starting nice value', { skip, timeout: 120_000 }, async () => {
  const start = getPriority(0);
  const daemonNice = niceOf(await readFile(`/proc/${d.proc!.pid}/stat`, 'utf8'));
  assert.equal(daemonNice, Math.max(-20, start - DAEMON_NICE_RAISE), `berthd's main thread nice (test process at ${start})\n${logTail()}`);

  const run = expectOk(await d.berth(['run', '--rm', 'busybox', 'cat', '/proc/self/stat']));
  assert.equal(niceOf(run.stdout), start, `a container's process: ${run.stdout}\n${logTail()}`);

  const name = `prio-${process.pid}`;
  expectOk(await d.berth(['run', '-d', '--name', name, 'busybox', 'sleep', '600']));
  try {
    const exec = expectOk(await d.berth(['exec', name, 'cat', '/proc/self/stat']));
    assert.equal(niceOf(exec.stdout), start, `an exec'd process: ${exec.stdout}`);
    const pid = Number(expectOk(await d.berth(['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim());
    assert.equal(niceOf(await readFile(`/proc/${pid}/stat`, 'utf8')), start, "the container's init, seen from the host");
    const shimPid = await shimOf(pid);
    assert.equal(niceOf(await readFile(`/proc/${shimPid}/stat`, 'utf8')), start, "the container's shim");
  } finally {
    await d.berth(['rm', '-f', name]);
  }
});

/** The container init's parent: the shim that holds it (crun's init is the shim's child). */
async function shimOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}
