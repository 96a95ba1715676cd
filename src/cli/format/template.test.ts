import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, renderTemplate, TemplateError } from './template.js';
import { formatG, sprintf } from '../../lib/go-print.js';

const data = {
  Name: 'web',
  Id: 'abc123',
  Count: 3,
  Zero: 0,
  Empty: '',
  Flag: true,
  State: { Status: 'running', Health: null, Pid: 42 },
  Labels: { 'com.example.a': 'x', b: 'y' },
  List: ['a', 'b', 'c'],
  None: [] as string[],
  Nums: [1, 2],
  Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] },
};
const r = (t: string, d: unknown = data) => renderTemplate(t, d);

test('fields, nested fields, dot and text', () => {
  assert.equal(r('{{.Name}}'), 'web');
  assert.equal(r('name={{.Name}} id={{.Id}}'), 'name=web id=abc123');
  assert.equal(r('{{.State.Status}}/{{.State.Pid}}'), 'running/42');
  assert.equal(r('{{.}}', 'plain'), 'plain');
  assert.equal(r('no actions'), 'no actions');
  assert.equal(r('{{.Count}} {{.Flag}}'), '3 true');
});

test('missing map keys print <no value>, null prints <nil>', () => {
  assert.equal(r('{{.Nope}}'), '<no value>');
  assert.equal(r('{{.State.Health}}'), '<nil>');
});

test('values print like Go: slices and maps', () => {
  assert.equal(r('{{.List}}'), '[a b c]');
  assert.equal(r('{{.Labels}}'), 'map[b:y com.example.a:x]');
  assert.equal(r('{{.None}}'), '[]');
});

test('json function and pipeline', () => {
  assert.equal(r('{{json .Labels}}'), '{"com.example.a":"x","b":"y"}');
  assert.equal(r('{{.List | json}}'), '["a","b","c"]');
  assert.equal(r('{{json .Name}}'), '"web"');
  assert.equal(r('{{json .State.Health}}'), 'null');
  assert.equal(r('{{json .}}', { a: '<&>' }), '{"a":"<&>"}', 'docker does not HTML-escape');
});

test('index on maps and slices', () => {
  assert.equal(r('{{index .Labels "com.example.a"}}'), 'x');
  assert.equal(r('{{index .List 1}}'), 'b');
  assert.equal(r('{{(index (index .Ports "80/tcp") 0).HostPort}}'), '8080');
  assert.equal(r('{{index .Labels "missing"}}'), '<no value>');
  assert.throws(() => r('{{index .List 5}}'), TemplateError);
});

test('range over slices, maps, with variables and else', () => {
  assert.equal(r('{{range .List}}[{{.}}]{{end}}'), '[a][b][c]');
  assert.equal(r('{{range $i, $v := .List}}{{$i}}={{$v}} {{end}}'), '0=a 1=b 2=c ');
  assert.equal(r('{{range $k, $v := .Labels}}{{$k}}:{{$v}};{{end}}'), 'b:y;com.example.a:x;');
  assert.equal(r('{{range .None}}x{{else}}empty{{end}}'), 'empty');
  assert.equal(r('{{range .List}}{{$.Name}}{{end}}'), 'webwebweb');
  assert.equal(r('{{range $p, $conf := .Ports}}{{$p}} -> {{(index $conf 0).HostPort}}{{end}}'), '80/tcp -> 8080');
});

test('if / else if / else and truthiness', () => {
  assert.equal(r('{{if .Flag}}yes{{else}}no{{end}}'), 'yes');
  assert.equal(r('{{if .Zero}}yes{{else}}no{{end}}'), 'no');
  assert.equal(r('{{if .Empty}}a{{else if .Count}}b{{else}}c{{end}}'), 'b');
  assert.equal(r('{{if .None}}a{{else if .Zero}}b{{else}}c{{end}}'), 'c');
  assert.equal(r('{{if .State.Health}}h{{else}}none{{end}}'), 'none');
  assert.equal(r('{{if eq .State.Status "running"}}up{{end}}'), 'up');
  assert.equal(r('{{if and .Flag (gt .Count 2)}}ok{{end}}'), 'ok');
  assert.equal(r('{{if or .Zero .Empty}}x{{else}}neither{{end}}'), 'neither');
  assert.equal(r('{{if not .Zero}}negated{{end}}'), 'negated');
  assert.equal(r('{{if ne .Name "db"}}ne{{end}}'), 'ne');
});

