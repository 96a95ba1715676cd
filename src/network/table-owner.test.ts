import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStale, ownerComment, parseOwner, processStartTime } from './table-owner.js';

test('an owner comment reads back from nft list output', () => {
  const owner = { stateDir: '/var/lib/berth x/network', pid: 42, startTime: '12345' };
  const c = ownerComment(owner)!;
  const listing = `table ip berth_0123abcd {\n\tcomment "${c}"\n\tchain isolate {\n\t}\n}\n`;
  assert.deepEqual(parseOwner(listing), owner);
  assert.equal(parseOwner('table ip berth_0123abcd {\n\tchain isolate {\n\t}\n}\n'), undefined);
});

test('paths nft cannot carry give no comment', () => {
  assert.equal(ownerComment({ stateDir: '/a"b/network', pid: 1, startTime: '1' }), undefined);
  assert.equal(ownerComment({ stateDir: `/${'x'.repeat(300)}/network`, pid: 1, startTime: '1' }), undefined);
});

test('stale only when the owner is known, its state dir is gone and its process is not running', () => {
  const o = { stateDir: '/x/network', pid: 1, startTime: '1' };
  assert.equal(isStale(o, { stateDirExists: false, ownerRunning: false }), true);
  assert.equal(isStale(o, { stateDirExists: true, ownerRunning: false }), false);
  assert.equal(isStale(o, { stateDirExists: false, ownerRunning: true }), false);
  assert.equal(isStale(undefined, { stateDirExists: false, ownerRunning: false }), false);
});

test('the start time of this process is stable and that of no process is undefined', async () => {
  const a = await processStartTime('self');
  assert.match(a ?? '', /^\d+$/);
  assert.equal(await processStartTime(process.pid), a);
  assert.equal(await processStartTime(2 ** 22 + 1), undefined);
});
