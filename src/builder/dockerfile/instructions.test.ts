import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from './parser.js';
import { toInstructions } from './instructions.js';
import type { Instruction } from './instruction-types.js';

const one = (line: string): Instruction => toInstructions(parseDockerfile(`FROM a\n${line}\n`)).at(-1)!;
const fails = (line: string, re: RegExp) => assert.throws(() => toInstructions(parseDockerfile(`FROM a\n${line}\n`)), re);

test('typed instruction table', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['FROM --platform=$BUILDPLATFORM golang:1.22 AS Build', { kind: 'from', image: 'golang:1.22', stageName: 'build', platform: '$BUILDPLATFORM' }],
    ['RUN echo hi', { kind: 'run', cmd: ['echo hi'], prependShell: true }],
    ['RUN ["echo", "hi"]', { kind: 'run', cmd: ['echo', 'hi'], prependShell: false }],
    ['RUN --network=none --security=insecure true', { kind: 'run', network: 'none', security: 'insecure' }],
    ['CMD ["a"]', { kind: 'cmd', cmd: ['a'], prependShell: false }],
    ['ENTRYPOINT /bin/sh -c x', { kind: 'entrypoint', cmd: ['/bin/sh -c x'] }],
    [
      'LABEL a=b "c d"="e f" g=h',
      {
        kind: 'label',
        labels: [
          { key: 'a', value: 'b', noDelim: false },
          { key: '"c d"', value: '"e f"', noDelim: false },
          { key: 'g', value: 'h', noDelim: false },
        ],
      },
    ],
    ['MAINTAINER Jane <j@x>', { kind: 'maintainer', maintainer: 'Jane <j@x>' }],
    ['EXPOSE 80/tcp 443', { kind: 'expose', ports: ['443', '80/tcp'] }],
    ['ENV A 1 2', { kind: 'env', env: [{ key: 'A', value: '1 2', noDelim: true }] }],
    [
      'ENV A=1 B="2 3"',
      {
        kind: 'env',
        env: [
          { key: 'A', value: '1', noDelim: false },
          { key: 'B', value: '"2 3"', noDelim: false },
        ],
      },
    ],
    [
      'ADD --chown=1:2 --chmod=644 --checksum=sha256:ab --keep-git-dir --link a b /d/',
      { kind: 'add', sources: ['a', 'b'], dest: '/d/', chown: '1:2', chmod: '644', checksum: 'sha256:ab', keepGitDir: true, link: true },
    ],
    [
      'COPY --from=build --parents --exclude=*.md --exclude=x ["a b", "/c"]',
      { kind: 'copy', from: 'build', parents: true, exclude: ['*.md', 'x'], sources: ['a b'], dest: '/c', link: false },
    ],
    ['VOLUME ["/a", "/b"]', { kind: 'volume', volumes: ['/a', '/b'] }],
    ['VOLUME /a /b', { kind: 'volume', volumes: ['/a', '/b'] }],
    ['USER app:app', { kind: 'user', user: 'app:app' }],
    ['WORKDIR /srv', { kind: 'workdir', path: '/srv' }],
    ['ARG A B=2 C=', { kind: 'arg', args: [{ key: 'A' }, { key: 'B', value: '2' }, { key: 'C', value: '' }] }],
    ['STOPSIGNAL SIGTERM', { kind: 'stopsignal', signal: 'SIGTERM' }],
    ['SHELL ["/bin/bash", "-c"]', { kind: 'shell', shell: ['/bin/bash', '-c'] }],
    ['HEALTHCHECK NONE', { kind: 'healthcheck', health: { test: ['NONE'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 } }],
    [
      'HEALTHCHECK --interval=1m30s --timeout=1.5s --start-period=10ms --start-interval=2s --retries=3 CMD curl -f x',
      {
        kind: 'healthcheck',
        health: { test: ['CMD-SHELL', 'curl -f x'], interval: 90e9, timeout: 1.5e9, startPeriod: 1e7, startInterval: 2e9, retries: 3 },
      },
    ],
    [
      'HEALTHCHECK CMD ["true"]',
      { kind: 'healthcheck', health: { test: ['CMD', 'true'], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 } },
    ],
  ];
  for (const [line, want] of cases) {
    const got = one(line) as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(want)) assert.deepEqual(got[k], v, `${line}: ${k}`);
    assert.equal(got.startLine, 2);
  }
});

