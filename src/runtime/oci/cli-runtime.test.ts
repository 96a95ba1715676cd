// CliRuntime against real crun and runc: state, pids, pause/resume, update, kill, delete, list,
// and the mapping of unknown ids to not-found.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { MonitorTestEnv } from '../monitor/test-support.js';
import { runtimeMessage } from './cli-runtime.js';

for (const runtimeName of ['crun', 'runc'] as const)
  describe(runtimeName, () => {
    let env: MonitorTestEnv;
    before(async () => {
      env = await MonitorTestEnv.create(runtimeName);
    });
    after(async () => {
      await env?.cleanup();
    });

    test('lifecycle through the runtime CLI', { timeout: 30_000 }, async () => {
      const rt = env.runtime;
      assert.deepEqual(rt.baseArgs(), [rt.path, '--root', rt.root]);
      const c = await env.bundle(['sh', '-c', 'sleep 100 & sleep 100 & wait']);
      const { pid } = await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      assert.deepEqual(await rt.state(c.id), { id: c.id, pid, status: 'created', bundle: c.bundle });
      await rt.start(c.id);
      assert.equal((await rt.state(c.id))?.status, 'running');
      assert.ok((await rt.list()).some((s) => s.id === c.id && s.pid === pid));
      let pids: number[] = [];
      for (let i = 0; i < 50 && pids.length < 3; i++) pids = await rt.pids(c.id); // sh + 2 sleeps
      assert.equal(pids.length, 3);
      assert.ok(pids.includes(pid));
      await rt.pause(c.id);
      assert.equal((await rt.state(c.id))?.status, 'paused', 'pause returns once the freezer has frozen the container');
      await rt.resume(c.id);
      assert.equal((await rt.state(c.id))?.status, 'running');
      await rt.update(c.id, { pids: { limit: 77 } });
      assert.equal((await readFile(`/sys/fs/cgroup/pids/berth-test-${c.id}/pids.max`, 'utf8')).trim(), '77');
      await rt.kill(c.id, 'KILL', true);
      assert.equal((await env.monitor.waitExit(c.stateDir)).exitCode, 137);
      // berth-shim runs the runtime's delete itself before it records the exit: nothing is left.
      assert.equal(await rt.state(c.id), undefined);
      assert.ok(!(await rt.list()).some((s) => s.id === c.id));
    });

    test('unknown ids are not-found; other failures are internal with the runtime text', { timeout: 30_000 }, async () => {
      const rt = env.runtime;
      assert.equal(await rt.state('berth-no-such-id'), undefined);
      await assert.rejects(rt.start('berth-no-such-id'), { kind: 'not-found' });
      await assert.rejects(rt.kill('berth-no-such-id', 'TERM'), { kind: 'not-found' });
      await assert.rejects(rt.delete('berth-no-such-id'), { kind: 'not-found' });
      const c = await env.bundle(['sleep', '100']);
      await env.monitor.spawnContainer({ ...c, tty: false, openStdin: false });
      await assert.rejects(rt.kill(c.id, 99), (e: Error & { kind?: string }) => e.kind === 'internal' && e.message.length > 0);
    });
  });

test('runtimeMessage keeps runc error messages and plain crun text', () => {
  assert.equal(
    runtimeMessage('time="2026-01-01T00:00:00Z" level=warning msg="w"\ntime="x" level=error msg="container \\"a\\" does not exist"\n'),
    'container "a" does not exist',
  );
  assert.equal(runtimeMessage('error opening file `/r/x/status`: No such file or directory\n'), 'error opening file `/r/x/status`: No such file or directory');
});
