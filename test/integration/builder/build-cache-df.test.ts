// The build cache in `system df` through a real berthd: GET /system/df's BuildCache records
// (swagger v1.45 shape), the Build Cache row of `berth system df` and the real `docker system df`
// (identical), their -v sections, and `builder prune -af` taking it back to nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBusyboxDaemon, type RunResult } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { conformancePath } from '../../support/conformance.js';
import { SwaggerValidator } from '../../compat/swagger-schema.js';

const SWAGGER = conformancePath('engine-api/v1.45.yaml');

const skip = requiresRoot('overlay mounts, crun');
const d = useBusyboxDaemon({ before, after }, skip);
let ctx = '';

before(async () => {
  if (skip) return;
  ctx = await mkdtemp(join(tmpdir(), `berth-build-df-${process.pid}-`));
  // 300000 bytes into a cache mount; a config-only step; a step with a small layer of its own.
  await writeFile(
    join(ctx, 'Dockerfile'),
    'FROM busybox\nRUN --mount=type=cache,target=/cache dd if=/dev/zero of=/cache/blob bs=1000 count=300 2>/dev/null\nENV STEP=2\nRUN echo hello > /hi\n',
  );
});
after(async () => {
  if (ctx) await rm(ctx, { recursive: true, force: true });
});

const ok = (r: RunResult, what: string) => {
  assert.equal(r.code, 0, `${what}: ${r.stderr}\n${r.stdout}`);
  return r.stdout;
};

interface Rec {
  ID: string;
  Parents: string[] | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

function df(): Promise<{ BuildCache: Rec[] | null }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, path: '/v1.45/system/df', method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const row = (out: string) =>
  out
    .split('\n')
    .find((l) => l.startsWith('Build Cache'))
    ?.split(/\s{2,}/)
    .slice(1) ?? [];

test('a build with a cache mount and intermediate steps fills the Build Cache; builder prune -af empties it', { skip }, async () => {
  assert.deepEqual(row(ok(await d.berth(['system', 'df']), 'df before')), ['0', '0', '0B', '0B']);
  ok(await d.berth(['build', '-t', 'dfc:1', ctx]), 'build');

  const body = await df();
  if (SWAGGER) {
    const sw = SwaggerValidator.load(SWAGGER);
    assert.deepEqual(
      sw.validateResponse('/system/df', 'GET', 200, body).filter((e) => e.startsWith('/BuildCache')),
      [],
      'BuildCache matches the swagger',
    );
    for (const r of body.BuildCache ?? []) assert.deepEqual(sw.validateDefinition('BuildCache', r), []);
  }
  const recs = body.BuildCache ?? [];
  const keys = ['ID', 'Parents', 'Type', 'Description', 'InUse', 'Shared', 'Size', 'CreatedAt', 'LastUsedAt', 'UsageCount'];
  for (const r of recs) {
    assert.deepEqual(Object.keys(r).sort(), [...keys].sort(), 'the swagger BuildCache fields');
    assert.ok(!Number.isNaN(Date.parse(r.CreatedAt)));
  }
  const mounts = recs.filter((r) => r.Type === 'exec.cachemount');
  const regular = recs.filter((r) => r.Type === 'regular');
  assert.equal(mounts.length, 1, JSON.stringify(recs));
  assert.equal(mounts[0]!.Size, 300_000, 'the cache mount holds the 300000 bytes the step wrote');
  assert.deepEqual([mounts[0]!.Shared, mounts[0]!.InUse, mounts[0]!.UsageCount], [false, false, 1]);
  assert.match(mounts[0]!.Description, /^cached mount \/cache from exec /);
  assert.equal(regular.length, 3, 'one record per step result');
  assert.ok(
    regular.every((r) => r.Shared),
    'step results are image layers: shared with the image store',
  );
  const hi = regular.find((r) => r.Description.includes('echo hello'))!;
  const env = regular.find((r) => r.Description.includes('ENV STEP=2'))!;
  assert.ok(hi.Size > 0, 'the last RUN added a layer');
  assert.equal(env.Size, 0, 'ENV adds no layer');
  assert.deepEqual(hi.Parents, [env.ID], 'parent records follow the steps');

  // The summary row counts what builder prune can free: the cache mount.
  const berthRow = row(ok(await d.berth(['system', 'df']), 'berth system df'));
  assert.deepEqual(berthRow, ['4', '0', '300kB', '300kB']);
  assert.deepEqual(row(ok(await d.docker(['system', 'df']), 'docker system df')), berthRow, 'the docker CLI computes the same row');
  const verbose = ok(await d.berth(['system', 'df', '-v']), 'berth system df -v');
  assert.match(verbose, /\nBuild cache usage: 300kB\n/);
  assert.match(verbose, new RegExp(`\\n${mounts[0]!.ID.slice(0, 12)}\\s+exec\\.cachemount\\s+300kB\\s`));
  assert.match(ok(await d.docker(['system', 'df', '-v']), 'docker system df -v'), /\nBuild cache usage: 300kB\n/);

  // A cached rebuild counts as a use of every step record.
  const again = ok(await d.berth(['build', '-t', 'dfc:2', ctx]), 'rebuild');
  assert.equal(again.match(/Using cache/g)?.length, 3, again);
  for (const r of ((await df()).BuildCache ?? []).filter((x) => x.Type === 'regular')) {
    assert.equal(r.UsageCount, 2, `${r.Description}: used twice`);
    assert.ok(r.LastUsedAt && !Number.isNaN(Date.parse(r.LastUsedAt)));
  }

  const pruned = ok(await d.berth(['builder', 'prune', '-af']), 'berth builder prune -af');
  assert.match(pruned, /^Deleted build cache objects:\n([0-9a-f]+\n)+\nTotal reclaimed space: 300kB\n$/, pruned); // docker's report
  assert.deepEqual((await df()).BuildCache ?? [], []);
  assert.deepEqual(row(ok(await d.berth(['system', 'df']), 'berth df after prune')), ['0', '0', '0B', '0B']);
  assert.deepEqual(row(ok(await d.docker(['system', 'df']), 'docker df after prune')), ['0', '0', '0B', '0B']);
  const mountsDir = join(d.dataRoot, 'build-cache', 'mounts');
  assert.deepEqual(existsSync(mountsDir) ? readdirSync(mountsDir) : [], [], 'the cache mount directory is gone');
  // Images stay (they are the image store's); the next build starts without cache.
  assert.equal(ok(await d.berth(['run', '--rm', 'dfc:1', 'cat', '/hi']), 'run after prune'), 'hello\n');
  const fresh = ok(await d.berth(['build', ctx]), 'build after prune');
  assert.doesNotMatch(fresh, /Using cache/);
  assert.equal(row(ok(await d.docker(['system', 'df']), 'docker df after rebuild'))[2], '300kB');
  ok(await d.docker(['builder', 'prune', '-af']), 'docker builder prune -af');
  assert.deepEqual(row(ok(await d.docker(['system', 'df']), 'docker df after docker prune')), ['0', '0', '0B', '0B']);
});