test('RUN --mount parsing', () => {
  const r = one(
    'RUN --mount=type=cache,target=/root/.cache,id=go,sharing=locked,mode=0755,uid=1 --mount=type=secret,id=tok,required --mount=type=tmpfs,target=/t,size=64m --mount=from=build,src=/out,target=/in --mount=type=ssh x',
  );
  assert.equal(r.kind, 'run');
  if (r.kind !== 'run') return;
  assert.deepEqual(r.mounts, [
    { type: 'cache', target: '/root/.cache', id: 'go', sharing: 'locked', mode: 0o755, uid: 1, readOnly: false, required: false },
    { type: 'secret', id: 'tok', required: true, readOnly: true },
    { type: 'tmpfs', target: '/t', sizeLimit: 64 * 1024 * 1024, readOnly: false, required: false },
    { type: 'bind', from: 'build', source: '/out', target: '/in', readOnly: true, required: false },
    { type: 'ssh', readOnly: true, required: false },
  ]);
  fails('RUN --mount=type=foo x', /line 2: unsupported mount type "foo"/);
  fails('RUN --mount=type=bind,mode=0700,target=/x x', /mode not allowed for "bind" type mounts/);
  fails('RUN --mount=type=secret x', /invalid secret mount. one of source, target required/);
  fails('RUN --mount=type=bind,sharing=shared,target=/x x', /invalid cache sharing set for bind mount/);
  fails('RUN --mount=type=cache,tagret=/x x', /unexpected key 'tagret' in 'tagret=\/x' \(did you mean target\?\)/);
  fails('RUN --mount=from=$X,target=/x x', /'from' doesn't support variable expansion/);
  fails('RUN --network=bridge x', /invalid network mode "bridge"/);
  fails('RUN --security=foo x', /security "foo" is not valid/);
});

test('errors use BuildKit wording with the line', () => {
  assert.throws(
    () => toInstructions(parseDockerfile('FROM a\nRUN x\nFOOBAR bar\n')),
    /^DockerfileParseError: dockerfile parse error on line 3: unknown instruction: FOOBAR$/,
  );
  fails('RUNN x', /unknown instruction: RUNN \(did you mean RUN\?\)/);
  fails('ONBUILD ONBUILD RUN x', /Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/);
  fails('ONBUILD FROM x', /FROM isn't allowed as an ONBUILD trigger/);
  fails('ONBUILD maintainer x', /MAINTAINER isn't allowed as an ONBUILD trigger/);
  fails('COPY x', /COPY requires at least two arguments, but only one was provided. Destination could not be determined/);
  fails('COPY --foo=1 a b', /unknown flag: --foo/);
  fails('COPY --chown a b', /missing a value on flag: --chown/);
  fails('COPY --link=maybe a b', /expecting boolean value for flag --link, not: maybe/);
  fails('COPY --from=a --from=b a b', /duplicate flag specified: --from/);
  fails('COPY a <<EOF\nx\nEOF', /COPY cannot accept a heredoc as a destination/);
  fails('SHELL /bin/sh -c', /SHELL requires the arguments to be in JSON form/);
  fails('HEALTHCHECK --interval=10us CMD x', /Interval "interval" cannot be less than 1ms/);
  fails('HEALTHCHECK --timeout=5 CMD x', /time: missing unit in duration "5"/);
  fails('HEALTHCHECK --retries=-1 CMD x', /--retries cannot be negative \(-1\)/);
  fails('HEALTHCHECK CONNECT x', /Unknown type "CONNECT" in HEALTHCHECK \(try CMD\)/);
  fails('HEALTHCHECK NONE x', /HEALTHCHECK NONE takes no arguments/);
  fails('HEALTHCHECK CMD', /Missing command after HEALTHCHECK CMD/);
  fails('USER', /USER requires exactly one argument/);
  fails('ARG =x', /ARG names can not be blank/);
  fails('LABEL', /LABEL requires at least one argument/);
  fails('FROM a AS 1x', /invalid name for build stage: "1x", name can't start with a number or contain symbols/);
  fails('FROM a b', /FROM requires either one or three arguments/);
  assert.throws(() => parseDockerfile('FROM a\nENV A=1 B\n'), /line 2: Syntax error - can't find = in "B". Must be of the form: name=value/);
});

test('ONBUILD keeps its trigger text and parsed trigger; heredoc COPY sources', () => {
  const o = one('ONBUILD COPY --link . /app');
  assert.equal(o.kind, 'onbuild');
  if (o.kind === 'onbuild') {
    assert.equal(o.expression, 'COPY --link . /app');
    assert.equal(o.trigger?.kind, 'copy');
  }
  const c = toInstructions(parseDockerfile('FROM a\nCOPY <<-EOF <<B /dst/\n\tone $X\n\tEOF\ntwo\nB\n')).at(-1)!;
  assert.equal(c.kind, 'copy');
  if (c.kind === 'copy') {
    assert.deepEqual(c.sources, []);
    assert.deepEqual(
      c.inline.map((f) => [f.name, f.data]),
      [
        ['EOF', 'one $X\n'],
        ['B', 'two\n'],
      ],
    );
    assert.equal(c.dest, '/dst/');
  }
});
