import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError, DEFAULT_CODE, conflict, errnoCode, hasErrorCode, invalidArgument, notFound, notModified, canceled } from './errors.js';
import { containerNameInUse, networkNameInUse, noSuchContainer, noSuchImage, noSuchNetwork, noSuchVolume, volumeInUse } from './docker-messages.js';

test("an error without a code gets its kind's default code", () => {
  assert.equal(invalidArgument('bad').code, 'INVALID_ARGUMENT');
  assert.equal(notFound('x').code, 'NOT_FOUND');
  assert.equal(notModified().code, 'NOT_MODIFIED');
  assert.equal(canceled().code, 'CANCELED');
  assert.equal(new BerthError('internal', 'boom').code, 'INTERNAL');
  for (const [kind, code] of Object.entries(DEFAULT_CODE)) assert.match(code, /^[A-Z]+(?:_[A-Z]+)*$/, kind);
});

test('helpers keep (message, cause) and take a code and a JSON-able detail', () => {
  const cause = new Error('root');
  const e = conflict('in use', cause, { code: 'NAME_IN_USE', detail: { name: 'web' } });
  assert.equal(e.kind, 'conflict');
  assert.equal(e.message, 'in use');
  assert.equal(e.cause, cause);
  assert.equal(e.code, 'NAME_IN_USE');
  assert.deepEqual(e.detail, { name: 'web' });
  assert.equal(JSON.stringify(e.detail), '{"name":"web"}');
  assert.equal(invalidArgument('no detail').detail, undefined);
});

test('a code must be SCREAMING_SNAKE', () => {
  assert.throws(() => new BerthError('not-found', 'x', { code: 'no-such-thing' }), TypeError);
  assert.throws(() => new BerthError('not-found', 'x', { code: 'NO__SUCH' }), TypeError);
  assert.throws(() => new BerthError('not-found', 'x', { code: '' }), TypeError);
  assert.equal(new BerthError('not-found', 'x', { code: 'BLOB_UNKNOWN' }).code, 'BLOB_UNKNOWN');
});

test("Docker's common messages carry stable codes and keep their texts", () => {
  const c = noSuchContainer('web');
  assert.equal(c.message, 'No such container: web');
  assert.equal(c.kind, 'not-found');
  assert.equal(c.code, 'NO_SUCH_CONTAINER');
  assert.equal(noSuchImage('busybox').code, 'NO_SUCH_IMAGE');
  assert.equal(noSuchNetwork('n').code, 'NO_SUCH_NETWORK');
  assert.equal(noSuchVolume('v').code, 'NO_SUCH_VOLUME');
  assert.equal(containerNameInUse('web', 'abc').code, 'NAME_IN_USE');
  assert.equal(networkNameInUse('n').message, 'network with name n already exists');
  assert.equal(networkNameInUse('n').code, 'NAME_IN_USE');
  assert.equal(volumeInUse('v', ['a']).code, 'VOLUME_IN_USE');
  assert.ok(hasErrorCode(c, 'NO_SUCH_CONTAINER'));
  assert.ok(!hasErrorCode(c, 'NO_SUCH_IMAGE'));
  assert.ok(!hasErrorCode(new Error('x'), 'NO_SUCH_CONTAINER'));
});

test('errnoCode reads node errno codes only, never a BerthError code', () => {
  assert.equal(errnoCode(Object.assign(new Error('x'), { code: 'ENOENT' })), 'ENOENT');
  assert.equal(errnoCode(noSuchContainer('x')), undefined);
  assert.equal(errnoCode('ENOENT'), undefined);
});
