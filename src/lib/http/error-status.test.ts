import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError, conflict, invalidArgument, isBerthError, messageOf, notFound, notModified } from '../errors.js';
import { statusOf, writeError, type ErrorBody } from './error-status.js';
import { answerOnce } from './testing/http-call.js';

test('one table maps kinds to statuses; anything else is a 500', () => {
  assert.equal(statusOf(invalidArgument('x')), 400);
  assert.equal(statusOf(notFound('x')), 404);
  assert.equal(statusOf(conflict('x')), 409);
  assert.equal(statusOf(notModified()), 304);
  assert.equal(statusOf(new Error('x')), 500);
});

test('a full disk is 507, also when an internal error was made from it; never a 500', () => {
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  assert.equal(statusOf(enospc), 507);
  assert.equal(statusOf(Object.assign(new Error('quota'), { code: 'EDQUOT' })), 507);
  assert.equal(statusOf(new BerthError('internal', 'commit failed', { cause: enospc })), 507);
  assert.equal(statusOf(new BerthError('insufficient-storage', 'full')), 507);
  // A caller's own mistake stays what it is, whatever it wraps.
  assert.equal(statusOf(invalidArgument('bad layer', enospc)), 400);
  assert.equal(statusOf(new Error('EIO')), 500);
});

// The registry server's body: OCI distribution's error envelope from the same kinds and codes.
const ociBody: ErrorBody = (e) => ({
  errors: [{ code: isBerthError(e) ? e.code : 'UNKNOWN', message: messageOf(e), detail: isBerthError(e) ? (e.detail ?? null) : null }],
});
const engineBody: ErrorBody = (e) => ({ message: messageOf(e) });

async function answer(e: unknown, body: ErrorBody): Promise<{ status: number; text: string; type?: string }> {
  const r = await answerOnce((_req, res) => writeError(res, e, body));
  return { status: r.status, text: r.text, type: r.headers['content-type'] };
}

test('each server renders its own body for the same status', async () => {
  const e = notFound('blob unknown to registry', undefined, { code: 'BLOB_UNKNOWN', detail: { digest: 'sha256:00' } });
  const engine = await answer(e, engineBody);
  assert.equal(engine.status, 404);
  assert.equal(engine.type, 'application/json');
  assert.deepEqual(JSON.parse(engine.text), { message: 'blob unknown to registry' });
  const oci = await answer(e, ociBody);
  assert.equal(oci.status, 404);
  assert.deepEqual(JSON.parse(oci.text), { errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest: 'sha256:00' } }] });
});

test('304 has no body', async () => {
  const r = await answer(notModified(), engineBody);
  assert.equal(r.status, 304);
  assert.equal(r.text, '');
});
