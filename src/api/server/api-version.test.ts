import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_API_VERSION, splitVersion, versionAtLeast } from './api-version.js';

test('the /vX.Y prefix is split off; no prefix means the maximum version', () => {
  assert.deepEqual(splitVersion('/v1.41/containers/json'), { apiVersion: '1.41', path: '/containers/json' });
  assert.deepEqual(splitVersion('/containers/json'), { apiVersion: MAX_API_VERSION, path: '/containers/json' });
});

test("versions out of range get Docker's 400 messages", () => {
  assert.throws(() => splitVersion('/v1.99/info'), {
    kind: 'invalid-argument',
    message: 'client version 1.99 is too new. Maximum supported API version is 1.45',
  });
  assert.throws(() => splitVersion('/v1.12/info'), {
    kind: 'invalid-argument',
    message: 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
  });
});

test('versionAtLeast compares numerically', () => {
  assert.ok(versionAtLeast('1.45', '1.44'));
  assert.ok(versionAtLeast('1.44', '1.44'));
  assert.ok(!versionAtLeast('1.24', '1.41'));
  assert.ok(versionAtLeast('2.0', '1.45'));
});
