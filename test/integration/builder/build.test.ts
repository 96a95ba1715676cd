// The classic builder end to end: berth build (and the real docker CLI) against the build
// route on the real stores, crun and overlayfs. See build-harness.ts for the daemon wiring.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { makeContext } from '../../support/context-dir.js';
import { BuildHarness } from './build-harness.js';
import { openLayerTar } from '../../../src/image/layer-blob.js';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

async function sha256Of(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk as Buffer);
  return `sha256:${h.digest('hex')}`;
}

const skip = requiresRoot('real crun, overlayfs, cgroups');
let h: BuildHarness;
let work: string;

const ok = expectOk;
const ctxDir = (files: Record<string, string>): Promise<string> => makeContext(work, files);

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), 'berth-build-work-'));
  h = await BuildHarness.start();
  await h.importBusybox();
});

after(async () => {
  if (h) await h.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const MULTI = `FROM busybox AS base
ENV GREETING=hello APP_HOME=/srv/app
WORKDIR $APP_HOME
RUN echo built-in-base > /base.txt && echo "running as $(id -u)"

FROM busybox AS tools
RUN echo tool > /tool.txt

FROM base
ARG VERSION=1.0
COPY --from=tools /tool.txt ./
COPY app.sh ./
COPY --from=base /base.txt /copied-base.txt
RUN chmod +x app.sh && echo "version $VERSION" > version.txt
USER nobody
EXPOSE 8080/tcp
VOLUME /data
LABEL org.example.name=demo
HEALTHCHECK --interval=5s CMD true
STOPSIGNAL SIGINT
ENTRYPOINT ["/bin/sh", "-c"]
CMD ["./app.sh"]
`;

test('multi-stage build: COPY --from, config via inspect, the image runs, history', { skip }, async () => {
  const dir = await ctxDir({ Dockerfile: MULTI, 'app.sh': '#!/bin/sh\necho "$GREETING from $(pwd) as $(id -un): $(cat tool.txt) $(cat version.txt)"\n' });
  const r = ok(await h.berth(['build', '-t', 'app:1', '-t', 'app:latest', '--label', 'built.by=berth', dir]));
  assert.match(r.stdout, /^Step 1\/\d+ : FROM busybox AS base\n ---> [0-9a-f]{12}\n/);
  assert.match(r.stdout, / ---> Running in [0-9a-f]{12}\nrunning as 0\n/);
  assert.match(r.stdout, /Successfully built [0-9a-f]{12}\nSuccessfully tagged app:1\nSuccessfully tagged app:latest\n$/);
  assert.match(r.stdout, /Step \d+\/\d+ : LABEL "built.by"='berth'/);

  const [img] = JSON.parse(ok(await h.berth(['image', 'inspect', 'app:1'])).stdout);
  const c = img.Config;
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
  assert.deepEqual(c.Cmd, ['./app.sh']);
  assert.equal(c.WorkingDir, '/srv/app');
  assert.equal(c.User, 'nobody');
  assert.ok(c.Env.includes('GREETING=hello'));
  assert.ok(!c.Env.some((e: string) => e.startsWith('VERSION=')), 'ARG values are not committed');
  assert.deepEqual(c.ExposedPorts, { '8080/tcp': {} });
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.Labels['org.example.name'], 'demo');
  assert.equal(c.Labels['built.by'], 'berth');
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 5e9 });
  assert.equal(c.StopSignal, 'SIGINT');
  assert.deepEqual(img.RepoTags.sort(), ['app:1', 'app:latest']);

  const out = await h.runImage('app:1');
  assert.equal(out.output, 'hello from /srv/app as nobody: tool version 1.0\n');
  assert.equal(out.exitCode, 0);
  const base = await h.runImage('app:1', 'cat /copied-base.txt');
  assert.equal(base.output, 'built-in-base\n');

  const hist = ok(await h.berth(['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Size}}', 'app:1']))
    .stdout.trim()
    .split('\n');
  assert.match(hist[0]!, /^\/bin\/sh -c #\(nop\)  LABEL built.by=berth\|0B$/);
  assert.ok(
    hist.some((l) => /^\|1 VERSION=1\.0 \/bin\/sh -c chmod \+x app.sh/.test(l)),
    hist.join('\n'),
  );
  assert.ok(
    hist.some((l) => /^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \.\/ \|/.test(l)),
    hist.join('\n'),
  );
  assert.ok(
    hist.some((l) => l.startsWith('/bin/sh -c #(nop)  CMD ["./app.sh"]|0B')),
    hist.join('\n'),
  );
  assert.ok(
    hist.some((l) => l.startsWith('/bin/sh -c #(nop) WORKDIR /srv/app|')),
    hist.join('\n'),
  );
  assert.equal(hist.at(-1), '|1.98MB', 'the base image entry comes last');
  assert.deepEqual(await h.leftovers(), []);
});

