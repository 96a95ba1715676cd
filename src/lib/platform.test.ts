import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amd64LevelOf, compatiblePlatforms, formatPlatform, normalizePlatform, parsePlatform, platformMatches, platformRank } from './platform.js';

test('normalizePlatform follows containerd: aliases, default variants dropped, bare arm is arm/v7', () => {
  assert.equal(formatPlatform(normalizePlatform({ os: 'linux', architecture: 'aarch64' })), 'linux/arm64');
  assert.equal(formatPlatform(normalizePlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' })), 'linux/arm64');
  assert.equal(formatPlatform(normalizePlatform({ os: 'linux', architecture: 'x86_64' })), 'linux/amd64');
  assert.equal(formatPlatform(normalizePlatform({ os: 'linux', architecture: 'amd64', variant: 'v1' })), 'linux/amd64');
  assert.equal(formatPlatform(normalizePlatform({ os: 'linux', architecture: 'arm' })), 'linux/arm/v7');
  assert.equal(formatPlatform(normalizePlatform({ os: 'linux', architecture: 'armhf' })), 'linux/arm/v7');
});

test('parsePlatform reads os/arch[/variant] and a bare arch; bad input is a 400 with Docker words', () => {
  assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
  assert.deepEqual(parsePlatform('arm64'), { os: 'linux', architecture: 'arm64' });
  assert.throws(() => parsePlatform('linux/arm64/v8/x'), /unknown operating system or architecture/);
  assert.throws(() => parsePlatform('linux//'), /unknown operating system or architecture/);
});

test('amd64LevelOf reads the psABI levels from CPU flags', () => {
  const v2 = ['cx16', 'lahf_lm', 'popcnt', 'sse4_1', 'sse4_2', 'ssse3'];
  const v3 = [...v2, 'avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave'];
  assert.equal(amd64LevelOf(['sse2']), 1);
  assert.equal(amd64LevelOf(v2), 2);
  assert.equal(amd64LevelOf(v3), 3);
  assert.equal(amd64LevelOf([...v3, 'avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl']), 4);
  assert.equal(amd64LevelOf(v3.filter((f) => f !== 'cx16')), 1, 'a level needs every lower one');
});

test('compatiblePlatforms: amd64/v3 runs v3, v2, v1 and 386; arm64 runs arm; arm/v7 runs v6 and v5', () => {
  assert.deepEqual(compatiblePlatforms({ os: 'linux', architecture: 'amd64', variant: 'v3' }).map(formatPlatform), [
    'linux/amd64/v3',
    'linux/amd64/v2',
    'linux/amd64',
    'linux/386',
  ]);
  assert.deepEqual(compatiblePlatforms({ os: 'linux', architecture: 'arm64', variant: 'v8' }).map(formatPlatform), [
    'linux/arm64',
    'linux/arm/v8',
    'linux/arm/v7',
    'linux/arm/v6',
    'linux/arm/v5',
  ]);
  assert.deepEqual(compatiblePlatforms({ os: 'linux', architecture: 'arm', variant: 'v7' }).map(formatPlatform), [
    'linux/arm/v7',
    'linux/arm/v6',
    'linux/arm/v5',
  ]);
});

test('platformRank: the better match ranks first; foreign platforms and higher levels do not match', () => {
  const host = { os: 'linux', architecture: 'amd64', variant: 'v2' };
  assert.equal(platformRank(host, { os: 'linux', architecture: 'amd64', variant: 'v2' }), 0);
  assert.equal(platformRank(host, { os: 'linux', architecture: 'amd64' }), 1);
  assert.equal(platformRank(host, { os: 'linux', architecture: 'amd64', variant: 'v3' }), -1, 'a v3 image needs a v3 CPU');
  assert.equal(platformMatches(host, { os: 'linux', architecture: 'arm64', variant: 'v8' }), false);
  assert.equal(platformMatches({ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }), true);
  assert.equal(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }), false);
});

test('platformRank with fallback: an image that names no variant matches any variant of its arch', () => {
  const want = { os: 'linux', architecture: 'arm64', variant: 'v9' };
  assert.equal(platformMatches(want, { os: 'linux', architecture: 'arm64' }), false);
  assert.equal(platformMatches(want, { os: 'linux', architecture: 'arm64' }, { fallback: true }), true);
});
