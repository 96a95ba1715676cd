import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goIndent, goMarshalIndent, RawJson } from './go-json.js';

test('goIndent re-indents token by token as json.Indent does', () => {
  const src = '{"a":1.0,"b":[],"c":{},"d":["x\\"y",{"e":"<&>"}], "f" : 2e3}';
  assert.equal(goIndent(src, '\t'), '{\n\t"a": 1.0,\n\t"b": [],\n\t"c": {},\n\t"d": [\n\t\t"x\\"y",\n\t\t{\n\t\t\t"e": "<&>"\n\t\t}\n\t],\n\t"f": 2e3\n}');
  assert.equal(goIndent('[1,2]', '   ', { prefix: '>' }), '[\n>   1,\n>   2\n>]');
});

test('goMarshalIndent escapes HTML and splices raw JSON compactly re-indented', () => {
  const out = goMarshalIndent({ Ref: 'a<b', Raw: new RawJson('{ "k" : [ 1 ] }'), skip: undefined }, '\t');
  assert.equal(out, '{\n\t"Ref": "a\\u003cb",\n\t"Raw": {\n\t\t"k": [\n\t\t\t1\n\t\t]\n\t}\n}');
});
