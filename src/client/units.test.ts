import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, humanDuration, humanSize, timestampArg } from './units.js';

test('humanDuration matches go-units', () => {
  const cases: [number, string][] = [
    [0, 'Less than a second'], [0.9, 'Less than a second'], [1, '1 second'], [2, '2 seconds'], [59, '59 seconds'],
    [60, 'About a minute'], [119, 'About a minute'], [120, '2 minutes'], [3599, '59 minutes'], [3600, 'About an hour'],
    [5399, 'About an hour'], [5400, '2 hours'], [47 * 3600, '47 hours'], [48 * 3600, '2 days'], [13 * 86400, '13 days'],
    [14 * 86400, '2 weeks'], [59 * 86400, '8 weeks'], [60 * 86400, '2 months'], [729 * 86400, '24 months'], [730 * 86400, '2 years'],
  ];
  for (const [s, want] of cases) assert.equal(humanDuration(s), want, `${s}s`);
});

test('humanSize: decimal units, 3 significant digits', () => {
  const cases: [number, string][] = [
    [0, '0B'], [999, '999B'], [1000, '1kB'], [1024, '1.02kB'], [4264096, '4.26MB'], [1e6, '1MB'], [123456789, '123MB'],
    [1.5e9, '1.5GB'], [999_600, '1e+03kB'], [2e15, '2PB'],
  ];
  for (const [b, want] of cases) assert.equal(humanSize(b), want, String(b));
});

test('bytesSize: binary units, 4 significant digits (stats)', () => {
  assert.equal(bytesSize(0), '0B');
  assert.equal(bytesSize(1024), '1KiB');
  assert.equal(bytesSize(1536 * 1024), '1.5MiB');
  assert.equal(bytesSize(8267415552), '7.7GiB');
  assert.equal(bytesSize(123456), '120.6KiB');
});

test('--since timestamps', () => {
  assert.equal(timestampArg('10s', 1_700_000_000_000), '1699999990.000000000');
  assert.equal(timestampArg('1700000000'), '1700000000');
  assert.equal(timestampArg('2023-11-14T22:13:20Z'), '1700000000.000000000');
  assert.throws(() => timestampArg('yesterday-ish'));
});
