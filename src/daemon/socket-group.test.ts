import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gidIn, resolveSocketGroup } from './socket-group.js';

const etc = 'root:x:0:\ndocker:x:106:\nberth:x:998:alice,bob\n';

test('a group name or number gives its gid', () => {
  assert.equal(gidIn(etc, 'berth'), 998);
  assert.equal(gidIn(etc, '1234'), 1234);
  assert.equal(gidIn(etc, 'nobody-here'), undefined);
});

test('the default group may be missing (a warning); an explicit one must exist; -G "" leaves root:root', () => {
  assert.deepEqual(resolveSocketGroup(etc, undefined), { gid: 998 });
  assert.match(resolveSocketGroup('root:x:0:\n', undefined).warning ?? '', /group berth not found/);
  assert.deepEqual(resolveSocketGroup(etc, 'docker'), { gid: 106 });
  assert.throws(() => resolveSocketGroup(etc, 'wheel'), /group wheel not found/);
  assert.deepEqual(resolveSocketGroup(etc, ''), {});
});
