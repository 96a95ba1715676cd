import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  familiarString,
  formatReference,
  normaliseReference,
  normaliseRefKey,
  parseAnyReference,
  parseImageLookup,
  parseReference,
  parseRepoTag,
  pullReference,
  splitRepoTag,
} from './reference.js';

const HEX = 'a'.repeat(64);

test('normalises valid references', () => {
  const table: [string, string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['foo/bar', 'docker.io/foo/bar:latest', 'foo/bar:latest'],
    ['localhost/a', 'localhost/a:latest', 'localhost/a:latest'],
    ['localhost:5000/a/b:t', 'localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
    ['127.0.0.1:5000/x', '127.0.0.1:5000/x:latest', '127.0.0.1:5000/x:latest'],
    ['[::1]:5000/x:v1', '[::1]:5000/x:v1', '[::1]:5000/x:v1'],
    ['Registry.Example.com/a', 'Registry.Example.com/a:latest', 'Registry.Example.com/a:latest'],
    [`x@sha256:${HEX}`, `docker.io/library/x@sha256:${HEX}`, `x@sha256:${HEX}`],
    [`x:t@sha256:${HEX}`, `docker.io/library/x:t@sha256:${HEX}`, `x:t@sha256:${HEX}`],
    ['a_b.c__d-e---f', 'docker.io/library/a_b.c__d-e---f:latest', 'a_b.c__d-e---f:latest'],
    ['x:' + 'T'.repeat(128), 'docker.io/library/x:' + 'T'.repeat(128), 'x:' + 'T'.repeat(128)],
  ];
  for (const [typed, full, familiar] of table) {
    const r = normaliseReference(typed);
    assert.equal(formatReference(r), full, typed);
    assert.equal(familiarString(r), familiar, typed);
  }
});

test('rejects invalid references with Docker messages', () => {
  const table: [string, RegExp][] = [
    ['Busybox', /^invalid reference format: repository name \(library\/Busybox\) must be lowercase$/],
    ['foo/Bar:t', /^invalid reference format: repository name \(foo\/Bar\) must be lowercase$/],
    ['a:b:c', /^invalid reference format$/],
    ['a b', /^invalid reference format$/],
    ['-a', /^invalid reference format$/],
    ['a//b', /^invalid reference format$/],
    ['a__', /^invalid reference format$/],
    ['x:' + 'a'.repeat(129), /^invalid reference format$/],
    ['x:.t', /^invalid reference format$/],
    [HEX, /cannot specify 64-byte hexadecimal strings/],
    ['x@sha256:abc', /^invalid reference format$/],
    [`x@sha256:${'a'.repeat(70)}`, /invalid checksum digest length/],
    ['', /invalid reference format/],
    ['a/' + 'b'.repeat(260), /must not be more than 255 characters/],
  ];
  for (const [typed, re] of table) {
    assert.throws(
      () => parseReference(typed),
      (e: Error & { kind?: string }) => re.test(e.message) && e.kind === 'invalid-argument',
      typed,
    );
  }
});

test('image lookups: ids, digests, prefixes', () => {
  assert.deepEqual(parseImageLookup(HEX), { kind: 'id', id: `sha256:${HEX}` });
  assert.deepEqual(parseImageLookup(`sha256:${HEX}`), { kind: 'id', id: `sha256:${HEX}` });
  const p = parseImageLookup('abc123');
  assert.equal(p.kind, 'reference');
  assert.equal(p.kind === 'reference' && p.idPrefix, 'abc123');
  const q = parseImageLookup('sha256:abc');
  assert.equal(q.kind === 'reference' && q.idPrefix, 'abc');
  const n = parseImageLookup('busybox');
  assert.equal(n.kind === 'reference' && n.idPrefix, undefined);
});

test('repo+tag and index keys', () => {
  assert.equal(formatReference(parseRepoTag('foo', 'v1')), 'docker.io/library/foo:v1');
  assert.equal(formatReference(parseRepoTag('foo:old', 'v1')), 'docker.io/library/foo:v1');
  assert.equal(formatReference(parseRepoTag('foo')), 'docker.io/library/foo:latest');
  assert.throws(() => parseRepoTag(`foo@sha256:${HEX}`), /digest/);
  assert.throws(() => parseRepoTag('foo', 'bad tag'), /invalid tag format/);
  assert.equal(normaliseRefKey(`foo:t@sha256:${HEX}`), `docker.io/library/foo@sha256:${HEX}`);
  assert.equal(normaliseRefKey('foo'), 'docker.io/library/foo:latest');
});

test('any reference: ids and digests stand for themselves, the rest must be a name', () => {
  assert.deepEqual(parseAnyReference(HEX), { digest: `sha256:${HEX}` });
  assert.deepEqual(parseAnyReference(`sha256:${HEX}`), { digest: `sha256:${HEX}` });
  assert.deepEqual(parseAnyReference(`sha512:${'b'.repeat(128)}`), { digest: `sha512:${'b'.repeat(128)}` });
  assert.equal(formatReference(parseAnyReference('busybox') as ReturnType<typeof parseReference>), 'docker.io/library/busybox');
  assert.throws(() => parseAnyReference('Busybox:TAG!'), /^BerthError: invalid reference format: repository name \(library\/Busybox\) must be lowercase$/);
  assert.throws(() => parseAnyReference('busybox:TAG!'), { message: 'invalid reference format', code: 'INVALID_REFERENCE' });
});

test('repo[:tag] splits at a colon after the last slash only', () => {
  assert.deepEqual(splitRepoTag(undefined), {});
  assert.deepEqual(splitRepoTag('busybox'), { repo: 'busybox' });
  assert.deepEqual(splitRepoTag('busybox:1'), { repo: 'busybox', tag: '1' });
  assert.deepEqual(splitRepoTag('localhost:5000/a'), { repo: 'localhost:5000/a' });
  assert.deepEqual(splitRepoTag('localhost:5000/a:b'), { repo: 'localhost:5000/a', tag: 'b' });
});

test("a pull's fromImage and tag: a digest-shaped tag pulls by digest, a tag replaces one", () => {
  assert.equal(pullReference('busybox', undefined), 'busybox');
  assert.equal(pullReference('busybox:1', ''), 'busybox:1');
  assert.equal(pullReference('busybox', '1.36'), 'busybox:1.36');
  assert.equal(pullReference('busybox:old', '1.36'), 'busybox:1.36');
  assert.equal(pullReference('localhost:5000/a', 'v1'), 'localhost:5000/a:v1');
  assert.equal(pullReference(`busybox@sha256:${HEX}`, 'v1'), 'busybox:v1');
  assert.equal(pullReference('busybox:old', `sha256:${HEX}`), `busybox@sha256:${HEX}`);
});
