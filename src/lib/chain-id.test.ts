import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Digest } from './digest.js';
import { chainIdOf, chainIds } from './chain-id.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;

test('the bottom chainId is the diffId; above, sha256 of "parent diffId"', () => {
  assert.equal(chainIdOf(null, d('a')), d('a'));
  assert.equal(chainIdOf(d('a'), d('b')), sha(`${d('a')} ${d('b')}`));
  assert.deepEqual(chainIds([]), []);
  const ids = chainIds([d('a'), d('b'), d('c')]);
  assert.deepEqual(ids, [d('a'), sha(`${d('a')} ${d('b')}`), sha(`${sha(`${d('a')} ${d('b')}`)} ${d('c')}`)]);
});
