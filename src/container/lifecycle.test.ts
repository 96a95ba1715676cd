// Stop racing with restart policies, with fakes of the monitor and runtime (no root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitWatcher } from './exit-watcher.js';
import { Lifecycle } from './lifecycle.js';
import { RestartManager } from './restart-manager.js';
import { containerRecord, fakeWorld, type FakeWorld } from './core-fakes.test-support.js';

interface Rig {
  w: FakeWorld;
  life: Lifecycle;
  restarts: RestartManager;
  policyStarts: string[];
  id: string;
}

/** A running container with restart policy `always`, its exit followed as after a start. */
async function rig(): Promise<Rig> {
  const w = await fakeWorld();
  const policyStarts: string[] = [];
  // The policy's start is recorded, not performed: the tests look at whether it comes.
  const restarts = new RestartManager(async (id) => void policyStarts.push(id));
  let life!: Lifecycle;
  const exits = new ExitWatcher(w.core, restarts, (id) => life.remove(id, { force: true, volumes: true, auto: true }));
  life = new Lifecycle(w.core, restarts, (id) => exits.watch(id));
  const r = containerRecord('e5', { status: 'running', policy: 'always' });
  await w.records.put(r.id, r);
  w.alive.add(w.paths.shim(r.id));
  exits.watch(r.id);
  return { w, life, restarts, policyStarts, id: r.id };
}

test('an exit the container makes itself is restarted by the policy', async () => {
  const { w, restarts, id } = await rig();
  try {
    w.exit(id, 1);
    await until(() => w.records.get(id)?.state.status === 'restarting');
    assert.equal(w.records.get(id)!.restartCount, 1);
    assert.equal(restarts.isScheduled(id), true);
    restarts.cancelAll();
  } finally {
    await w.dispose();
  }
});

test('stop: the exit its signal causes is not restarted', async () => {
  const { w, life, restarts, policyStarts, id } = await rig();
  try {
    await life.stop(id, { timeout: 5 });
    await settle();
    const after = w.records.get(id)!;
    assert.equal(after.state.status, 'exited');
    assert.equal(after.state.exitCode, 143);
    assert.equal(after.manuallyStopped, true);
    assert.equal(after.restartCount, 0);
    assert.equal(restarts.isScheduled(id), false);
    assert.deepEqual(policyStarts, []);
    assert.ok(w.calls.includes(`kill ${id} 15`));
  } finally {
    await w.dispose();
  }
});

test('a stop that comes as the exit is being recorded ends the policy (no restart after it)', async () => {
  const { w, life, restarts, policyStarts, id } = await rig();
  try {
    w.exit(id, 0);
    // The exit is on record; the policy's decision on it may or may not be (a poll can miss the
    // moment between the two, so either state counts as "the exit is being recorded").
    await until(() => ['exited', 'restarting'].includes(w.records.get(id)?.state.status ?? ''));
    await life.stop(id).catch(() => {}); // 304 if there was nothing left to stop
    await new Promise((r) => setTimeout(r, 250)); // past the first back-off (100 ms)
    const after = w.records.get(id)!;
    assert.equal(after.state.status, 'exited');
    assert.equal(after.manuallyStopped, true, 'the stop was not lost');
    assert.equal(restarts.isScheduled(id), false);
    assert.deepEqual(policyStarts, []);
  } finally {
    await w.dispose();
  }
});

test('stop between two restarts ends the policy: the scheduled start is cancelled', async () => {
  const { w, life, restarts, policyStarts, id } = await rig();
  try {
    w.exit(id, 1);
    await until(() => restarts.isScheduled(id));
    await life.stop(id);
    const after = w.records.get(id)!;
    assert.equal(after.state.status, 'exited');
    assert.equal(after.manuallyStopped, true);
    assert.equal(restarts.isScheduled(id), false);
    await new Promise((r) => setTimeout(r, 250)); // past the first back-off (100 ms)
    assert.deepEqual(policyStarts, []);
    assert.ok(!w.calls.some((c) => c.startsWith('kill')), 'no process, no signal');
  } finally {
    await w.dispose();
  }
});

test('a policy start that queued behind a stop for the lock does not bring the container back', async () => {
  const { w, life, restarts, id } = await rig();
  try {
    w.exit(id, 1);
    await until(() => restarts.isScheduled(id));
    restarts.cancel(id);
    // Hold the lock (as a slow operation would), queue the stop, then the policy's start.
    let release!: () => void;
    let held!: Promise<void>;
    await new Promise<void>((locked) => {
      held = w.core.lock.run(id, () => new Promise<void>((r) => ((release = r), locked())));
    });
    const stopping = life.stop(id);
    const policyStart = life.start(id, { fromRestartPolicy: true });
    release();
    await held;
    await stopping;
    await policyStart; // resolves: it gave way, it did not fail
    const after = w.records.get(id)!;
    assert.equal(after.state.status, 'exited');
    assert.equal(after.state.error, '');
    assert.equal(after.manuallyStopped, true);
    assert.ok(!w.calls.some((c) => c.startsWith('spawn')));
  } finally {
    await w.dispose();
  }
});

test('kill with the stop signal counts as a stop; another signal lets the policy restart', async () => {
  const { w, life, restarts, id } = await rig();
  try {
    await life.kill(id, 'SIGUSR1');
    await until(() => w.records.get(id)?.state.status === 'restarting');
    assert.equal(w.records.get(id)!.manuallyStopped, false);
    assert.equal(restarts.isScheduled(id), true);
    restarts.cancelAll();
  } finally {
    await w.dispose();
  }
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
