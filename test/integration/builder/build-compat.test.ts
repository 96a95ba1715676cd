// POST /build as existing clients use it (issue 11), against a real berthd: the raw API, the
// docker CLI's classic builder and Debian's docker-py 5.0.3. What dockerd does is the spec:
// stderr of RUN steps coloured per chunk, a Dockerfile from outside the context (sent as
// .dockerfile.<hex> with a .dockerignore naming it) kept out of the image, every bad
// .dockerignore pattern a 400, --add-host and --cache-from honoured, and no input a 500.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, useBusyboxDaemon, type RunResult } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { api, makeTar, type ApiResponse } from '../bad-input/support.js';

const PYTHON = '/usr/bin/python3'; // Debian's, where python3-docker is importable
const hasDockerPy = spawnSync(PYTHON, ['-c', 'import docker'], { stdio: 'ignore' }).status === 0;
const skip = requiresRoot('real crun, overlayfs, cgroups');
const d = useBusyboxDaemon({ before, after }, skip);
let root = '';

before(async () => {
  if (!skip) root = await mkdtemp(join(tmpdir(), `berth-build-compat-${process.pid}-`));
});
after(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

/** A context directory with these files. */
async function dir(name: string, files: Record<string, string>): Promise<string> {
  const p = join(root, name);
  for (const [f, text] of Object.entries(files)) {
    await mkdir(join(p, f, '..'), { recursive: true });
    await writeFile(join(p, f), text);
  }
  return p;
}

interface Msg {
  stream?: string;
  error?: string;
  errorDetail?: { message: string };
  aux?: { ID: string };
}
const messages = (r: ApiResponse): Msg[] =>
  r.text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Msg);

/** POST /build with a context made of these files. */
async function build(files: Record<string, string>, query = ''): Promise<ApiResponse> {
  const body = await makeTar(Object.entries(files).map(([name, data]) => ({ name, data })));
  return api(d, 'POST', `/v1.41/build?${query}`, body, { 'Content-Type': 'application/x-tar' });
}

const ok = (r: RunResult, what: string): string => {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
};

test('RUN stderr reaches the stream wrapped in \\e[91m … \\e[0m per chunk, stdout as it is', { skip }, async () => {
  const r = await build({ Dockerfile: 'FROM busybox\nRUN echo to-out; sleep 0.2; echo to-err >&2; sleep 0.2; echo again-out\n' }, 'nocache=1&rm=1');
  assert.equal(r.status, 200, r.text);
  const streams = messages(r).map((m) => m.stream);
  assert.ok(streams.includes('to-out\n'), r.text);
  assert.ok(streams.includes('again-out\n'), r.text);
  assert.ok(streams.includes('\u001b[91mto-err\n\u001b[0m'), r.text);
  // On the wire as Go's encoder writes it (the escape as \u001b).
  assert.match(r.text, /\{"stream":"\\u001b\[91mto-err\\n\\u001b\[0m"\}/);
});

