import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDotenv, readDotenv } from './dotenv.js';

test('dotenv: compose env-file syntax', () => {
  const text = [
    '# comment',
    '',
    'A=1',
    'export B=two',
    '  C = spaced  ',
    'D="double # not a comment\\nline"',
    "E='single $A ${A}'",
    'F=unquoted # comment',
    'G=with#hash',
    'H=$A-${B}',
    'I="${A}x\\$A"',
    'J="multi',
    'line"',
    'K=',
    'FROMENV',
    'MISSING',
    'L: yamlish',
  ].join('\n');
  const vars = parseDotenv(text, (n) => ({ FROMENV: 'env' })[n]);
  assert.deepEqual(vars, {
    A: '1', B: 'two', C: 'spaced', D: 'double # not a comment\nline', E: 'single $A ${A}', F: 'unquoted', G: 'with#hash',
    H: '1-two', I: '1x$A', J: 'multi\nline', K: '', FROMENV: 'env', L: 'yamlish',
  });
});

test('dotenv: the environment wins over earlier lines in substitutions; errors', () => {
  assert.deepEqual(parseDotenv('A=file\nB=${A}', (n) => (n === 'A' ? 'env' : undefined)), { A: 'file', B: 'env' });
  assert.throws(() => parseDotenv('BAD KEY=1', () => undefined, '/x/.env'), /\/x\/.env:1: unexpected character/);
  assert.throws(() => parseDotenv('A="open', () => undefined, '/x/.env'), /unterminated/);
  assert.throws(() => parseDotenv('A=${B:?need B}', () => undefined, '/x/.env'), /\/x\/.env:1: required variable B/);
});

test('readDotenv: missing file is an error unless optional', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-dotenv-'));
  assert.equal(readDotenv(join(dir, 'nope'), () => undefined, false), undefined);
  assert.throws(() => readDotenv(join(dir, 'nope'), () => undefined), /env file .*nope not found/);
  writeFileSync(join(dir, 'x.env'), 'A=1\r\nB=2\r\n');
  assert.deepEqual(readDotenv(join(dir, 'x.env'), () => undefined), { A: '1', B: '2' });
});
