import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestStores, rootfsTar, streamOf, tarBuffer, type TestStores } from './image-test-util.js';
import { importRootfs } from './import.js';
import { commitImage } from './commit.js';
import { EMPTY_TAR_DIFF_ID } from './image-config.js';
import type { Digest } from '../lib/digest.js';

const stores: TestStores[] = [];
after(async () => {
  for (const s of stores) await s.cleanup();
});
async function fresh(tag: string) {
  const s = await openTestStores(tag);
  stores.push(s);
  return s;
}

test('import with changes: config, history, tag, layers', async () => {
  const { store, reopen } = await fresh('import');
  const res = await importRootfs(store, streamOf(await rootfsTar()), { ref: 'imp:v1', changes: ['CMD ["/bin/sh"]', 'ENV A=1', 'EXPOSE 80'] });
  assert.equal(res.ref, 'imp:v1');
  const d = store.inspect('imp:v1');
  assert.equal(d.record.id, res.id);
  assert.deepEqual(d.repoTags, ['imp:v1']);
  assert.deepEqual(d.config.config?.Cmd, ['/bin/sh']);
  assert.deepEqual(d.config.config?.Env, ['A=1']);
  assert.deepEqual(d.config.config?.ExposedPorts, { '80/tcp': {} });
  assert.equal(d.config.comment, 'Imported from -');
  assert.equal(d.config.rootfs.diff_ids.length, 1);
  assert.equal(d.record.layers[0]!.chainId, d.config.rootfs.diff_ids[0]);
  assert.ok(await store.layers.get(d.record.layers[0]!.chainId));
  assert.ok(d.record.size > 0);
  const h = store.history('imp:v1');
  assert.equal(h.length, 1);
  assert.equal(h[0]!.id, res.id);
  assert.equal(h[0]!.comment, 'Imported from -');
  assert.equal(h[0]!.createdBy, '');
  assert.deepEqual(h[0]!.tags, ['imp:v1']);
  assert.equal(store.rootfsChainId('imp:v1'), d.record.layers[0]!.chainId);
  // Gzip input gives the same diffId; a reopened store sees the same state.
  const gz = await importRootfs(
    store,
    streamOf(
      await tarBuffer(
        [
          { name: 'etc/', type: 'directory' },
          { name: 'etc/hello.txt', data: 'hello' },
        ],
        true,
      ),
    ),
  );
  assert.equal(store.config(gz.id).rootfs.diff_ids[0], d.config.rootfs.diff_ids[0]);
  const again = await reopen();
  assert.equal(again.resolve('imp:v1').id, res.id);
  assert.equal(again.resolve(res.id.slice(7, 19)).id, res.id);
  await assert.rejects(importRootfs(store, streamOf(await rootfsTar()), { changes: ['BOGUS x'] }), /unknown instruction: BOGUS/);
});

test('resolve: tags, ids, prefixes, not found', async () => {
  const { store } = await fresh('resolve');
  const a = await importRootfs(store, streamOf(await rootfsTar('a', 'a')), { ref: 'a' });
  assert.equal(store.resolve('a').id, a.id);
  assert.equal(store.resolve('a:latest').id, a.id);
  assert.equal(store.resolve('docker.io/library/a:latest').id, a.id);
  assert.equal(store.resolve(a.id).id, a.id);
  assert.equal(store.resolve(a.id.slice(7)).id, a.id);
  assert.equal(store.resolve(`sha256:${a.id.slice(7, 12)}`).id, a.id);
  assert.throws(
    () => store.resolve('nope'),
    (e: Error & { kind: string }) => e.kind === 'not-found' && e.message === 'No such image: nope:latest',
  );
  assert.throws(() => store.resolve(`sha256:${'0'.repeat(64)}`), /No such image: sha256:0000/);
  assert.throws(() => store.resolve('UPPER'), /must be lowercase/);
});