test('a Dockerfile from outside the context (docker-py and the docker CLI) is not in the image, nor the .dockerignore written for it', { skip }, async () => {
  const ctx = await dir('outside-ctx', { 'a.txt': 'A\n', 'sub/b.txt': 'B\n' });
  const elsewhere = await dir('outside-df', {
    Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN M=@@; echo "$M files"; cd /ctx && find . -type f | sort; echo "$M end"\n',
  });
  const files = (out: string) =>
    out
      .split('@@ files')[1]!
      .split('@@ end')[0]!
      .trim()
      .split('\n')
      .map((l) => l.replace(/^.*"stream":\s*"?/, '').trim());
  for (const cli of ['docker', 'berth'] as const) {
    const out = ok(await d[cli](['build', '--no-cache', '-f', join(elsewhere, 'Dockerfile'), ctx]), `${cli} build -f outside`);
    assert.deepEqual(files(out), ['./a.txt', './sub/b.txt'], `${cli}: ${out}`);
  }
  // With the context's own .dockerignore: its patterns still apply; it does not name itself, so
  // dockerd keeps it in the context (removeDockerfile drops only what the patterns match).
  await writeFile(join(ctx, '.dockerignore'), 'sub\n');
  for (const cli of ['docker', 'berth'] as const) {
    const out = ok(await d[cli](['build', '--no-cache', '-f', join(elsewhere, 'Dockerfile'), ctx]), `${cli} build -f outside, .dockerignore`);
    assert.deepEqual(files(out), ['./.dockerignore', './a.txt'], `${cli}: ${out}`);
  }
  await rm(join(ctx, '.dockerignore'));

  if (!hasDockerPy) return;
  const script = join(root, 'outside.py');
  await writeFile(
    script,
    `import docker, sys, json
c = docker.APIClient(base_url=sys.argv[1], version='1.41')
out = ''
for m in c.build(path=sys.argv[2], dockerfile=sys.argv[3], nocache=True, decode=True):
    if 'error' in m: raise SystemExit(m['error'])
    out += m.get('stream', '')
print(out)
`,
  );
  const py = ok(await run(PYTHON, [script, d.host, ctx, join(elsewhere, 'Dockerfile')], { timeoutMs: 60_000 }), 'docker-py build, dockerfile outside');
  const seen = py.split('@@ files')[1]!.split('@@ end')[0]!.trim().split('\n');
  assert.deepEqual(seen, ['./a.txt', './sub/b.txt'], py);
});

test('.dockerignore naming the Dockerfile and itself: both are read, neither is COPYed (dockerd removeDockerfile)', { skip }, async () => {
  const r = await build(
    {
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\nRUN cd /ctx && echo "LIST $(find . -type f | sort | tr "\\n" " ")"\n',
      '.dockerignore': 'Dockerfile\n.dockerignore\nskip*\n',
      'keep.txt': 'k',
      'skip.txt': 's',
    },
    'nocache=1',
  );
  assert.equal(r.status, 200, r.text);
  const list = messages(r).find((m) => m.stream?.startsWith('LIST '))?.stream;
  assert.equal(list, 'LIST ./keep.txt \n', r.text);
});

test('.dockerignore: every malformed pattern is a 400 "syntax error in pattern", odd valid ones build, nothing is a 500', { skip }, async () => {
  const df = 'FROM busybox\nCOPY . /ctx/\n';
  for (const bad of ['[', '[a-', '[a-]', 'x\\', '[z-a]', 'ok\n**/[', '![']) {
    const r = await build({ Dockerfile: df, '.dockerignore': bad });
    assert.equal(r.status, 400, `${JSON.stringify(bad)}: ${r.status} ${r.text}`);
    assert.match((r.json as { message: string }).message, /syntax error in pattern/, bad);
  }
  const lone = await build({ Dockerfile: df, '.dockerignore': '!' });
  assert.equal(lone.status, 400, lone.text);
  assert.match((lone.json as { message: string }).message, /illegal exclusion pattern: "!"/);
  const long = await build({ Dockerfile: df, '.dockerignore': 'x'.repeat(70_000) });
  assert.equal(long.status, 400, long.text);
  assert.match((long.json as { message: string }).message, /bufio\.Scanner: token too long/);
  // Valid if odd: regex characters, lone ] and -, escapes, comments, CRLF, a BOM, '/', '.', '..',
  // and a pattern a backtracking matcher would take hours on.
  const odd = ['\ufeff# comment', '-', ']', 'a+b', '(x)|{y}$', '\\[lit]', '', '  ', '/', '.', '..', '**', '!keep', '*a'.repeat(30) + '*b'].join('\r\n');
  const r = await build({ Dockerfile: df, '.dockerignore': odd, keep: 'k', ['a'.repeat(200)]: 'x', '-': 'dash' }, 'nocache=1');
  assert.equal(r.status, 200, r.text);
  assert.ok(!messages(r).some((m) => m.error), r.text);
});

test('the Dockerfile parser and the build query: random input is a 400 or a build, never a 500', { skip }, async () => {
  const pieces = [
    'FROM busybox',
    'FROM',
    'RUN true',
    'RUN',
    'COPY',
    'COPY --from=x a b',
    'ARG',
    'ARG A=${',
    'ENV',
    'ENV A',
    'LABEL =',
    'HEALTHCHECK --interval=x CMD',
    'EXPOSE 99999999/xx',
    'ONBUILD ONBUILD',
    'WORKDIR',
    'USER',
    'SHELL',
    'SHELL [',
    'CMD ["a"',
    '# escape=`',
    '# syntax=x',
    'FROM busybox AS',
    'FROM ${X:?err}',
    'RUN <<EOF',
    'EOF',
    '\\',
    '\t',
    'STOPSIGNAL',
    'ADD',
    'VOLUME [',
    'RUN --mount=type=bind,from=',
    'RUN --network=xyz true',
    'COPY --chmod=999 a b',
    'COPY --chown=:::: a /',
    'MAINTAINER',
    'ENTRYPOINT []',
  ];
  let seed = 11;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const statuses = new Map<number, string>();
  for (let i = 0; i < 40; i++) {
    const lines = Array.from({ length: 1 + rnd(5) }, () => pieces[rnd(pieces.length)]!);
    if (rnd(2)) lines.unshift('FROM busybox');
    const r = await build({ Dockerfile: lines.join('\n') + '\n', a: 'a' }, 'nocache=1');
    statuses.set(r.status, lines.join(' | '));
    assert.notEqual(r.status, 500, `${JSON.stringify(lines)}: ${r.text}`);
  }
  const queries = [
    'buildargs=[1]',
    'buildargs={"a":{"b":1}}',
    'labels=nope',
    'labels={"a":null}',
    'cachefrom={}',
    'cachefrom=[1]',
    'cachefrom=["no/such:image"]',
    'cachefrom=["UPPER"]',
    't=%00',
    't=a:b:c',
    'target=nosuch',
    'dockerfile=../x',
    'dockerfile=/etc/passwd',
    'dockerfile=%00',
    'networkmode=container:x',
    'extrahosts=noip',
    'extrahosts=h:not-an-ip',
    'extrahosts=:1.2.3.4',
    'shmsize=-1',
    'memory=abc',
    'cpuquota=x',
    'platform=nonsense/os',
    'version=3',
    'q=maybe',
    'nocache=2',
  ];
  for (const q of queries) {
    const r = await build({ Dockerfile: 'FROM busybox\nRUN true\n' }, q);
    assert.notEqual(r.status, 500, `${q}: ${r.text}`);
  }
  // Bodies that are no tar, or a broken one.
  const gzipJunk = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0]), Buffer.alloc(64, 7)]);
  const tarHead = (await makeTar([{ name: 'Dockerfile', data: 'FROM busybox\n' + 'x'.repeat(2000) }])).subarray(0, 700);
  for (const [what, body, status, message] of [
    ['empty', Buffer.alloc(0), 400, /Cannot locate specified Dockerfile/],
    ['text', Buffer.from('not a tar at all'), 400, /invalid build context tar/],
    ['gzip junk', gzipJunk, 400, /invalid gzip data/],
    ['bzip2', Buffer.from('BZh91AY&SYjunkjunk'), 501, /bzip2-compressed/], // Node has no bzip2 or xz decoder
    ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3]), 501, /xz-compressed/],
    ['a tar cut inside an entry', tarHead, 400, /invalid build context tar/],
  ] as const) {
    const r = await api(d, 'POST', '/v1.41/build', body, { 'Content-Type': 'application/x-tar' });
    assert.equal(r.status, status, `${what}: ${r.text}`);
    assert.match((r.json as { message: string }).message, message, what);
  }
  for (const [q, re] of [
    ['extrahosts=h:not-an-ip', /invalid IP address in add-host: "not-an-ip"/],
    ['extrahosts=noip', /bad format for add-host: "noip"/],
    ['cachefrom={}', /invalid cachefrom JSON/],
  ] as const) {
    const r = await build({ Dockerfile: 'FROM busybox\n' }, q);
    assert.equal(r.status, 400, `${q}: ${r.text}`);
    assert.match((r.json as { message: string }).message, re);
  }
});

