import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStages } from './stages.js';
import { GlobalArgs, StageScope } from './arg-scope.js';
import { ShellLex } from './shell-lex.js';
import { expandInstruction } from './expand.js';

const df = `
ARG BASE=busybox
ARG TAG
ARG REG=\${MIRROR:-docker.io}
FROM \${REG}/\${BASE}:\${TAG:-latest} AS base
ARG VERSION=1
RUN echo $VERSION

FROM --platform=$BUILDPLATFORM base AS build
ARG TARGETARCH
COPY --from=0 /a /a
RUN --mount=type=bind,from=tools,target=/t make

FROM alpine AS tools
RUN true

FROM scratch AS unrelated
COPY --from=nginx:latest /etc/nginx /n

FROM build
COPY --from=build /out /out
`;

test('stages: names, indexes, bases, dependencies, global ARGs in FROM', () => {
  const g = parseStages(df, { buildArgs: { TAG: '1.36' } });
  assert.deepEqual(
    g.stages.map((s) => [s.index, s.name, s.baseName]),
    [
      [0, 'base', 'docker.io/busybox:1.36'],
      [1, 'build', 'base'],
      [2, 'tools', 'alpine'],
      [3, 'unrelated', 'scratch'],
      [4, undefined, 'build'],
    ],
  );
  assert.deepEqual(
    g.stages.map((s) => s.base.kind),
    ['image', 'stage', 'image', 'scratch', 'stage'],
  );
  assert.equal(g.stages[1]!.platform, g.globalArgs.get('BUILDPLATFORM'));
  assert.match(g.globalArgs.get('TARGETPLATFORM')!, /^linux\//);
  assert.deepEqual(
    g.stages[1]!.dependencies.map((d) => [d.kind, d.kind === 'stage' ? d.index : d.ref, d.via]),
    [
      ['stage', 0, 'from'],
      ['stage', 0, 'copy'],
      ['stage', 2, 'mount'],
    ],
  );
  assert.deepEqual(g.stages[3]!.dependencies, [{ kind: 'image', ref: 'nginx:latest', via: 'copy', line: 18 }]);
  assert.equal(g.target, 4);
  assert.deepEqual(g.buildOrder, [0, 2, 1, 4]);
  assert.deepEqual(
    g.metaArgs.map((a) => a.args[0]!.key),
    ['BASE', 'TAG', 'REG'],
  );
  assert.equal(g.stages[0]!.instructions[0]!.startLine, 6);
});

test('--target prunes to what the target needs; unknown target errors', () => {
  const g = parseStages(df, { target: 'build' });
  assert.deepEqual(g.buildOrder, [0, 2, 1]);
  assert.equal(parseStages(df, { target: 'TOOLS' }).buildOrder.join(), '2');
  assert.throws(() => parseStages(df, { target: 'nope' }), /^DockerfileParseError: target stage "nope" could not be found$/);
  assert.throws(() => parseStages(df, { target: 'buidl' }), /target stage "buidl" could not be found \(did you mean build\?\)/);
});

test('unused build-args warning', () => {
  const g = parseStages(df, { buildArgs: { TAG: 'x', VERSION: '2', ZED: '1', FOO: '1', HTTP_PROXY: 'http://p', TARGETARCH: 'arm64' }, target: 'tools' });
  // VERSION is declared only in stage base, which tools does not need.
  assert.deepEqual(g.unusedBuildArgs, ['FOO', 'TARGETARCH', 'VERSION', 'ZED']);
  assert.equal(g.unusedBuildArgsWarning, '[Warning] One or more build-args [FOO TARGETARCH VERSION ZED] were not consumed');
  assert.equal(parseStages(df, { buildArgs: { VERSION: '2' } }).unusedBuildArgsWarning, undefined);
});

test('graph errors', () => {
  assert.throws(() => parseStages('FROM a AS x\nCOPY --from=x /a /b\n'), /line 2: circular dependency detected on stage: x/);
  assert.throws(() => parseStages('FROM a\nCOPY --from=3 /a /b\n'), /invalid stage index 3/);
  assert.throws(() => parseStages('ARG X\nFROM a\nCOPY --from=$X /a /b\n'), /variable expansion is not supported for --from/);
  assert.throws(() => parseStages('ARG X\nFROM $X\n'), /line 2: base name \(\$X\) should not be blank/);
  assert.throws(() => parseStages('RUN x\nFROM a\n'), /line 1: no build stage in current context/);
  assert.throws(() => parseStages('FROM a AS one\nCOPY --from=two /x /y\nFROM b AS two\nCOPY --from=one /x /y\n'), /circular dependency detected/);
});

test('ARG scoping: declare inside the stage, build-arg > default > global; ENV and ARG in order', () => {
  const lex = new ShellLex();
  const global = new GlobalArgs({ B: 'fromcli' }, { TARGETOS: 'linux' }, lex);
  global.declare('G', 'global');
  global.declare('B', 'default');
  const s = new StageScope(global, { B: 'fromcli' }, ['PATH=/bin'], lex);
  const exp = (w: string) => lex.processWord(w, s.lookup);
  assert.equal(exp('$G-$B-$TARGETOS-$PATH'), '--' + '-/bin'); // nothing declared in the stage yet
  assert.equal(s.declareArg('G', undefined), 'global');
  assert.equal(s.declareArg('B', 'x'), 'fromcli');
  assert.equal(s.declareArg('TARGETOS', undefined), 'linux');
  assert.equal(s.declareArg('D', '$G/d'), 'global/d');
  assert.equal(s.declareArg('U', undefined), undefined);
  assert.equal(exp('$G-$B-$TARGETOS-$D-${U:-unset}'), 'global-fromcli-linux-global/d-unset');
  s.setEnv('G', 'env');
  assert.equal(exp('$G'), 'env');
  assert.deepEqual(s.committedEnv(), ['PATH=/bin', 'G=env']);
  // expandInstruction with the scope
  const g = parseStages('FROM a\nARG DIR=/srv\nWORKDIR $DIR/app\n');
  const st = new StageScope(new GlobalArgs({}, {}, lex), {});
  const [arg, wd] = g.stages[0]!.instructions;
  if (arg!.kind === 'arg') for (const a of arg!.args) st.declareArg(a.key, a.value);
  assert.equal((expandInstruction(wd!, st.lookup).instruction as { path: string }).path, '/srv/app');
});