test('rebuild is fully cached; changing one source file reruns only the later steps', { skip }, async () => {
  const df = 'FROM busybox\nENV A=1\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b.txt\nCOPY c.txt /c.txt\nCMD ["cat", "/b.txt"]\n';
  const dir = await ctxDir({ Dockerfile: df, 'a.txt': 'one\n', 'c.txt': 'c\n' });
  const first = ok(await h.berth(['build', '-t', 'cached:1', dir]));
  assert.doesNotMatch(first.stdout, /Using cache/);
  const id1 = (await h.berth(['image', 'inspect', '-f', '{{.Id}}', 'cached:1'])).stdout.trim();
  const second = ok(await h.berth(['build', '-t', 'cached:2', dir]));
  assert.equal(second.stdout.match(/ ---> Using cache\n/g)?.length, 5, second.stdout);
  assert.equal((await h.berth(['image', 'inspect', '-f', '{{.Id}}', 'cached:2'])).stdout.trim(), id1);
  // mtime only: still cached (content hashes, not mtimes)
  execFileSync('touch', ['-d', '2001-01-01', join(dir, 'a.txt')]);
  assert.equal(ok(await h.berth(['build', dir])).stdout.match(/Using cache/g)?.length, 5);
  await writeFile(join(dir, 'a.txt'), 'two\n');
  const third = ok(await h.berth(['build', '-t', 'cached:3', dir]));
  assert.equal(third.stdout.match(/ ---> Using cache\n/g)?.length, 1, third.stdout); // only ENV
  assert.equal((await h.runImage('cached:3')).output, 'two\n');
  // the same steps in another Dockerfile (other name, other context dir) share the cache
  const other = await ctxDir({ 'build.Dockerfile': df, 'a.txt': 'two\n', 'c.txt': 'c\n' });
  const fourth = ok(await h.berth(['build', '-f', join(other, 'build.Dockerfile'), other]));
  assert.equal(fourth.stdout.match(/Using cache/g)?.length, 5, fourth.stdout);
  const nocache = ok(await h.berth(['build', '--no-cache', dir]));
  assert.doesNotMatch(nocache.stdout, /Using cache/);
});

test('COPY, RUN and WORKDIR layers are committed in place, and re-export to the diffIDs their config names (what save and push send)', { skip }, async () => {
  const dir = await ctxDir({
    Dockerfile: 'FROM busybox\nWORKDIR /w\nCOPY . /ctx/\nRUN rm /bin/yes && mkdir -p /d && ln /ctx/a.txt /d/hard && echo ran > /ran\nCOPY a.txt /ctx/a.txt\n',
    'a.txt': 'alpha\n',
    'sub/b.txt': 'beta\n'.repeat(10000),
  });
  ok(await h.berth(['build', '-t', 'inplace:1', dir]));
  const img = h.images.resolve('inplace:1');
  const config = h.images.config(img.id);
  assert.deepEqual(
    (config.history ?? []).map((e) => !!e.empty_layer),
    [false, false, false, false, false],
    'busybox, WORKDIR, COPY, RUN, COPY: each with a layer',
  );
  assert.equal(img.layers.length, 5);
  assert.deepEqual(
    config.rootfs.diff_ids,
    img.layers.map((l) => l.diffId),
  );
  for (const l of img.layers.slice(1)) {
    assert.equal(await h.images.content.has(l.diffId), false, 'no layer tar kept beside the layer');
    const { stream } = await openLayerTar(h.images.content, h.layers, l);
    assert.equal(await sha256Of(stream), l.diffId, `layer ${l.chainId} re-exports to its diffID`);
  }
  assert.deepEqual((await h.layers.checkLayers()).damaged, []);
  const r = await h.runImage('inplace:1', 'cat /ctx/sub/b.txt | wc -c; cat /ctx/a.txt /d/hard /ran; pwd; test -e /bin/yes || echo no-yes');
  assert.equal(r.exitCode, 0, r.output);
  assert.equal(r.output, '50000\nalpha\nalpha\nran\n/w\nno-yes\n');
  assert.deepEqual(await h.leftovers(), []);
});

