import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkNormalizedNamed, isNamedReference, splitRef } from './reference.js';

test('the CLI names what it pulls: default tag, fully qualified repository, familiar text', () => {
  assert.deepEqual(splitRef('busybox'), { familiar: 'busybox:latest', repo: 'docker.io/library/busybox', tag: 'latest', digest: undefined });
  assert.deepEqual(splitRef('localhost:5000/a/b:c'), { familiar: 'localhost:5000/a/b:c', repo: 'localhost:5000/a/b', tag: 'c', digest: undefined });
  const d = `sha256:${'0'.repeat(64)}`;
  assert.deepEqual(splitRef(`foo/bar@${d}`), { familiar: `foo/bar@${d}`, repo: 'docker.io/foo/bar', tag: undefined, digest: d });
});

test("CLI checks throw plain Errors with docker's text", () => {
  assert.throws(
    () => checkNormalizedNamed('a//b'),
    (e: Error) => e.constructor === Error && e.message === 'invalid reference format',
  );
  assert.throws(() => splitRef('Busybox'), /^Error: invalid reference format: repository name \(library\/Busybox\) must be lowercase$/);
});

test('ids and bare digests name nothing to pull', () => {
  assert.equal(isNamedReference('busybox'), true);
  assert.equal(isNamedReference(`busybox@sha256:${'0'.repeat(64)}`), true);
  assert.equal(isNamedReference('f'.repeat(64)), false);
  assert.equal(isNamedReference(`sha256:${'f'.repeat(64)}`), false);
  assert.equal(isNamedReference('Bad:TAG!'), false);
});
