import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComposeFileError } from '../errors.js';
import { interpolateTree, substitute, TemplateError } from './interpolate.js';

const env: Record<string, string> = { SET: 'value', EMPTY: '', B: 'bee' };
const lookup = (n: string) => env[n];
const sub = (s: string) => substitute(s, lookup);

test('interpolation: plain, braced, escapes', () => {
  assert.equal(sub('no vars'), 'no vars');
  assert.equal(sub('$SET'), 'value');
  assert.equal(sub('${SET}'), 'value');
  assert.equal(sub('a-$SET-b'), 'a-value-b');
  assert.equal(sub('$SET.x'), 'value.x');
  assert.equal(sub('$UNSET'), '');
  assert.equal(sub('${UNSET}'), '');
  assert.equal(sub('$$SET'), '$SET');
  assert.equal(sub('$${SET}'), '${SET}');
  assert.equal(sub('cost: $$5'), 'cost: $5');
});

test('interpolation: default and alternative modifiers, colon vs no colon', () => {
  assert.equal(sub('${UNSET:-d}'), 'd');
  assert.equal(sub('${EMPTY:-d}'), 'd');
  assert.equal(sub('${SET:-d}'), 'value');
  assert.equal(sub('${UNSET-d}'), 'd');
  assert.equal(sub('${EMPTY-d}'), '');
  assert.equal(sub('${SET:+x}'), 'x');
  assert.equal(sub('${EMPTY:+x}'), '');
  assert.equal(sub('${UNSET:+x}'), '');
  assert.equal(sub('${EMPTY+x}'), 'x');
  assert.equal(sub('${UNSET+x}'), '');
  assert.equal(sub('${UNSET:-}'), '');
  assert.equal(sub('${UNSET:-a b:c}'), 'a b:c');
});

test('interpolation: nested defaults expand only on the branch taken', () => {
  assert.equal(sub('${UNSET:-${B:-c}}'), 'bee');
  assert.equal(sub('${UNSET:-${NOPE:-c}}'), 'c');
  assert.equal(sub('${A:-${UNSET:-${B}}}x'), 'beex');
  assert.equal(sub('${SET:-${NOPE:?never evaluated}}'), 'value');
  assert.equal(sub('${UNSET:-$B}'), 'bee');
  assert.equal(sub('${UNSET:-$$B}'), '$B');
});

test('interpolation: required variables', () => {
  assert.equal(sub('${SET:?boom}'), 'value');
  assert.equal(sub('${EMPTY?boom}'), '');
  assert.throws(() => sub('${UNSET:?please set it}'), { message: 'required variable UNSET is missing a value: please set it' });
  assert.throws(() => sub('${EMPTY:?}'), { message: 'required variable EMPTY is missing a value' });
  assert.throws(() => sub('${UNSET?no ${B}}'), { message: 'required variable UNSET is missing a value: no bee' });
});

test('interpolation: invalid templates; a lone $ is literal', () => {
  for (const bad of ['${', '${SET', '${}', '${ }', '${ SET}', '${SET }', '${1X}', '${SET!x}']) {
    assert.throws(() => sub(bad), TemplateError, bad);
  }
  for (const literal of ['a $ string', '^REGEX$', '$}', '$', '$1', 'x$-y']) assert.equal(sub(literal), literal);
});

test('interpolation: braces inside a default nest', () => {
  assert.equal(sub('ok ${missing:-{"json":1}}'), 'ok {"json":1}');
  assert.equal(sub('ok ${missing-{"json":1}}'), 'ok {"json":1}');
  assert.equal(sub('ok ${SET:-{"json":1}}'), 'ok value');
  assert.equal(sub('${UNSET:+${B},}x'), 'x');
  assert.equal(sub('${SET:+${B},}x'), 'bee,x');
});

test('interpolateTree: values only, errors name file and path', () => {
  const out = interpolateTree({ services: { web: { image: 'x:$SET', labels: { $SET: '${B}' }, ports: [1, '${B}'] } } }, lookup, '/p/compose.yaml');
  assert.deepEqual(out, { services: { web: { image: 'x:value', labels: { $SET: 'bee' }, ports: [1, 'bee'] } } });
  assert.throws(
    () => interpolateTree({ services: { web: { image: '${TAG:?tag is required}' } } }, lookup, '/p/compose.yaml'),
    (e: unknown) =>
      e instanceof ComposeFileError &&
      e.file === '/p/compose.yaml' &&
      e.path === 'services.web.image' &&
      e.message === 'error while interpolating services.web.image in /p/compose.yaml: required variable TAG is missing a value: tag is required' &&
      e.kind === 'invalid-argument',
  );
});
