import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyChanges, expand, splitWords } from './changes.js';

test('CMD/ENTRYPOINT json and shell forms', () => {
  const c = applyChanges({}, ['CMD echo hi there', 'ENTRYPOINT ["/bin/tini","--"]']);
  assert.deepEqual(c.Cmd, ['/bin/sh', '-c', 'echo hi there']);
  assert.deepEqual(c.Entrypoint, ['/bin/tini', '--']);
  const d = applyChanges({ Cmd: ['old'] }, ['ENTRYPOINT top']);
  assert.deepEqual(d.Entrypoint, ['/bin/sh', '-c', 'top']);
  assert.equal(d.Cmd, null, 'ENTRYPOINT without an earlier CMD resets Cmd');
  assert.deepEqual(applyChanges({}, ['cmd ["a", "b"]']).Cmd, ['a', 'b']);
  assert.deepEqual(applyChanges({}, ['CMD [not json']).Cmd, ['/bin/sh', '-c', '[not json']);
});

test('ENV, LABEL, EXPOSE, VOLUME, WORKDIR, USER, STOPSIGNAL, ONBUILD, HEALTHCHECK', () => {
  const c = applyChanges({ Env: ['PATH=/bin'] }, [
    'ENV A=1 B="two words"',
    'ENV C $A-${B}',
    'LABEL a=b "c d"=e',
    'EXPOSE 80 53/udp',
    'VOLUME /data /logs',
    'VOLUME ["/x"]',
    'WORKDIR /app',
    'WORKDIR sub',
    'USER nobody:nogroup',
    'STOPSIGNAL SIGINT',
    'ONBUILD RUN make',
    'HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost',
  ]);
  assert.deepEqual(c.Env, ['PATH=/bin', 'A=1', 'B=two words', 'C=1-two words']);
  assert.deepEqual(c.Labels, { a: 'b', 'c d': 'e' });
  assert.deepEqual(c.ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.deepEqual(c.Volumes, { '/data': {}, '/logs': {}, '/x': {} });
  assert.equal(c.WorkingDir, '/app/sub');
  assert.equal(c.User, 'nobody:nogroup');
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(c.OnBuild, ['RUN make']);
  assert.deepEqual(c.Healthcheck, { Interval: 5e9, Retries: 2, Test: ['CMD-SHELL', 'wget -q localhost'] });
});

test('unknown and disallowed instructions fail like Docker', () => {
  assert.throws(() => applyChanges({}, ['FOO bar']), /dockerfile parse error on line 1: unknown instruction: FOO/);
  assert.throws(() => applyChanges({}, ['CMD x', 'RUN make']), /RUN is not a valid change command/);
  assert.throws(() => applyChanges({}, ['ONBUILD ONBUILD RUN x']), /Chaining ONBUILD/);
  assert.throws(() => applyChanges({}, ['EXPOSE abc']), /invalid containerPort/);
});

test('the base config is not modified', () => {
  const base = { Env: ['A=1'] };
  applyChanges(base, ['ENV B=2']);
  assert.deepEqual(base, { Env: ['A=1'] });
});

test('word splitting and expansion', () => {
  assert.deepEqual(splitWords(`a "b c" 'd e' f\\ g`), ['a', 'b c', 'd e', 'f g']);
  assert.equal(expand('${X:-def} ${Y:+set} \\$X $Y', ['Y=1']), 'def set $X 1');
});
