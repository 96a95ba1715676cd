import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recoverContainers, recoveryAction } from './recovery.js';
import { discardContainer } from './container-create.js';
import { ExitWatcher } from './exit-watcher.js';
import { RestartManager } from './restart-manager.js';
import { containerRecord, fakeWorld, type FakeWorld } from './core-fakes.test-support.js';

async function recoverWith(w: FakeWorld): Promise<{ restarts: RestartManager; started: string[] }> {
  const restarts = new RestartManager(async () => {});
  const exits = new ExitWatcher(w.core, restarts, async () => {});
  const started: string[] = [];
  w.core.hooks = { started: (r) => void started.push(r.id) };
  await recoverContainers(w.core, exits, restarts);
  return { restarts, started };
}

test('recoveryAction decides from the record and whether the shim lives', () => {
  assert.equal(recoveryAction(containerRecord('a', { phase: 'creating' }), false).kind, 'discard');
  assert.equal(recoveryAction(containerRecord('a', { phase: 'removing', status: 'running' }), true).kind, 'discard');
  assert.equal(recoveryAction(containerRecord('a', { status: 'running' }), true).kind, 'adopt');
  assert.equal(recoveryAction(containerRecord('a', { status: 'running' }), false).kind, 'record-exit');
  assert.equal(recoveryAction(containerRecord('a', { status: 'restarting', pid: 0 }), false).kind, 'resume-restart');
  // --rm: exited, or created and never started (berthd killed between the CLI's create and start).
  const rm = (status: 'exited' | 'created') => ({ ...containerRecord('a', { status }), host: { ...containerRecord('a').host, autoRemove: true } });
  assert.equal(recoveryAction(rm('exited'), false).kind, 'discard');
  assert.equal(recoveryAction(rm('created'), false).kind, 'discard');
  assert.deepEqual(recoveryAction(containerRecord('a', { status: 'created' }), false), { kind: 'settle', restart: false });
  assert.deepEqual(recoveryAction(containerRecord('a', { status: 'exited', policy: 'always' }), false), { kind: 'settle', restart: true });
  assert.deepEqual(recoveryAction(containerRecord('a', { status: 'exited', policy: 'always', manuallyStopped: true }), false), {
    kind: 'settle',
    restart: false,
  });
});

test('a record left in phase creating is removed with its snapshot and volumes', async () => {
  const w = await fakeWorld();
  try {
    const r = containerRecord('a1', { phase: 'creating' });
    await w.records.put(r.id, r);
    w.core.index.reserve(r.name, r.id); // as create does before its first side effect
    await recoverWith(w);
    assert.equal(w.records.get(r.id), undefined);
    assert.equal(w.core.index.find(r.name), undefined, 'its name is free again');
    assert.ok(w.calls.includes(`removeSnapshot ${r.id}`));
    assert.ok(w.calls.includes(`volumes-detach ${r.id}`));
  } finally {
    await w.dispose();
  }
});

test('a running container whose shim is alive is re-adopted: its exit is followed again', async () => {
  const w = await fakeWorld();
  try {
    const r = containerRecord('b2', { status: 'running', pid: 99 });
    await w.records.put(r.id, r);
    w.alive.add(w.paths.shim(r.id));
    const { started } = await recoverWith(w);
    assert.equal(w.records.get(r.id)?.state.status, 'running');
    assert.equal(w.records.get(r.id)?.state.pid, 99);
    assert.deepEqual(started, [r.id], 'the health monitor hears of it');
    assert.ok(w.calls.some((c) => c.startsWith('waitExit') && c.includes(r.id)));
    // The followed process ends later: the exit is recorded then.
    w.exit(r.id, 3);
    await until(() => w.records.get(r.id)?.state.status === 'exited');
    assert.equal(w.records.get(r.id)?.state.exitCode, 3);
  } finally {
    await w.dispose();
  }
});

test('a running container whose shim died is recorded exited with the exit code the shim left', async () => {
  const w = await fakeWorld();
  try {
    const r = containerRecord('c3', { status: 'running' });
    await w.records.put(r.id, r);
    w.exitFiles.set(w.paths.shim(r.id), { exitCode: 42, finishedAt: '2026-01-01T00:00:05.000000000Z' });
    w.runtimeLeft.add(r.id); // the shim died before it could delete the runtime's container
    const { restarts } = await recoverWith(w);
    const after = w.records.get(r.id)!;
    assert.equal(after.state.status, 'exited');
    assert.equal(after.state.exitCode, 42);
    assert.equal(after.state.pid, 0);
    assert.equal(after.state.finishedAt, '2026-01-01T00:00:05.000000000Z');
    assert.ok(w.calls.includes(`runtime-delete ${r.id}`) && w.calls.includes(`network-detach ${r.id}`), 'its resources are freed');
    assert.ok(w.events.includes(`container die ${r.id.slice(0, 8)}`));
    assert.equal(restarts.isScheduled(r.id), false);
  } finally {
    await w.dispose();
  }
});