test('a failing RUN tags nothing, makes no image for the step and leaves nothing behind', { skip }, async () => {
  const before = (await h.berth(['images', '-aq', '--no-trunc'])).stdout.trim().split('\n').sort();
  const dir = await ctxDir({ Dockerfile: 'FROM busybox\nRUN echo about to fail && touch /junk && false\nCMD ["true"]\n' });
  const r = await h.berth(['build', '-t', 'broken:1', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /about to fail\n/);
  assert.equal(r.stderr, "The command '/bin/sh -c echo about to fail && touch /junk && false' returned a non-zero code: 1\n");
  assert.notEqual((await h.berth(['image', 'inspect', 'broken:1'])).code, 0);
  const afterIds = (await h.berth(['images', '-aq', '--no-trunc'])).stdout.trim().split('\n').sort();
  assert.deepEqual(afterIds, before);
  assert.deepEqual(await h.leftovers(), []);
});

test('.dockerignore, build args and the unused-arg warning, --target', { skip }, async () => {
  const dir = await ctxDir({
    Dockerfile: 'FROM busybox AS one\nARG WHO=nobody\nRUN echo "hi $WHO" > /who\nCOPY . /ctx/\n\nFROM one AS two\nRUN false\n',
    '.dockerignore': 'secret*\n*.log\n!keep.log\n',
    'secret.txt': 's',
    'app.log': 'l',
    'keep.log': 'k',
    'src/main.c': 'int main;',
  });
  const r = ok(await h.berth(['build', '--target', 'one', '--build-arg', 'WHO=you', '--build-arg', 'UNUSED=1', '-t', 'args:1', dir]));
  assert.match(r.stdout, /\[Warning\] One or more build-args \[UNUSED\] were not consumed\n/);
  assert.doesNotMatch(r.stdout, /RUN false/);
  const iid = join(work, 'iid');
  const q = ok(await h.berth(['build', '-q', '--iidfile', iid, '--target', 'one', '--build-arg', 'WHO=you', dir]));
  assert.match(q.stdout, /^sha256:[0-9a-f]{64}\n$/);
  assert.equal(await readFile(iid, 'utf8'), q.stdout.trim());
  const ls = await h.runImage('args:1', 'cat /who; cd /ctx && find . -type f | sort');
  assert.equal(ls.output, 'hi you\n./.dockerignore\n./Dockerfile\n./keep.log\n./src/main.c\n');
});

test('FROM scratch, COPY --chown/--chmod, ADD of a tar, RUN --mount cache, ONBUILD triggers', { skip }, async () => {
  const tarDir = await mkdtemp(join(work, 'tar-'));
  await mkdir(join(tarDir, 'pkg'));
  await writeFile(join(tarDir, 'pkg', 'x.txt'), 'from tar\n');
  const dir = await ctxDir({
    Dockerfile: [
      'FROM busybox',
      'ONBUILD RUN echo triggered > /onbuild.txt',
      'COPY --chown=nobody:nogroup --chmod=600 f.txt /owned.txt',
      'ADD pkg.tgz /unpacked/',
      'RUN --mount=type=cache,target=/cache echo run >> /cache/count && wc -l < /cache/count > /cache-lines',
      '',
    ].join('\n'),
    'f.txt': 'f\n',
  });
  execFileSync('tar', ['-C', tarDir, '-czf', join(dir, 'pkg.tgz'), 'pkg']);
  ok(await h.berth(['build', '-t', 'feat:1', dir]));
  const st = await h.runImage('feat:1', 'stat -c "%U %G %a" /owned.txt; cat /unpacked/pkg/x.txt; cat /cache-lines');
  assert.equal(st.output, 'nobody nogroup 600\nfrom tar\n1\n');
  ok(await h.berth(['build', '--no-cache', '-t', 'feat:2', dir]));
  assert.equal((await h.runImage('feat:2', 'cat /cache-lines')).output, '2\n', 'the cache mount persists between builds');
  const child = await ctxDir({ Dockerfile: 'FROM feat:1\nCMD ["cat", "/onbuild.txt"]\n' });
  const c = ok(await h.berth(['build', '-t', 'child:1', child]));
  assert.match(c.stdout, /# Executing 1 build trigger\n/);
  assert.equal((await h.runImage('child:1')).output, 'triggered\n');
  const scratch = await ctxDir({
    Dockerfile: 'FROM scratch\nCOPY --from=busybox /bin/busybox /bin/busybox\nENTRYPOINT ["/bin/busybox"]\nCMD ["echo", "from scratch"]\n',
  });
  ok(await h.berth(['build', '-t', 'scratch:1', scratch]));
  assert.equal((await h.runImage('scratch:1')).output, 'from scratch\n');
  const pr = ok(await h.berth(['builder', 'prune', '-f']));
  assert.match(pr.stdout, /^(Deleted build cache objects:\n([0-9a-f]+\n)+\n)?Total reclaimed space: [0-9.]+[kMG]?B\n$/); // docker's report
  assert.doesNotMatch(ok(await h.berth(['build', '-t', 'feat:3', dir])).stdout, /Using cache/);
  assert.deepEqual(await h.leftovers(), []);
});

test('parse errors and bad requests are HTTP errors before any output', { skip }, async () => {
  const dir = await ctxDir({ Dockerfile: 'FROM busybox\nFOO bar\n' });
  const r = await h.berth(['build', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Error response from daemon: dockerfile parse error on line 2: unknown instruction: FOO/);
  const t = await h.berth(['build', '-t', 'Bad:Tag!', dir]);
  assert.match(t.stderr, /invalid reference format/);
  const missing = await h.berth(['build', '--target', 'nope', await ctxDir({ Dockerfile: 'FROM busybox AS a\n' })]);
  assert.match(missing.stderr, /target stage "nope" could not be found/);
});

test('the real docker CLI (classic builder) builds against the route', { skip: skip || (hasDocker() ? false : 'docker CLI not installed') }, async () => {
  const dir = await ctxDir({ Dockerfile: 'FROM busybox\nRUN echo from-docker > /d.txt\nCMD ["cat", "/d.txt"]\n', '.dockerignore': 'ignored\n', ignored: 'x' });
  const r = await h.docker(['build', '-t', 'dock:1', dir]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout + r.stderr, /Successfully tagged dock:1/);
  assert.equal((await h.runImage('dock:1')).output, 'from-docker\n');
  const again = await h.docker(['build', '-q', '-t', 'dock:1', dir]);
  assert.match(again.stdout, /^sha256:[0-9a-f]{64}\n$/);
  const bad = await h.docker(['build', await ctxDir({ Dockerfile: 'FROM busybox\nRUN exit 3\n' })]);
  assert.equal(bad.code, 3, 'docker exits with the RUN exit code');
  assert.match(bad.stderr, /The command '\/bin\/sh -c exit 3' returned a non-zero code: 3/);
  const hist = await h.docker(['history', '--no-trunc', 'dock:1']);
  assert.match(hist.stdout, /\/bin\/sh -c echo from-docker > \/d.txt/);
});

function hasDocker(): boolean {
  try {
    execFileSync('docker', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
