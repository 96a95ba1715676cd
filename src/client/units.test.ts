import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, timestampArg } from './units.js';

test('humanDuration matches go-units', () => {
  const cases: [number, string][] = [
    [0, 'Less than a second'],
    [0.9, 'Less than a second'],
    [1, '1 second'],
    [2, '2 seconds'],
    [59, '59 seconds'],
    [60, 'About a minute'],
    [119, 'About a minute'],
    [120, '2 minutes'],
    [3599, '59 minutes'],
    [3600, 'About an hour'],
    [5399, 'About an hour'],
    [5400, '2 hours'],
    [47 * 3600, '47 hours'],
    [48 * 3600, '2 days'],
    [13 * 86400, '13 days'],
    [14 * 86400, '2 weeks'],
    [59 * 86400, '8 weeks'],
    [60 * 86400, '2 months'],
    [729 * 86400, '24 months'],
    [730 * 86400, '2 years'],
  ];
  for (const [s, want] of cases) assert.equal(humanDuration(s), want, `${s}s`);
});

test('--since timestamps', () => {
  assert.equal(timestampArg('10s', 1_700_000_000_000), '1699999990.000000000');
  assert.equal(timestampArg('1700000000'), '1700000000');
  assert.equal(timestampArg('2023-11-14T22:13:20Z'), '1700000000.000000000');
  assert.throws(() => timestampArg('yesterday-ish'));
});
