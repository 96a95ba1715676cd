import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ramInBytes } from './go-units.js';

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
