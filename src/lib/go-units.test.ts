import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesSize, humanSize, humanSizeWithPrecision, ramInBytes } from './go-units.js';

test('ramInBytes parses docker memory flags', () => {
  assert.equal(ramInBytes('512m'), 536870912);
  assert.equal(ramInBytes('1g'), 1073741824);
  assert.equal(ramInBytes('1GB'), 1073741824);
  assert.equal(ramInBytes('64k'), 65536);
  assert.equal(ramInBytes('100'), 100);
  assert.equal(ramInBytes('1.5g'), 1610612736);
  assert.throws(() => ramInBytes('12x'));
  assert.throws(() => ramInBytes(''));
});

test('ramInBytes: binary suffixes, sizes that are not numbers', () => {
  assert.equal(ramInBytes('1.5GiB'), 1610612736);
  assert.equal(ramInBytes('64 m'), 67108864);
  assert.throws(() => ramInBytes('1.2.3m'), /invalid size: '1.2.3m'/);
});

test('humanSize: decimal units, 3 significant digits', () => {
  const cases: [number, string][] = [
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1024, '1.02kB'],
    [4264096, '4.26MB'],
    [1e6, '1MB'],
    [123456789, '123MB'],
    [1.5e9, '1.5GB'],
    [999_600, '1e+03kB'],
    [2e15, '2PB'],
  ];
  for (const [b, want] of cases) assert.equal(humanSizeWithPrecision(b, 3), want, String(b));
});

test('bytesSize: binary units, 4 significant digits (stats)', () => {
  assert.equal(bytesSize(0), '0B');
  assert.equal(bytesSize(1024), '1KiB');
  assert.equal(bytesSize(1536 * 1024), '1.5MiB');
  assert.equal(bytesSize(8267415552), '7.7GiB');
  assert.equal(bytesSize(123456), '120.6KiB');
});

test('humanSize: go-units HumanSize is precision 4', () => {
  assert.equal(humanSize(123456), '123.5kB');
  assert.equal(humanSize(16_432_000), '16.43MB');
  assert.equal(humanSize(0), '0B');
});
