import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDotenv, readDotenv } from './dotenv.js';
import { writeTree } from './test-tree.js';

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
    A: '1',
    B: 'two',
    C: 'spaced',
    D: 'double # not a comment\nline',
    E: 'single $A ${A}',
    F: 'unquoted',
    G: 'with#hash',
    H: '1-two',
    I: '1x$A',
    J: 'multi\nline',
    K: '',
    FROMENV: 'env',
    L: 'yamlish',
  });
});

test('dotenv: the environment wins over earlier lines in substitutions; errors', () => {
  assert.deepEqual(
    parseDotenv('A=file\nB=${A}', (n) => (n === 'A' ? 'env' : undefined)),
    { A: 'file', B: 'env' },
  );
  assert.throws(() => parseDotenv('BAD KEY=1', () => undefined, '/x/.env'), /\/x\/.env:1: unexpected character/);
  assert.throws(() => parseDotenv('A="open', () => undefined, '/x/.env'), /unterminated/);
  assert.throws(() => parseDotenv('A=${B:?need B}', () => undefined, '/x/.env'), /\/x\/.env:1: required variable B/);
});

test('readDotenv: missing file is an error unless optional', () => {
  const dir = writeTree({});
  assert.equal(
    readDotenv(join(dir, 'nope'), () => undefined, false),
    undefined,
  );
  assert.throws(() => readDotenv(join(dir, 'nope'), () => undefined), /env file .*nope not found/);
  writeFileSync(join(dir, 'x.env'), 'A=1\r\nB=2\r\n');
  assert.deepEqual(
    readDotenv(join(dir, 'x.env'), () => undefined),
    { A: '1', B: '2' },
  );
});

test('dotenv: quoting and escapes as compose reads them', () => {
  const one = (line: string, env: Record<string, string> = {}) => Object.values(parseDotenv(line, (n) => env[n]))[0];
  const cases: [string, string][] = [
    ['FOO =bar', 'bar'],
    ['FOO= bar', 'bar'],
    ['FOO="escaped\\"bar"', 'escaped"bar'],
    ['FOO="\'d\'"', "'d'"],
    ['OPTION_A: Foo=bar', 'Foo=bar'],
    ['OPTION_A=1:B', '1:B'],
    ["export\tA='\\n'", '\\n'],
    ["K='Let\\'s go!'", "Let's go!"],
    ['FOO=a\\tb', 'a\\tb'],
    ['FOO="a\\tb"', 'a\tb'],
    ['KEY="Z\\aZ\\bZ\\fZ\\nZ\\rZ\\tZ\\vZ\\\\Z\\0123Z"', 'Z\x07Z\bZ\fZ\nZ\rZ\tZ\vZ\\ZSZ'],
    ['FOO="bar\\n\\ b\\az"', 'bar\n\\ b\x07z'],
    ['KEY="\\x07"', '\\x07'],
    ['FOO=bar #', 'bar'],
    ['FOO=123#not-a-comment', '123#not-a-comment'],
    ['FOO="bar#baz"#', 'bar#baz'],
    ["FOO='bar#baz' # comment", 'bar#baz'],
    ['FOO="foo\\${BAR} $BAR"', 'foo${BAR} b'],
  ];
  for (const [line, want] of cases) assert.equal(one(line, { BAR: 'b' }), want, line);
  assert.deepEqual(
    parseDotenv('VAR-WITH-DASHES=d\nVAR.WITH.DOTS=x', () => undefined),
    { 'VAR-WITH-DASHES': 'd', 'VAR.WITH.DOTS': 'x' },
  );
  for (const bad of ['KEY="', 'KEY="value\\"', "KEY='value", "KEY='value\\'", 'KEY=\'value"', 'lol$wut']) {
    assert.throws(() => parseDotenv(bad, () => undefined), bad);
  }
});