test('with sets dot', () => {
  assert.equal(r('{{with .State}}{{.Status}}{{end}}'), 'running');
  assert.equal(r('{{with .State.Health}}x{{else}}no health{{end}}'), 'no health');
});

test('string functions: join, split, lower, upper, title, truncate, pad', () => {
  assert.equal(r('{{join .List ","}}'), 'a,b,c');
  assert.equal(r('{{join (split "a:b:c" ":") "-"}}'), 'a-b-c');
  assert.equal(r('{{lower "ABC"}} {{upper .Name}} {{title "hello world"}}'), 'abc WEB Hello World');
  assert.equal(r('{{.Name | upper}}'), 'WEB');
  assert.equal(r('{{truncate .Id 3}}'), 'abc');
  assert.equal(r('{{pad .Name 1 2}}|'), ' web  |');
  assert.equal(r('{{len .List}}'), '3');
});

test('println, print and printf', () => {
  assert.equal(r('{{println .Name}}'), 'web\n');
  assert.equal(r('{{println "a" "b"}}'), 'a b\n');
  assert.equal(r('{{print "a" "b"}}'), 'ab');
  assert.equal(r('{{printf "%s-%d" .Name .Count}}'), 'web-3');
  assert.equal(r('{{printf "%q" .Name}}'), '"web"');
  assert.equal(r('{{printf "%-5s|" .Name}}'), 'web  |');
  assert.equal(r('{{printf "%5s|" .Name}}'), '  web|');
  assert.equal(r('{{printf "%v" .List}}'), '[a b c]');
  assert.equal(r('{{printf "%.2f" 3.14159}}'), '3.14');
  assert.equal(r('{{.Name | printf "<%s>"}}'), '<web>');
});

test('trim markers remove surrounding whitespace', () => {
  assert.equal(r('a   {{- .Name -}}   b'), 'awebb');
  assert.equal(r('{{range .List -}}\n  {{.}}\n{{- end}}'), 'abc');
  assert.throws(() => r('x {{-.Count}}'), TemplateError, 'without a space, {{- is not a trim marker (Go: bad number syntax)');
});

test('comments, literals, raw strings, parenthesised pipelines', () => {
  assert.equal(r('a{{/* hidden */}}b'), 'ab');
  assert.equal(r('{{"quoted \\"x\\""}}'), 'quoted "x"');
  assert.equal(r('{{`raw\\n`}}'), 'raw\\n');
  assert.equal(r('{{(.State).Status}}'), 'running');
  assert.equal(r('{{true}} {{42}} {{-1}}'), 'true 42 -1');
  assert.equal(r('{{$x := .Name}}{{$x}}{{$x}}'), 'webweb');
});

test('methods of class instances are callable with arguments; missing struct fields are errors', () => {
  class Ctx {
    get ID() {
      return 'id1';
    }
    Label(k: unknown) {
      return k === 'a' ? 'A' : '';
    }
  }
  assert.equal(r('{{.ID}} {{.Label "a"}}', new Ctx()), 'id1 A');
  assert.throws(() => r('{{.Nope}}', new Ctx()), /can't evaluate field Nope/);
});

test('parse errors are TemplateErrors', () => {
  for (const bad of [
    '{{.Name',
    '{{if .Flag}}x',
    '{{end}}',
    '{{nosuchfunc .Name}}',
    '{{range .List}}{{else}}{{else}}{{end}}',
    '{{"unterminated}}',
    '{{.Name | }}',
  ]) {
    assert.throws(() => r(bad), TemplateError, bad);
  }
});

test('compiled templates are reusable', () => {
  const t = compileTemplate('{{.A}}-');
  assert.equal([{ A: 1 }, { A: 2 }].map((d) => t.execute(d)).join(''), '1-2-');
});

test('Go %g formatting and sprintf edge cases', () => {
  assert.equal(formatG(4.256, 3), '4.26');
  assert.equal(formatG(4, 3), '4');
  assert.equal(formatG(999.6, 3), '1e+03');
  assert.equal(formatG(0.5, 3), '0.5');
  assert.equal(formatG(123.4, 4), '123.4');
  assert.equal(sprintf('%d%%', [5]), '5%');
  assert.equal(sprintf('%s', []), '%!s(MISSING)');
});
