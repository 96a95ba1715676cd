import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterExit, restartBackoff, shouldRestart, shouldRestartAfterDaemonStart } from './restart-policy.js';
import { containerRecord } from './core-fakes.test-support.js';

const rec = (policy: 'no' | 'always' | 'unless-stopped' | 'on-failure', over: Parameters<typeof containerRecord>[1] = {}) =>
  containerRecord('a', { policy, ...over });

test('always and unless-stopped restart after any exit; no never does', () => {
  for (const code of [0, 1, 137]) {
    assert.equal(shouldRestart(rec('always'), code), true);
    assert.equal(shouldRestart(rec('unless-stopped'), code), true);
    assert.equal(shouldRestart(rec('no'), code), false);
  }
});

test('on-failure restarts only non-zero exits, up to the retry count', () => {
  const r = rec('on-failure');
  assert.equal(shouldRestart(r, 0), false);
  assert.equal(shouldRestart(r, 1), true);
  const limited = { ...r, host: { ...r.host, restartPolicy: { name: 'on-failure' as const, maximumRetryCount: 2 } } };
  assert.equal(shouldRestart({ ...limited, restartCount: 1 }, 1), true);
  assert.equal(shouldRestart({ ...limited, restartCount: 2 }, 1), false);
});

test('an explicit stop or a removal under way ends every policy', () => {
  assert.equal(shouldRestart(rec('always', { manuallyStopped: true }), 1), false);
  assert.equal(shouldRestart(rec('always', { phase: 'removing' }), 1), false);
  assert.equal(shouldRestartAfterDaemonStart(rec('always', { manuallyStopped: true })), false);
});

test('after a daemon start: always and unless-stopped come back, on-failure only after a failure', () => {
  assert.equal(shouldRestartAfterDaemonStart(rec('always')), true);
  assert.equal(shouldRestartAfterDaemonStart(rec('unless-stopped')), true);
  assert.equal(shouldRestartAfterDaemonStart(rec('no')), false);
  const failed = rec('on-failure');
  assert.equal(shouldRestartAfterDaemonStart({ ...failed, state: { ...failed.state, exitCode: 0 } }), false);
  assert.equal(shouldRestartAfterDaemonStart({ ...failed, state: { ...failed.state, exitCode: 3 } }), true);
});

test('afterExit: --rm removes unless rm is under way; otherwise the policy decides', () => {
  const rm = rec('no');
  const auto = { ...rm, host: { ...rm.host, autoRemove: true } };
  assert.equal(afterExit(auto, 0), 'remove');
  assert.equal(afterExit({ ...auto, phase: 'removing' }, 0), 'none');
  assert.equal(afterExit(rec('always'), 0), 'restart');
  assert.equal(afterExit(rec('always', { manuallyStopped: true }), 0), 'none');
  assert.equal(afterExit(rec('on-failure'), 0), 'none');
});

test('back-off doubles from 100 ms to a minute and resets after a run of over 10 s', () => {
  const t0 = '2026-01-01T00:00:00Z';
  let prev: number | undefined;
  const seen: number[] = [];
  for (let i = 0; i < 12; i++) {
    const b = restartBackoff(prev, t0, '2026-01-01T00:00:01Z');
    seen.push(b.delay);
    prev = b.next;
  }
  assert.deepEqual(seen.slice(0, 4), [100, 200, 400, 800]);
  assert.equal(seen.at(-1), 60_000);
  assert.equal(restartBackoff(60_000, t0, '2026-01-01T00:00:11Z').delay, 100);
});
