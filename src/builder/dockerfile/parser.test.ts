import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dumpAst } from './ast.js';
import { parseDockerfile } from './parser.js';
import { DockerfileParseError } from './parse-error.js';
import { conformancePath, requiresConformance } from '../../../test/support/conformance.js';

const corpus = conformancePath('dockerfile-parser');
const skip = requiresConformance('dockerfile-parser');

test('BuildKit parser corpus: every result reproduced', { skip }, async (t) => {
  const dir = join(corpus!, 'testfiles');
  const names = readdirSync(dir);
  assert.ok(names.length >= 30);
  for (const name of names) {
    await t.test(name, () => {
      const df = readFileSync(join(dir, name, 'Dockerfile'));
      const want = readFileSync(join(dir, name, 'result'), 'utf8');
      assert.equal(dumpAst(parseDockerfile(df).nodes), want);
    });
  }
});

test('BuildKit parser corpus: every negative file rejected', { skip }, async (t) => {
  const dir = join(corpus!, 'testfiles-negative');
  for (const name of readdirSync(dir)) {
    await t.test(name, () => {
      const df = readFileSync(join(dir, name, 'Dockerfile'));
      assert.throws(() => parseDockerfile(df), DockerfileParseError);
    });
  }
});

test('line numbers, directives, comments', () => {
  const r = parseDockerfile('# syntax=docker/dockerfile:1\n# escape=`\n\n# the base\nFROM busybox\nRUN echo a `\n  b\n\nCMD x\n');
  assert.deepEqual(r.directives, { syntax: 'docker/dockerfile:1', escape: '`' });
  assert.equal(r.escapeToken, '`');
  assert.deepEqual(
    r.nodes.map((n) => [n.cmd, n.startLine, n.endLine]),
    [
      ['FROM', 5, 5],
      ['RUN', 6, 7],
      ['CMD', 9, 9],
    ],
  );
  assert.deepEqual(r.nodes[0]!.comments, ['the base']);
  assert.equal(r.nodes[1]!.args[0], 'echo a   b');
});

test('directives only at the top; duplicates and bad escape rejected', () => {
  const late = parseDockerfile('FROM a\n# escape=`\nRUN x \\\n y\n');
  assert.equal(late.escapeToken, '\\');
  assert.equal(late.nodes[1]!.args[0], 'x  y');
  const afterComment = parseDockerfile('# hello\n# escape=`\nFROM a\n');
  assert.equal(afterComment.escapeToken, '\\');
  assert.throws(() => parseDockerfile('# escape=`\n# escape=\\\nFROM a\n'), /dockerfile parse error on line 2: only one escape parser directive can be used/);
  assert.throws(() => parseDockerfile('# escape=x\nFROM a\n'), /invalid escape token 'x' does not match ` or \\/);
});

test('heredocs', () => {
  const src = [
    'FROM busybox',
    'RUN <<EOF',
    'echo $HOME',
    'EOF',
    'RUN <<-"END" cat >/x',
    '\tquoted $X',
    '\tEND',
    'RUN 3<<A cat /dev/fd/3 && cat <<B',
    'a',
    'A',
    'b',
    'B',
    'COPY <<EOF /file',
    'hello',
    'EOF',
    'RUN ["echo", "<<EOF"]',
    'CMD done',
  ].join('\n');
  const r = parseDockerfile(src);
  const [, run1, run2, run3, copy, json, cmd] = r.nodes;
  assert.deepEqual(run1!.heredocs, [{ name: 'EOF', fileDescriptor: 0, expand: true, chomp: false, content: 'echo $HOME\n' }]);
  assert.deepEqual([run1!.startLine, run1!.endLine], [2, 4]);
  assert.deepEqual(run2!.heredocs, [{ name: 'END', fileDescriptor: 0, expand: false, chomp: true, content: '\tquoted $X\n' }]);
  assert.deepEqual(
    run3!.heredocs.map((h) => [h.name, h.fileDescriptor, h.content]),
    [
      ['A', 3, 'a\n'],
      ['B', 0, 'b\n'],
    ],
  );
  assert.deepEqual(
    copy!.heredocs.map((h) => h.content),
    ['hello\n'],
  );
  assert.deepEqual(json!.heredocs, []);
  assert.deepEqual([cmd!.cmd, cmd!.startLine], ['CMD', 17]);
  assert.throws(() => parseDockerfile('FROM a\nRUN <<EOF\nx\n'), /dockerfile parse error on line 2: unterminated heredoc/);
});

test('JSON with non-string elements is an error; CRLF and BOM handled', () => {
  assert.throws(() => parseDockerfile('FROM a\nCMD ["a", 1]\n'), /line 2: when using JSON array syntax, arrays must be comprised of strings only/);
  const r = parseDockerfile('\ufeffFROM a\r\nRUN x \\\r\n  y\r\n');
  assert.equal(dumpAst(r.nodes), '(from "a")\n(run "x   y")\n');
});

test('empty continuation lines warn', () => {
  const r = parseDockerfile('FROM a\nRUN a \\\n\n b\n');
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!.short, /Empty continuation line found in: RUN a  b/);
});
