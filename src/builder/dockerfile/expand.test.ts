import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShellLex, envLookup } from './shell-lex.js';
import { expandInstruction } from './expand.js';
import { parseDockerfile } from './parser.js';
import { toInstructions } from './instructions.js';

const env = envLookup({ PWD: '/home', SHELL: '/bin/sh', EMPTY: '', SPACED: 'a  b', FILE: 'archive.tar.gz' });

test('ProcessWord table (BuildKit lexer semantics)', () => {
  const lex = new ShellLex();
  const table: Array<[string, string]> = [
    ['hello', 'hello'],
    ['$PWD', '/home'],
    ['${PWD}', '/home'],
    ['he$PWD', 'he/home'],
    ['$PWD/x', '/home/x'],
    ['\\$PWD', '$PWD'],
    ["'$PWD'", '$PWD'],
    ['"$PWD"', '/home'],
    ['"\\$PWD"', '$PWD'],
    ['"a\\b"', 'a\\b'],
    ['"a\\"b"', 'a"b'],
    ['a\\ b', 'a b'],
    ['\'a\'"b"c', 'abc'],
    ['$NOPE', ''],
    ['${NOPE:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${PWD:-def}', '/home'],
    ['${NOPE-x y}', 'x y'],
    ['${PWD:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${NOPE+alt}', ''],
    ['${PWD:?err}', '/home'],
    ['${FILE%.*}', 'archive.tar'],
    ['${FILE%%.*}', 'archive'],
    ['${FILE#*.}', 'tar.gz'],
    ['${FILE##*.}', 'gz'],
    ['${FILE/tar/zip}', 'archive.zip.gz'],
    ['${SPACED}', 'a  b'],
    ['$', '$'],
    ['$1', ''],
    ['a$', 'a$'],
    ['${PWD}}', '/home}'],
  ];
  for (const [inp, want] of table) assert.equal(lex.processWord(inp, env), want, inp);
});

test('ProcessWords splits after substitution, quotes keep words together', () => {
  const lex = new ShellLex();
  assert.deepEqual(lex.processWords('80 $SPACED "x y" \'$PWD\'', env), ['80', 'a', 'b', 'x y', '$PWD']);
  assert.deepEqual(lex.processWords('  ', env), []);
});

test('expansion errors', () => {
  const lex = new ShellLex();
  const errs: Array<[string, RegExp]> = [
    ['${NOPE:?must be set}', /failed to process "\$\{NOPE:\?must be set\}": NOPE: must be set/],
    ['${NOPE?}', /NOPE: is not allowed to be unset/],
    ['${EMPTY:?}', /EMPTY: is not allowed to be empty/],
    ['${PWD', /syntax error: missing '}'/],
    ['${}', /bad substitution/],
    ['${:x}', /bad substitution/],
    ['${PWD:%x}', /unsupported modifier \(:%\) in substitution/],
    ['${PWD^x}', /unsupported modifier \(\^\) in substitution/],
    ["'abc", /unexpected end of statement while looking for matching single-quote/],
    ['"abc', /unexpected end of statement while looking for matching double-quote/],
  ];
  for (const [inp, re] of errs) assert.throws(() => lex.processWord(inp, env), re, inp);
});

test('backtick escape token', () => {
  const lex = new ShellLex({ escapeToken: '`' });
  assert.equal(lex.processWord('C:\\dir `$PWD', env), 'C:\\dir $PWD');
});

test('expandInstruction expands exactly the instructions Docker expands', () => {
  const df = [
    'FROM a',
    'ENV B="$PWD x" C=${NOPE:-d}',
    'ENV OLD "$PWD y"',
    'LABEL "k$SHELL"="v $PWD"',
    'EXPOSE $PORTS 9/udp',
    'VOLUME $PWD/v /w',
    'WORKDIR $PWD',
    'USER ${U:-app}',
    'STOPSIGNAL $SIG',
    'ARG X=$PWD',
    'COPY --chown=$U:$U $PWD/a /dst/$SHELL',
    'ADD --chmod=$M a b',
    'RUN echo $PWD',
    'CMD echo $PWD',
    'ENTRYPOINT ["$PWD"]',
    'ONBUILD RUN $PWD',
    'RUN --mount=type=cache,target=$PWD/c x',
    'COPY <<EOF <<"Q" /x',
    '$PWD "q"',
    'EOF',
    '$PWD',
    'Q',
  ].join('\n');
  const ins = toInstructions(parseDockerfile(df));
  const e = envLookup({ PWD: '/home', SHELL: 'sh', PORTS: '80 443', SIG: 'SIGINT', U: 'u', M: '600' });
  const x = ins.map((i) => expandInstruction(i, e).instruction as unknown as Record<string, unknown>);
  assert.deepEqual(x[1]!.env, [
    { key: 'B', value: '/home x', noDelim: false },
    { key: 'C', value: 'd', noDelim: false },
  ]);
  assert.deepEqual(x[2]!.env, [{ key: 'OLD', value: '/home y', noDelim: true }]);
  assert.deepEqual(x[3]!.labels, [{ key: 'ksh', value: 'v /home', noDelim: false }]);
  assert.deepEqual(x[4]!.ports, ['80', '443', '9/udp']);
  assert.deepEqual(x[5]!.volumes, ['/home/v', '/w']);
  assert.equal(x[6]!.path, '/home');
  assert.equal(x[7]!.user, 'u');
  assert.equal(x[8]!.signal, 'SIGINT');
  assert.deepEqual(x[9]!.args, [{ key: 'X', value: '/home' }]);
  assert.deepEqual([x[10]!.chown, x[10]!.sources, x[10]!.dest], ['u:u', ['/home/a'], '/dst/sh']);
  assert.equal(x[11]!.chmod, '600');
  assert.deepEqual(x[12]!.cmd, ['echo $PWD']);
  assert.deepEqual(x[13]!.cmd, ['echo $PWD']);
  assert.deepEqual(x[14]!.cmd, ['$PWD']);
  assert.equal(x[15]!.expression, 'RUN $PWD');
  assert.equal((x[16]!.mounts as Array<{ target: string }>)[0]!.target, '/home/c');
  assert.deepEqual(
    (x[17]!.inline as Array<{ data: string }>).map((f) => f.data),
    ['/home "q"\n', '$PWD\n'],
  );
  const bad = toInstructions(parseDockerfile('FROM a\nWORKDIR ${X:?no workdir}\n'))[1]!;
  assert.throws(() => expandInstruction(bad, e), /dockerfile parse error on line 2: failed to process "\$\{X:\?no workdir\}": X: no workdir/);
});
