import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliContext } from './context.js';
import { newCommand, parse, toInt, collect } from './flags.js';
import { UsageError } from './cli-error.js';
import { detachKeyBytes, escapeProxy } from '../lib/detach-keys.js';
import { checkAnyReference, checkNormalizedNamed } from '../client/reference.js';
import { splitPathDirEntry, rebaseName } from './cp-archive.js';
import { wrap } from './help/help-render.js';

function ctx(path: string) {
  let out = '';
  const c = new CliContext('unix:///x', {
    stdout: {
      write: (s: string) => {
        out += s;
        return true;
      },
    } as never,
    stderr: { write: () => true } as never,
    stdin: {} as never,
  });
  c.commandPath = path;
  return { c, out: () => out };
}

const psCmd = (c: CliContext) =>
  newCommand(c, { name: 'ps', usage: '[OPTIONS]', description: 'List containers', maxArgs: 0 })
    .option('-a, --all', 'all')
    .option('-q, --quiet', 'q')
    .option('-n, --last <int>', 'n', toInt)
    .option('--no-trunc', 't')
    .option('-f, --filter <filter>', 'f', collect, []);

test('pflag semantics: combined shorthands, attached values, =false, --no-x, lists', () => {
  const { c } = ctx('ps');
  const p = parse<Record<string, unknown>>(c, psCmd(c), ['-aqn3', '--filter=a=b', '-f', 'c=d', '--no-trunc', '--all=false'])!;
  assert.deepEqual(p.opts, { all: false, quiet: true, last: 3, filter: ['a=b', 'c=d'], trunc: false });
  const p2 = parse<Record<string, unknown>>(c, psCmd(c), ['-n=5', '-q=false'])!;
  assert.equal(p2.opts.last, 5);
  assert.equal(p2.opts.quiet, false);
});

test('pflag errors use docker wording and the invoked command path', () => {
  const { c } = ctx('container ls');
  const err = (argv: string[]) => {
    try {
      parse(c, psCmd(c), argv);
    } catch (e) {
      return e as UsageError;
    }
    assert.fail('no error');
  };
  assert.match(err(['-ax']).message, /^unknown shorthand flag: 'x' in -x\n\nUsage:  berth container ls \[OPTIONS\]\n\nRun 'berth container ls --help'/);
  assert.equal(err(['-ax']).status, 125);
  assert.match(err(['-qn']).message, /^flag needs an argument: 'n' in -n\n/);
  assert.match(err(['--last']).message, /^flag needs an argument: --last\n/);
  assert.match(err(['-n', 'x']).message, /^invalid argument "x" for "-n, --last" flag: strconv\.ParseInt: parsing "x": invalid syntax/);
  assert.match(err(['--all=maybe']).message, /^invalid argument "maybe" for "-a, --all" flag: strconv\.ParseBool/);
  const extra = err(['x']);
  assert.equal(extra.status, 1);
  assert.match(extra.message, /^berth: 'berth container ls' accepts no arguments\n/);
  // flags docker has for the command but berth did not declare are still accepted
  assert.ok(parse(c, psCmd(c), ['--size', '--format', '{{.ID}}']));
});

test("--help prints docker's text for the alias path with its canonical Usage line", () => {
  const { c, out } = ctx('container ps');
  assert.equal(parse(c, psCmd(c), ['--help']), null);
  assert.match(
    out(),
    /^Usage:  berth container ls \[OPTIONS\]\n\nList containers\n\nAliases:\n  berth container ls, berth container list, berth container ps, berth ps\n\nOptions:\n  -a, --all             Show all containers \(default shows just running\)\n/,
  );
});

test('pflag wrap: description column and orphan-avoiding slop', () => {
  assert.equal(wrap(10, 40, 'one two three four five six seven eight'), 'one two three four five\n          six seven eight');
  assert.equal(wrap(10, 0, 'a\nb'), 'a\n          b');
});

test('detach keys: parsing and the escape proxy', () => {
  assert.deepEqual(detachKeyBytes('ctrl-p,ctrl-q'), [16, 17]);
  assert.deepEqual(detachKeyBytes('ctrl-@,a,ctrl-_'), [0, 97, 31]);
  const fwd: string[] = [];
  let detached = false;
  const feed = escapeProxy(
    [16, 17],
    (b) => fwd.push(b.toString('latin1')),
    () => {
      detached = true;
    },
  );
  feed(Buffer.from('ab\x10c'));
  feed(Buffer.from('\x10'));
  assert.equal(detached, false);
  feed(Buffer.from('\x11tail'));
  assert.equal(detached, true);
  assert.deepEqual(fwd.join(''), 'ab\x10c');
});

test('image references are checked like distribution/reference', () => {
  assert.throws(() => checkAnyReference('Busybox:TAG!'), /^Error: invalid reference format: repository name \(library\/Busybox\) must be lowercase$/);
  assert.throws(() => checkAnyReference('busybox:TAG!'), /^Error: invalid reference format$/);
  assert.throws(() => checkNormalizedNamed('a//b'), /^Error: invalid reference format$/);
  for (const ok of ['busybox', 'busybox:1.36', 'localhost:5000/a/b:c', 'Example.com/x', `a@sha256:${'0'.repeat(64)}`, 'f'.repeat(64)]) checkAnyReference(ok);
});

test('cp path helpers follow archive.SplitPathDirEntry and RebaseArchiveEntries', () => {
  assert.deepEqual(splitPathDirEntry('/data/.'), ['/data', '.']);
  assert.deepEqual(splitPathDirEntry('/data/'), ['/', 'data']);
  assert.deepEqual(splitPathDirEntry('/a/b.txt'), ['/a', 'b.txt']);
  assert.equal(rebaseName('./a.txt', '.', 'dot'), 'dot/a.txt');
  assert.equal(rebaseName('data/sub/x', 'data', 'new'), 'new/sub/x');
});