test('--add-host (extrahosts, repeated as docker-py sends it or one per flag): RUN steps see the names in /etc/hosts', { skip }, async () => {
  const ctx = await dir('hosts', { Dockerfile: 'FROM busybox\nRUN echo "HOSTS $(grep -E "dbhost|cachehost" /etc/hosts | tr "\\t\\n" ", ")"\n' });
  for (const cli of ['docker', 'berth'] as const) {
    const out = ok(await d[cli](['build', '--no-cache', '--add-host', 'dbhost:10.1.2.3', '--add-host', 'cachehost:fd00::7', ctx]), `${cli} build --add-host`);
    assert.match(out, /HOSTS 10\.1\.2\.3,dbhost fd00::7,cachehost \n/, cli);
  }
  // Names with letters past f: a RUN step's hex hostname (also in /etc/hosts) can never match them.
  const r = await build({ Dockerfile: 'FROM busybox\nRUN grep dbhost /etc/hosts\n' }, 'nocache=1&extrahosts=dbhost:10.9.9.9&extrahosts=x:10.0.0.1');
  assert.ok(
    messages(r).some((m) => m.stream === '10.9.9.9\tdbhost\n'),
    r.text,
  );
});

test('--cache-from: after the build cache is pruned, a rebuild takes its steps from the named image; a changed step runs anew', { skip }, async () => {
  const df = 'FROM busybox\nRUN date +%s%N > /stamp\nENV X=1\nRUN cat /stamp > /copy\nCMD ["cat", "/stamp"]\n';
  const ctx = await dir('cachefrom', { Dockerfile: df });
  const tag = `cachefrom-src:${process.pid}`;
  ok(await d.docker(['build', '-t', tag, ctx]), 'first build');
  const first = (await d.docker(['run', '--rm', tag])).stdout;
  const srcId = ok(await d.docker(['image', 'inspect', '-f', '{{.Id}}', tag]), 'inspect').trim();
  ok(await d.docker(['builder', 'prune', '-f']), 'builder prune');
  // The source is tagged away from its own build records: only its history can hit.
  const again = ok(await d.docker(['build', '--cache-from', tag, ctx]), 'rebuild with --cache-from');
  assert.equal((again.match(/---> Using cache/g) ?? []).length, 4, again);
  assert.match(again, new RegExp(`Successfully built ${srcId.slice(7, 19)}`), 'the last step is the source image itself');
  // A changed last step: the steps before it are restored from the source, the last one runs.
  const ctx2 = await dir('cachefrom2', { Dockerfile: df.replace('CMD ["cat", "/stamp"]', 'CMD ["cat", "/copy"]') });
  ok(await d.docker(['builder', 'prune', '-f']), 'builder prune');
  const changed = ok(await d.berth(['build', '-t', `${tag}-2`, '--cache-from', 'no/such:image', '--cache-from', tag, ctx2]), 'changed build (berth)');
  assert.equal((changed.match(/---> Using cache/g) ?? []).length, 3, changed);
  assert.equal((await d.docker(['run', '--rm', `${tag}-2`])).stdout, first, 'the restored layers hold the first build’s files');
  const layers = (img: string) => d.docker(['image', 'inspect', '-f', '{{json .RootFS.Layers}}', img]).then((r) => JSON.parse(r.stdout) as string[]);
  assert.deepEqual(await layers(`${tag}-2`), await layers(tag));
  // Without --cache-from, after a prune, the steps run again.
  ok(await d.docker(['builder', 'prune', '-f']), 'builder prune');
  const fresh = ok(await d.docker(['build', ctx]), 'rebuild without --cache-from');
  assert.doesNotMatch(fresh, /Using cache/);
});
