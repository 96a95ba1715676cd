import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invalidArgument } from '../errors.js';
import { JsonStream } from './json-stream.js';
import { writeError } from './error-status.js';
import { answerOnce } from './testing/http-call.js';

/** Serves one request with `handle`, as a route would (a thrown error becomes the status). */
async function serve(handle: (s: JsonStream) => Promise<void>): Promise<{ status: number; lines: unknown[] }> {
  const r = await answerOnce((_req, res) => {
    const s = new JsonStream(res);
    handle(s).catch((e: unknown) => writeError(res, e, (x) => ({ message: (x as Error).message })));
  });
  return {
    status: r.status,
    lines: r.text
      .split('\r\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as unknown),
  };
}

test('an error before the first message is the HTTP status', async () => {
  const r = await serve(async (s) => {
    try {
      throw invalidArgument('bad tag');
    } catch (e) {
      s.fail(e);
    }
  });
  assert.equal(r.status, 400);
  assert.deepEqual(r.lines, [{ message: 'bad tag' }]);
});

test('after the first message, errors go in-band as errorDetail (with a numeric code when given)', async () => {
  const r = await serve(async (s) => {
    s.send({ status: 'Pulling fs layer' });
    s.fail(new Error('step failed'), 2);
    s.end();
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.lines, [{ status: 'Pulling fs layer' }, { errorDetail: { code: 2, message: 'step failed' }, error: 'step failed' }]);
  const plain = await serve(async (s) => {
    s.start();
    s.fail(new Error('gone'));
    s.end();
  });
  assert.deepEqual(plain.lines, [{ errorDetail: { message: 'gone' }, error: 'gone' }]);
});

test('start() answers 200 before anything is reported', async () => {
  const r = await serve(async (s) => {
    assert.equal(s.started, false);
    s.start();
    assert.equal(s.started, true);
    s.end();
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.lines, []);
});

test('run: messages stream as they come; a failure before any is the status, after one the last line; success with none still answers 200', async () => {
  const before = await serve((s) =>
    s.run(async () => {
      throw invalidArgument('no such image');
    }),
  );
  assert.equal(before.status, 400);
  assert.deepEqual(before.lines, [{ message: 'no such image' }]);
  const after = await serve((s) =>
    s.run(async (send) => {
      send({ status: 'Pushing' });
      throw new Error('blob upload failed');
    }),
  );
  assert.equal(after.status, 200);
  assert.deepEqual(after.lines, [{ status: 'Pushing' }, { errorDetail: { message: 'blob upload failed' }, error: 'blob upload failed' }]);
  const quiet = await serve((s) => s.run(async () => {}));
  assert.equal(quiet.status, 200);
  assert.deepEqual(quiet.lines, []);
});
