import { test } from 'node:test';
import assert from 'node:assert/strict';
import { platformList, prefixedEmit } from './multi-platform.js';
import type { BuildMessage } from './types.js';

test('platformList: a comma list, each platform checked, duplicates after normalising once', () => {
  assert.deepEqual(platformList(undefined), []);
  assert.deepEqual(platformList(''), []);
  assert.deepEqual(platformList('linux/arm64'), ['linux/arm64']);
  assert.deepEqual(platformList('linux/amd64, linux/arm64,linux/arm64/v8'), ['linux/amd64', 'linux/arm64']);
  assert.throws(() => platformList('linux/amd64,,linux/arm64'), /invalid platform list/);
  assert.throws(() => platformList('linux/amd64,linux/arm64/v8/x'), /unknown operating system or architecture/);
});

test('prefixedEmit: every line gets the platform, across chunk boundaries; per-platform aux ids are dropped', () => {
  const got: BuildMessage[] = [];
  const emit = prefixedEmit('[linux/arm64] ', (m) => got.push(m));
  emit({ stream: 'Step 1/2 : FROM x\n ---> ab' });
  emit({ stream: 'c\nStep 2/2 : RUN y\n' });
  emit({ aux: { ID: 'sha256:1' } });
  emit({ errorDetail: { message: 'boom' }, error: 'boom' });
  assert.equal(got.map((m) => m.stream ?? '').join(''), '[linux/arm64] Step 1/2 : FROM x\n[linux/arm64]  ---> abc\n[linux/arm64] Step 2/2 : RUN y\n');
  assert.equal(got.filter((m) => m.aux).length, 0);
  assert.equal(got.at(-1)?.error, 'boom');
});
