import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRfc3339Ns, parseUnixTimestampNs, parseApiTimestampNs, parseSinceForClient, formatRfc3339Nano, nowRfc3339Nano, nowNs } from './time-parse.js';

test('RFC 3339 parse and format round trip with 9 digits', () => {
  const ns = parseRfc3339Ns('2026-11-23T15:00:00.123456789Z');
  assert.equal(ns, 1795446000_123456789n);
  assert.equal(formatRfc3339Nano(ns), '2026-11-23T15:00:00.123456789Z');
  assert.equal(parseRfc3339Ns('2026-11-23T16:00:00.1+01:00'), 1795446000_100000000n);
  assert.equal(parseRfc3339Ns('2026-11-23T15:00:00Z'), 1795446000_000000000n);
  assert.equal(formatRfc3339Nano(1795446000_000000000n), '2026-11-23T15:00:00.000000000Z');
  assert.equal(formatRfc3339Nano(-1n), '1969-12-31T23:59:59.999999999Z');
  assert.equal(formatRfc3339Nano(parseRfc3339Ns('0001-01-01T00:00:00Z')), '0001-01-01T00:00:00.000000000Z');
  for (const bad of ['2026-11-23', '2026-11-23T15:00Z', '2026-02-30T00:00:00Z', 'nope', '2026-11-23T15:00:00'])
    assert.throws(() => parseRfc3339Ns(bad), /RFC 3339/, bad);
});

test('daemon-side timestamps: unix seconds with fraction, or RFC 3339', () => {
  assert.equal(parseUnixTimestampNs('1700000000'), 1700000000_000000000n);
  assert.equal(parseUnixTimestampNs('1700000000.123456789'), 1700000000_123456789n);
  assert.equal(parseUnixTimestampNs('1700000000.5'), 1700000000_500000000n);
  assert.equal(parseApiTimestampNs(''), undefined);
  assert.equal(parseApiTimestampNs(undefined), undefined);
  assert.equal(parseApiTimestampNs('2026-11-23T15:00:00.123456789Z'), 1795446000_123456789n);
  assert.throws(() => parseApiTimestampNs('10m'));
});

test('client-side since: durations, dates, pass-through', () => {
  const now = new Date(Date.UTC(2026, 10, 23, 15, 0, 0, 750));
  const nowSec = Math.floor(now.getTime() / 1000);
  assert.equal(parseSinceForClient('10s', now), String(nowSec - 10));
  assert.equal(parseSinceForClient('1h30m', now), String(nowSec - 5400));
  assert.equal(parseSinceForClient('2026-11-23T15:00:00.5Z', now), '1795446000.500000000');
  assert.equal(parseSinceForClient('2026-11-23T15:00:00Z', now), '1795446000.000000000');
  assert.equal(parseSinceForClient('2026-11-23T16:00:00+01:00', now), '1795446000.000000000');
  assert.equal(parseSinceForClient('1700000000.1', now), '1700000000.1');
  assert.equal(parseSinceForClient('0', now), '0');
  // No zone: local time, as the CLI does.
  const local = new Date(2026, 10, 23, 0, 0, 0).getTime() / 1000;
  assert.equal(parseSinceForClient('2026-11-23', now), `${local}.000000000`);
  assert.equal(parseSinceForClient('2026-11-23T15', now), `${new Date(2026, 10, 23, 15).getTime() / 1000}.000000000`);
  assert.throws(() => parseSinceForClient('2026-13-01', now), /parsing time/);
  assert.throws(() => parseSinceForClient('yesterday', now), /failed to parse value as time or duration/);
});

test('now is RFC 3339 nano, close to the wall clock, and strictly increasing', () => {
  const a = nowRfc3339Nano();
  assert.match(a, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  assert.ok(Math.abs(Number(parseRfc3339Ns(a) / 1_000_000n) - Date.now()) < 50);
  let prev = nowNs();
  const strs: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const n = nowNs();
    assert.ok(n > prev);
    prev = n;
    strs.push(formatRfc3339Nano(n));
  }
  assert.deepEqual([...strs].sort(), strs);
});
