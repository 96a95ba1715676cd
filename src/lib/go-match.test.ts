import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goMatch } from './go-match.js';

test('goMatch: characters that are special in regexes but not in Go patterns match literally', () => {
  const cases: [string, string, boolean][] = [
    ['committed:2467-kaeh', 'committed:2467-kaeh', true], // '-' outside a class (a 'u'-flag regex trap)
    ['a-b/*.txt', 'a-b/x.txt', true],
    ['a-b/*.txt', 'a-b/c/x.txt', false],
    ['[a-c]x', 'bx', true],
    ['[^a-c]x', 'bx', false],
    ['a.b', 'axb', false],
    ['{x}|(y)+$', '{x}|(y)+$', true],
    ['f\\*', 'f*', true],
    ['f\\*', 'fo', false],
  ];
  for (const [p, s, want] of cases) assert.equal(goMatch(p, s), want, `${p} ~ ${s}`);
  assert.throws(() => goMatch('x[-]y', 'x-y'), /syntax error in pattern/);
});