test('tag, untag and remove follow Docker rules', async () => {
  const { store } = await fresh('rmi');
  const img = await importRootfs(store, streamOf(await rootfsTar()), { ref: 'one:latest' });
  await store.tag('one', 'two:t');
  await store.tag(img.id, 'localhost:5000/three');
  assert.deepEqual(store.inspect(img.id).repoTags.sort(), ['localhost:5000/three:latest', 'one:latest', 'two:t']);
  // By id with several repositories: conflict (soft, must be forced).
  await assert.rejects(
    store.remove(img.id.slice(7, 19)),
    (e: Error & { kind: string }) =>
      e.kind === 'conflict' &&
      e.message === `conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
  );
  // By name: just an untag.
  assert.deepEqual(await store.remove('two:t'), [{ Untagged: 'two:t' }]);
  // A container uses the image: the last reference cannot be removed without force.
  const users = (id: Digest) => (id === img.id ? [{ id: 'c'.repeat(64), running: false }] : []);
  await store.untag('localhost:5000/three');
  await assert.rejects(
    store.remove('one', {}, users),
    new RegExp(
      `^BerthError: conflict: unable to remove repository reference "one" \\(must force\\) - container cccccccccccc is using its referenced image ${img.id.slice(7, 19)}$`,
    ),
  );
  // Running container: hard conflict even with force (by id).
  const running = (id: Digest) => (id === img.id ? [{ id: 'd'.repeat(64), running: true }] : []);
  await assert.rejects(store.remove(img.id, { force: true }, running), /\(cannot be forced\) - image is being used by running container dddddddddddd/);
  // Untagging the last tag leaves a dangling image.
  await store.untag('one');
  assert.ok(store.has(img.id));
  assert.deepEqual(
    store.list({ filters: { dangling: ['true'] } }).map((i) => i.id),
    [img.id],
  );
  assert.deepEqual(store.list({ filters: { dangling: ['false'] } }), []);
  // Stopped container by id: soft conflict, force deletes and releases layers.
  await assert.rejects(store.remove(img.id, {}, users), /must be forced\) - image is being used by stopped container cccccccccccc/);
  const chain = store.resolve(img.id).layers[0]!.chainId;
  const res = await store.remove(img.id, { force: true }, users);
  assert.deepEqual(res, [{ Deleted: img.id }, { Deleted: chain }]);
  assert.equal(store.has(img.id), false);
  assert.equal(await store.layers.get(chain), undefined);
  assert.equal(await store.content.has(img.id), false);
  await assert.rejects(store.remove('one'), /No such image: one:latest/);
  // rmi -f by name with a stopped container: Docker untags and deletes (the container keeps its layer).
  const again = await importRootfs(store, streamOf(await rootfsTar()), { ref: 'one:latest' });
  const r2 = await store.remove('one', { force: true }, (id) => (id === again.id ? [{ id: 'c'.repeat(64), running: false }] : []));
  assert.deepEqual(r2.slice(0, 2), [{ Untagged: 'one:latest' }, { Deleted: again.id }]);
});

test('events: the store reports import, tag, untag and delete once each, tags by their familiar name', async () => {
  const { store, events } = await fresh('events');
  const img = await importRootfs(store, streamOf(await rootfsTar()), { ref: 'one:latest' });
  await store.tag('one', 'docker.io/library/two:t');
  await store.tag(img.id, 'localhost:5000/three');
  await store.remove('two:t');
  const items = await store.remove(img.id, { force: true });
  assert.deepEqual(events, [
    `import ${img.id}`,
    `tag ${img.id} two:t`,
    `tag ${img.id} localhost:5000/three:latest`,
    'untag two:t',
    ...items.map((i) => ('Untagged' in i ? `untag ${i.Untagged}` : `delete ${i.Deleted}`)),
  ]);
  assert.ok(items.some((i) => 'Deleted' in i && i.Deleted === img.id));
});

test('remove by name deletes the image once its last tag goes; shared layers stay', async () => {
  const { store } = await fresh('rmi2');
  const a = await importRootfs(store, streamOf(await rootfsTar()), { ref: 'a', changes: ['ENV X=1'] });
  const b = await importRootfs(store, streamOf(await rootfsTar()), { ref: 'b', changes: ['ENV X=2'] });
  assert.notEqual(a.id, b.id);
  const chain = store.resolve('a').layers[0]!.chainId;
  assert.deepEqual(await store.remove('a'), [{ Untagged: 'a:latest' }, { Deleted: a.id }]);
  assert.ok(await store.layers.get(chain), 'layer still used by b');
  assert.deepEqual(await store.remove('b'), [{ Untagged: 'b:latest' }, { Deleted: b.id }, { Deleted: chain }]);
  assert.equal(await store.layers.get(chain), undefined);
});

test('commit: layers, empty diff, parent chain, history, child conflict, prune', async () => {
  const { store } = await fresh('commit');
  const base = await importRootfs(store, streamOf(await rootfsTar()), { ref: 'base' });
  const c1 = await commitImage(store, {
    parentImageId: base.id,
    diff: streamOf(await tarBuffer([{ name: 'new.txt', data: 'new' }])),
    config: { Cmd: ['sh'] },
    changes: ['LABEL stage=one'],
    author: 'me',
    comment: 'first',
    createdBy: 'sh -c touch new.txt',
    containerId: 'e'.repeat(64),
  });
  const cfg1 = store.config(c1.id);
  assert.equal(cfg1.rootfs.diff_ids.length, 2);
  assert.equal(cfg1.author, 'me');
  assert.equal(cfg1.container, 'e'.repeat(64));
  assert.deepEqual(cfg1.config?.Labels, { stage: 'one' });
  assert.equal(store.resolve(c1.id).parent, base.id);
  const c2 = await commitImage(store, {
    parentImageId: c1.id,
    diff: streamOf(await tarBuffer([])),
    config: cfg1.config ?? {},
    ref: 'top:v2',
    createdBy: 'true',
  });
  const cfg2 = store.config(c2.id);
  assert.deepEqual(cfg2.rootfs.diff_ids, cfg1.rootfs.diff_ids, 'an empty diff adds no layer');
  assert.equal(cfg2.history?.at(-1)?.empty_layer, true);
  assert.equal(await store.content.has(EMPTY_TAR_DIFF_ID), false);
  const h = store.history('top:v2');
  assert.deepEqual(
    h.map((x) => x.id),
    [c2.id, c1.id, base.id],
  );
  assert.deepEqual(
    h.map((x) => x.createdBy),
    ['true', 'sh -c touch new.txt', ''],
  );
  assert.equal(h[0]!.size, 0);
  assert.ok(h[1]!.size > 0);
  assert.deepEqual(h[0]!.tags, ['top:v2']);
  // Children are hidden intermediates and block deleting their parent.
  assert.deepEqual(
    store
      .list()
      .map((i) => i.id)
      .sort(),
    [base.id, c2.id].sort(),
  );
  assert.equal(store.list({ all: true }).length, 3);
  await assert.rejects(store.remove(c1.id), /\(cannot be forced\) - image has dependent child images/);
  // Removing the top prunes its untagged parent chain up to the tagged base.
  const res = await store.remove('top:v2');
  assert.deepEqual(
    res
      .filter((r) => 'Deleted' in r)
      .map((r) => (r as { Deleted: string }).Deleted)
      .slice(0, 2),
    [c2.id, c1.id],
  );
  assert.ok(store.has(base.id));
  // Prune: dangling only vs all unused.
  await store.tag('base', 'keep');
  const d = await importRootfs(store, streamOf(await rootfsTar('d', 'd')));
  const p1 = await store.prune();
  assert.deepEqual(p1.deleted.filter((x) => 'Deleted' in x)[0], { Deleted: d.id });
  assert.ok(p1.spaceReclaimed > 0);
  assert.ok(store.has(base.id));
  const p2 = await store.prune({ all: true }, (id) => (id === base.id ? [{ id: 'f'.repeat(64), running: false }] : []));
  assert.equal(p2.deleted.length, 0, 'an image a container uses is kept');
  const p3 = await store.prune({ all: true });
  assert.ok(p3.deleted.some((x) => 'Deleted' in x && x.Deleted === base.id));
  assert.equal(store.all().length, 0);
});

test('list filters', async () => {
  const { store } = await fresh('list');
  const a = await importRootfs(store, streamOf(await rootfsTar('a', 'a')), { ref: 'foo/a:1', changes: ['LABEL x=1'] });
  await new Promise((r) => setTimeout(r, 1100));
  const b = await importRootfs(store, streamOf(await rootfsTar('b', 'b')), { ref: 'bar:2', changes: ['LABEL y=2'] });
  assert.deepEqual(
    store.list({ filters: { label: ['x'] } }).map((i) => i.id),
    [a.id],
  );
  assert.deepEqual(
    store.list({ filters: { label: ['y=2'] } }).map((i) => i.id),
    [b.id],
  );
  assert.deepEqual(
    store.list({ filters: { reference: ['foo/*'] } }).map((i) => i.id),
    [a.id],
  );
  assert.deepEqual(
    store.list({ filters: { reference: ['bar:2'] } }).map((i) => i.repoTags),
    [['bar:2']],
  );
  assert.deepEqual(
    store.list({ filters: { before: ['bar:2'] } }).map((i) => i.id),
    [a.id],
  );
  assert.deepEqual(
    store.list({ filters: { since: ['foo/a:1'] } }).map((i) => i.id),
    [b.id],
  );
  assert.deepEqual(
    store.list().map((i) => i.id),
    [b.id, a.id],
    'newest first',
  );
  assert.throws(() => store.list({ filters: { bogus: ['1'] } }), /invalid filter 'bogus'/);
});

test('a name holds one image per platform: shows the host one, keeps others through reopen, rmi removes all', async () => {
  const { store, reopen } = await fresh('platforms');
  const host = await importRootfs(store, streamOf(await rootfsTar('a', 'host')), { ref: 'multi:1' });
  const arm = await importRootfs(store, streamOf(await rootfsTar('a', 'arm')), { ref: 'multi:1', platform: 'linux/arm64/v8' });
  assert.equal(store.resolve('multi:1').id, host.id, 'the host platform is the one the name shows');
  assert.deepEqual(
    store.resolveAll('multi:1').map((r) => r.id),
    [host.id, arm.id],
  );
  assert.deepEqual(
    store.list().map((s) => s.repoTags),
    [['multi:1']],
    'listed once, the other platform is not dangling',
  );
  // A newer image of the same platform replaces that platform's image only.
  const arm2 = await importRootfs(store, streamOf(await rootfsTar('a', 'arm2')), { ref: 'multi:1', platform: 'linux/arm64' });
  assert.deepEqual(
    store.resolveAll('multi:1').map((r) => r.id),
    [host.id, arm2.id],
  );
  assert.ok(store.has(arm.id), 'the replaced image stays, dangling');
  const again = await reopen();
  assert.deepEqual(
    again.resolveAll('multi:1').map((r) => r.id),
    [host.id, arm2.id],
  );
  await again.tag('multi:1', 'copy:1');
  assert.deepEqual(
    again.resolveAll('copy:1').map((r) => r.id),
    [host.id, arm2.id],
  );
  await again.remove('copy:1');
  const items = await again.remove('multi:1');
  assert.ok(items.some((i) => 'Deleted' in i && i.Deleted === host.id));
  assert.ok(items.some((i) => 'Deleted' in i && i.Deleted === arm2.id));
  assert.ok(!again.has(arm2.id));
});
