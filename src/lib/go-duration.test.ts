import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDurationMs, parseGoDurationNs, parseGoDurationSeconds } from './go-duration.js';

test('Go durations', () => {
  assert.equal(parseGoDurationNs('1h30m'), 5_400_000_000_000n);
  assert.equal(parseGoDurationNs('1.5h'), 5_400_000_000_000n);
  assert.equal(parseGoDurationNs('300ms'), 300_000_000n);
  assert.equal(parseGoDurationNs('-1.5s'), -1_500_000_000n);
  assert.equal(parseGoDurationNs('.5s'), 500_000_000n);
  assert.equal(parseGoDurationNs('1h0m0s'), 3_600_000_000_000n);
  assert.equal(parseGoDurationNs('2µs3ns'), 2003n);
  assert.equal(parseGoDurationNs('0'), 0n);
  assert.equal(parseGoDurationMs('1m30.5s'), 90_500);
  assert.equal(parseGoDurationMs('1500us'), 1.5);
  for (const bad of ['', '1', '10', 'h', '.s', '1x', '1h-2m', '-', '3000000h']) assert.throws(() => parseGoDurationNs(bad), /duration|unit/, bad);
});

test("Go durations in seconds (the CLI's flags)", () => {
  assert.equal(parseGoDurationSeconds('10s'), 10);
  assert.equal(parseGoDurationSeconds('1h30m'), 5400);
  assert.equal(parseGoDurationSeconds('300ms'), 0.3);
  assert.equal(parseGoDurationSeconds('1.5h'), 5400);
  assert.throws(() => parseGoDurationSeconds('10'));
  assert.throws(() => parseGoDurationSeconds('abc'));
});

test("Go's error texts: invalid, missing unit, unknown unit", () => {
  assert.throws(() => parseGoDurationNs('5'), { message: 'time: missing unit in duration "5"', kind: 'invalid-argument' });
  assert.throws(() => parseGoDurationNs('1x'), { message: 'time: unknown unit "x" in duration "1x"' });
  assert.throws(() => parseGoDurationNs('.s'), { message: 'time: invalid duration ".s"' });
  assert.throws(() => parseGoDurationNs('3000000h'), { message: 'time: invalid duration "3000000h"' });
  assert.equal(parseGoDurationNs('1.0000000009s'), 1_000_000_000n, 'fractions below a nanosecond are truncated');
});
