import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerignore, PatternMatcher, withAlwaysSent, ignoreFileCandidates } from './dockerignore.js';
import { goMatch } from './go-match.js';
import { isBerthError } from './errors.js';

test('filepath.Match table', () => {
  const t: Array<[string, string, boolean]> = [
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a', true],
    ['a*', 'ab/c', false],
    ['a*/b', 'abc/b', true],
    ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
    ['a*b?c*x', 'abxbbxdbxebxczzx', true],
    ['a*b?c*x', 'abxbbxdbxebxczzy', false],
    ['ab[c]', 'abc', true],
    ['ab[b-d]', 'abc', true],
    ['ab[e-g]', 'abc', false],
    ['ab[^c]', 'abc', false],
    ['ab[^b-d]', 'abe', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'ab', false],
    ['a?b', 'a/b', false],
    ['a*b', 'a/b', false],
    ['[\\]a]', ']', true],
    ['*.go', 'x.go', true],
  ];
  for (const [p, n, want] of t) assert.equal(goMatch(p, n), want, `${p} ${n}`);
  for (const bad of ['[', '[^', '[^bc', 'a[', '[]a]', '[a-]', 'a\\']) assert.throws(() => goMatch(bad, 'x'), /syntax error in pattern/, bad);
});

test('.dockerignore file parsing', () => {
  assert.deepEqual(parseDockerignore('# comment\n\n  node_modules/  \n/abs\n./rel/x\n! keep \n**/*.log\n #not comment\r\nb//c/../d\n'), [
    'node_modules',
    'abs',
    'rel/x',
    '!keep',
    '**/*.log',
    '#not comment',
    'b/d',
  ]);
});

test('matcher table (moby/patternmatcher semantics)', () => {
  const t: Array<[string[], string, boolean]> = [
    [['*.md'], 'README.md', true],
    [['*.md'], 'docs/x.md', false],
    [['**/*.md'], 'docs/x.md', true],
    [['**/*.md'], 'x.md', true],
    [['docs'], 'docs/a/b.txt', true],
    [['docs'], 'docsx', false],
    [['docs/'], 'docs/x', true],
    [['*', '!keep'], 'keep', false],
    [['*', '!keep'], 'other', true],
    [['!keep', '*'], 'keep', true],
    [['dir', '!dir/in'], 'dir/in/x', false],
    [['dir', '!dir/in'], 'dir/out', true],
    [['**'], 'any/thing', true],
    [['a/**'], 'a/b/c', true],
    [['a/**/b'], 'a/b', true],
    [['a/**/b'], 'a/x/y/b', true],
    [['a/**/b'], 'ab', false],
    [['?at'], 'cat', true],
    [['?at'], 'c/at', false],
    [['a.b'], 'axb', false],
    [['f(1)'], 'f(1)', true],
    [['[a-c]x'], 'bx', true],
    [['logs/*', '!logs/keep.log'], 'logs/keep.log', false],
    [['logs/*', '!logs/keep.log'], 'logs/other.log', true],
    [['/root.txt'], 'root.txt', true],
    [['./x/'], 'x/y', true],
    [['node_modules'], 'a/node_modules/b', false],
  ];
  for (const [pats, file, want] of t) assert.equal(new PatternMatcher(parseDockerignore(pats.join('\n'))).matches(file), want, `${pats} ${file}`);
  assert.throws(() => new PatternMatcher(['!']), /illegal exclusion pattern: "!"/);
  assert.throws(() => new PatternMatcher(['a[']), /syntax error in pattern/);
});

test('Dockerfile and ignore files are always sent; Dockerfile.dockerignore is preferred', () => {
  const pm = new PatternMatcher(withAlwaysSent(['*'], 'build/Dockerfile.dev', 'build/Dockerfile.dev.dockerignore'));
  assert.equal(pm.matches('build/Dockerfile.dev'), false);
  assert.equal(pm.matches('.dockerignore'), false);
  assert.equal(pm.matches('build/Dockerfile.dev.dockerignore'), false);
  assert.equal(pm.matches('build/other'), true);
  assert.deepEqual(ignoreFileCandidates('build/Dockerfile.dev'), ['build/Dockerfile.dev.dockerignore', '.dockerignore']);
});

test('odd but valid patterns match literally (regex characters, lone ] and -, escapes, CRLF, BOM)', () => {
  const t: Array<[string, string, boolean]> = [
    ['-', '-', true],
    ['a-b', 'a-b', true],
    [']', ']', true],
    ['a]b', 'a]b', true],
    ['^x$', '^x$', true],
    ['x|y', 'x', false],
    ['{a,b}', '{a,b}', true],
    ['a+', 'aa', false],
    ['\\[x]', '[x]', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['[\\]]', ']', true],
    ['[^a]', 'b', true],
    ['[^a]', 'a', false],
    ['é*', 'été', true],
    ['\u{1F600}?', '\u{1F600}x', true],
    ['a**b', 'a/x/b', true],
    ['**.go', 'x/.go', true],
  ];
  for (const [p, file, want] of t) assert.equal(new PatternMatcher(parseDockerignore(p)).matches(file), want, `${p} ${file}`);
  assert.deepEqual(parseDockerignore('\ufeffa\r\n# c\r\n\r\n  b  \r\n!  c\r\n/\r\n.\r\n..\r\n'), ['a', 'b', '!c', '/', '.', '..']);
});

test('every malformed pattern is a 400 "syntax error in pattern"; nothing else is thrown', () => {
  for (const bad of ['[', '[a-', '[a-]', '[]', '[^', 'x[\\', 'a\\', '[z-a]', '**/[', '!['])
    assert.throws(
      () => new PatternMatcher(parseDockerignore(bad)),
      (e: unknown) => isBerthError(e, 'invalid-argument') && /syntax error in pattern/.test((e as Error).message),
      bad,
    );
  assert.throws(() => parseDockerignore('a'.repeat(70_000)), /bufio.Scanner: token too long/);
  // Random patterns: either valid (and matchable) or a 400, never another error.
  const alpha = ['[', ']', '^', '-', '\\', '*', '?', '!', '/', '.', 'a', ' ', '#', '\r', '(', '|', '$', '{', 'é'];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  for (let i = 0; i < 20_000; i++) {
    let p = '';
    for (let j = 1 + rnd(7); j > 0; j--) p += alpha[rnd(alpha.length)];
    try {
      new PatternMatcher(parseDockerignore(p)).matches('a/b.c');
    } catch (e) {
      assert.ok(isBerthError(e, 'invalid-argument'), `${JSON.stringify(p)}: ${String(e)}`);
    }
  }
});

test('matching is linear: a pattern with many stars against a long name returns at once', () => {
  const pm = new PatternMatcher(['*a'.repeat(30) + '*b']);
  assert.equal(pm.matches('a'.repeat(250)), false); // a backtracking regex takes hours here
  assert.equal(pm.matches('a'.repeat(40) + 'b'), true);
});
