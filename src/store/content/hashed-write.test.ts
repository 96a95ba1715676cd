import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { writeHashed } from './hashed-write.js';
import { writeHashedOffThread } from '../layers/unpack-off-thread.js';
import { sha256 } from '../../lib/digest.js';
import { isBerthError } from '../../lib/errors.js';

const data = randomBytes(3 << 20);
const chunks = () => Readable.from(Array.from({ length: 48 }, (_, i) => data.subarray(i << 16, (i + 1) << 16)));

test('hash-only (no path): the same digest and size on a worker thread as on this one, and the cap holds', async () => {
  const here = await writeHashed(chunks(), undefined);
  const there = await writeHashedOffThread(chunks(), undefined);
  assert.deepEqual(here, { digest: sha256(data), size: data.length });
  assert.deepEqual(there, here);
  await assert.rejects(
    writeHashedOffThread(chunks(), undefined, 1 << 20),
    (e) => isBerthError(e, 'invalid-argument') && /more than the expected/.test(e.message),
  );
  await assert.rejects(writeHashed(chunks(), undefined, 1 << 20), (e) => isBerthError(e, 'invalid-argument') && /more than the expected/.test(e.message));
});
