// ShimSpawner against the real berth-shim binary: answers come back per request, a shim that
// ends without its sync line is reported, and a spawner that dies is replaced on the next spawn.
// (Spawns that create containers are covered by shim-monitor.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { findShimBinary } from './shim-path.js';
import { ShimSpawner } from './shim-spawner.js';

test('a shim that exits before its sync line is reported; requests get their own answers', { timeout: 30_000 }, async () => {
  const s = new ShimSpawner(findShimBinary());
  // Bad arguments: the shim prints its usage and exits 2 without a sync line.
  const answers = await Promise.all([s.spawn(['--bogus']), s.spawn(['--mode', 'container']), s.spawn(['--mode', 'exec', 'a b\nc'])]);
  assert.deepEqual(answers, Array(3).fill('error berth-shim exited without reporting'));
  // A state dir that does not exist: the shim reports the error on its sync pipe.
  const line = await s.spawn([
    '--mode',
    'container',
    '--state-dir',
    '/nonexistent/berth-spawner-test',
    '--id',
    'x',
    '--bundle',
    '/nonexistent',
    '--',
    '/bin/false',
  ]);
  assert.match(line, /^error state dir \/nonexistent\/berth-spawner-test: No such file or directory$/);
  process.kill(s.pid!, 'SIGTERM');
});

test('a spawner that dies fails its pending spawns and is replaced on the next one', { timeout: 30_000 }, async () => {
  const s = new ShimSpawner(findShimBinary());
  assert.match(await s.spawn(['--bogus']), /^error /);
  const first = s.pid!;
  process.kill(first, 'SIGKILL');
  for (let i = 0; i < 100 && s.pid === first; i++) await sleep(20);
  assert.equal(s.pid, undefined, 'the dead spawner is forgotten');
  assert.match(await s.spawn(['--bogus']), /^error /);
  assert.ok(s.pid && s.pid !== first, 'a new spawner answered');
  process.kill(s.pid!, 'SIGTERM');
});
