import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logRotationOf, mergeLogConfig } from './log-options.js';

const lc = (config: Record<string, string>, type = 'json-file') => ({ type, config });

test("max-size/max-file become the shim's rotation; dockerd's defaults and refusals", () => {
  assert.deepEqual(logRotationOf(lc({})), { maxSize: 0, maxFile: 1 });
  assert.deepEqual(logRotationOf(lc({ 'max-size': '10m', 'max-file': '3' })), { maxSize: 10 * 1024 * 1024, maxFile: 3 });
  assert.deepEqual(logRotationOf(lc({ 'max-size': '10k' })), { maxSize: 10240, maxFile: 1 });
  assert.deepEqual(logRotationOf(lc({}, 'local')), { maxSize: 20 * 1024 * 1024, maxFile: 5 });
  assert.deepEqual(logRotationOf(lc({ 'max-file': '3' })).maxSize, 0); // dockerd accepts it and never rotates
  assert.deepEqual(logRotationOf(lc({ tag: '{{.Name}}', labels: 'a' })), { maxSize: 0, maxFile: 1 });
  assert.throws(() => logRotationOf(lc({ foo: '1' })), /unknown log opt 'foo' for json-file log driver/);
  assert.throws(() => logRotationOf(lc({ tag: 'x' }, 'local')), /unknown log opt 'tag' for local log driver/);
  assert.throws(() => logRotationOf(lc({ 'max-size': 'abc' })), /failed to initialize logging driver: invalid size: 'abc'/);
  assert.throws(() => logRotationOf(lc({ 'max-size': '0' })), /max-size must be a positive number/);
  assert.throws(() => logRotationOf(lc({ 'max-size': '1m', 'max-file': '0' })), /max-file cannot be less than 1/);
  assert.throws(() => logRotationOf(lc({ 'max-size': '1m', 'max-file': 'x' })), /strconv.Atoi: parsing "x": invalid syntax/);
  assert.throws(() => logRotationOf(lc({ compress: 'true' })), /compress cannot be true when max-file is less than 2 or max-size is not set/);
  assert.throws(() => logRotationOf(lc({ compress: 'maybe' })), /ParseBool/);
  assert.deepEqual(logRotationOf(lc({ 'max-size': '1m', 'max-file': '2', compress: 'false' })), { maxSize: 1024 * 1024, maxFile: 2 });
  assert.throws(() => logRotationOf(lc({ 'max-size': '1m' }, 'none')), /invalid logging opts for driver none/);
  assert.throws(() => logRotationOf(lc({}, 'syslog')), /no log driver named 'syslog'/);
});

test("mergeLogConfig: no type means the daemon's; the daemon's options fill keys of the same driver only", () => {
  const daemon = lc({ 'max-size': '10m', 'max-file': '3' });
  assert.deepEqual(mergeLogConfig(lc({}, ''), daemon), daemon);
  assert.deepEqual(mergeLogConfig(lc({ 'max-size': '1m' }, ''), daemon), lc({ 'max-size': '1m', 'max-file': '3' }));
  assert.deepEqual(mergeLogConfig(lc({}, 'none'), daemon), lc({}, 'none'));
  assert.deepEqual(mergeLogConfig(lc({}, ''), lc({}, '')), lc({}));
  assert.deepEqual(mergeLogConfig(lc({}, ''), lc({}, 'local')), lc({}, 'local'));
});