test('a dead shim that left no exit file records 255; a restart policy brings it back', async () => {
  const w = await fakeWorld();
  try {
    const r = containerRecord('d4', { status: 'running', policy: 'always' });
    await w.records.put(r.id, r);
    const { restarts } = await recoverWith(w);
    const after = w.records.get(r.id)!;
    assert.equal(after.state.exitCode, 255);
    assert.equal(after.state.status, 'restarting');
    assert.equal(after.restartCount, 1);
    assert.equal(restarts.isScheduled(r.id), true);
    restarts.cancelAll();
  } finally {
    await w.dispose();
  }
});

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

// Found by the torture driver: berthd killed inside `run -d` after the runtime's create but
// before the record said running left a created container whose shim and init process lived
// on, unseen: after `rm -f` they still held the container's cgroup (and the shim) forever.
test('a start or removal berthd did not finish has its runtime container deleted (the process, its cgroup, its shim)', async () => {
  const w = await fakeWorld();
  try {
    const created = containerRecord('c3', { status: 'created' });
    const removing = containerRecord('d4', { phase: 'removing', status: 'running', pid: 7 });
    const quiet = containerRecord('e5', { status: 'exited' });
    for (const r of [created, removing, quiet]) await w.records.put(r.id, r);
    w.alive.add(w.paths.shim(created.id));
    w.alive.add(w.paths.shim(removing.id));
    for (const r of [created, removing]) w.runtimeLeft.add(r.id);
    await recoverWith(w);
    assert.ok(w.calls.includes(`runtime-delete ${created.id}`), 'the unfinished start is undone');
    assert.equal(w.records.get(created.id)?.state.status, 'created', 'the record stays as the user last saw it');
    assert.ok(w.calls.includes(`runtime-delete ${removing.id}`), 'the unfinished removal kills the process too');
    assert.equal(w.records.get(removing.id), undefined);
    assert.ok(!w.calls.includes(`runtime-delete ${quiet.id}`), 'a container with no shim alive costs no runtime call');
  } finally {
    await w.dispose();
  }
});

// Found by the torture driver: a container that exited around a berthd kill kept its runtime
// state (and an empty cgroup) after rm; removing a container now deletes what the runtime has left.
test('removing a container deletes the runtime state a crash left, and costs no runtime call when there is none', async () => {
  const w = await fakeWorld();
  try {
    const left = containerRecord('f6', { status: 'exited' });
    const clean = containerRecord('g7', { status: 'exited' });
    for (const r of [left, clean]) await w.records.put(r.id, r);
    w.runtimeLeft.add(left.id);
    await discardContainer(w.core, left.id);
    await discardContainer(w.core, clean.id);
    assert.ok(w.calls.includes(`runtime-delete ${left.id}`));
    assert.ok(!w.calls.includes(`runtime-delete ${clean.id}`));
    assert.equal(w.runtimeLeft.size, 0);
  } finally {
    await w.dispose();
  }
});

// Found by the torture driver (volume copy-up): a `run --rm` container exited around a kill; the
// shim's own runtime delete (or the killed berthd's, still running) raced recovery's, crun failed
// on the state it found gone, and the removal stopped halfway: a record without its snapshot, its
// volume held "in use" for good.
test('a removal whose runtime delete lost a race to another delete of the same container still completes', async () => {
  const w = await fakeWorld();
  try {
    const raced = containerRecord('h8', { status: 'exited' });
    const stuck = containerRecord('i9', { status: 'exited' });
    for (const r of [raced, stuck]) {
      await w.records.put(r.id, r);
      w.runtimeLeft.add(r.id);
    }
    w.deleteFails.set(raced.id, 'raced');
    w.deleteFails.set(stuck.id, 'stuck');
    await discardContainer(w.core, raced.id);
    assert.equal(w.records.get(raced.id), undefined, 'the record is gone');
    assert.ok(w.calls.includes(`removeSnapshot ${raced.id}`));
    // A delete that fails with the runtime's state still there is still an error: nothing is hidden.
    await assert.rejects(discardContainer(w.core, stuck.id), /cannot rm state directory/);
    assert.ok(w.records.get(stuck.id), 'a removal that could not delete the runtime container keeps the record');
  } finally {
    await w.dispose();
  }
});
