import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus, matchesEventFilters, validateEventFilters, type EngineEvent, type EventInput } from './event-bus.js';

function clock(start = 1_000_000_000_000_000_000n) {
  let t = start;
  return { now: () => t, advance: (ns: bigint) => void (t += ns) };
}

const ctr = (action: string, id: string, name: string, extra: Record<string, string> = {}): EventInput => ({
  type: 'container',
  action,
  actor: { id, attributes: { name, image: 'busybox:latest', ...extra } },
});

test('publish stamps time and delivers to matching subscribers until unsubscribed', () => {
  const c = clock();
  const bus = new EventBus({ now: c.now });
  const got: string[] = [];
  const sub = bus.subscribe((e) => got.push(`${e.type}/${e.action}`), { filters: { type: ['container'] } });
  const e = bus.publish(ctr('start', 'abc123', 'web'));
  assert.equal(e.timeNano, 1_000_000_000_000_000_000n);
  assert.equal(e.time, 1_000_000_000);
  assert.equal(e.scope, 'local');
  bus.publish({ type: 'image', action: 'pull', actor: { id: 'busybox:latest', attributes: { name: 'busybox' } } });
  assert.deepEqual(sub.backlog, []);
  sub.unsubscribe();
  bus.publish(ctr('stop', 'abc123', 'web'));
  assert.deepEqual(got, ['container/start']);
  assert.equal(bus.subscriberCount, 0);
});

test('filters: same key ORs, different keys AND; prefixes, images, labels, fuzzy events', () => {
  const bus = new EventBus();
  const a = bus.publish(ctr('start', 'aaa111', 'web', { 'com.x': '1', tier: 'front' }));
  const b = bus.publish(ctr('exec_start: sh -c ls', 'bbb222', 'db', { tier: 'back' }));
  const img = bus.publish({ type: 'image', action: 'tag', actor: { id: 'sha256:ffff', attributes: { name: 'docker.io/library/busybox:1.36' } } });
  const net = bus.publish({ type: 'network', action: 'connect', actor: { id: 'net1', attributes: { name: 'bridge', container: 'aaa111' } } });
  const all = [a, b, img, net];
  const pick = (f: Record<string, string[]>) => all.filter((e: EngineEvent) => matchesEventFilters(e, f));
  assert.deepEqual(pick({}), all);
  assert.deepEqual(pick({ container: ['web', 'bbb'] }), [a, b]); // name, id prefix; ORed
  assert.deepEqual(pick({ container: ['web'], event: ['die'] }), []); // ANDed
  assert.deepEqual(pick({ event: ['exec_start'] }), [b]); // fuzzy for exec_start
  assert.deepEqual(pick({ event: ['start'] }), [a]); // exact otherwise
  assert.deepEqual(pick({ type: ['image', 'network'] }), [img, net]);
  assert.deepEqual(pick({ image: ['busybox'] }), [a, b, img]); // tag stripped on both sides
  assert.deepEqual(pick({ image: ['busybox:1.36'] }), []);
  assert.deepEqual(pick({ image: ['docker.io/library/busybox:1.36'] }), [img]);
  assert.deepEqual(pick({ label: ['tier'] }), [a, b]);
  assert.deepEqual(pick({ label: ['tier=front'] }), [a]);
  assert.deepEqual(pick({ label: ['tier=front', 'com.x=1'] }), [a]); // labels all must match
  assert.deepEqual(pick({ label: ['tier=front', 'tier=back'] }), []);
  assert.deepEqual(pick({ network: ['bridge'] }), [net]);
  assert.deepEqual(pick({ scope: ['swarm'] }), []);
  assert.throws(() => validateEventFilters({ bogus: ['x'] }), /invalid filter 'bogus'/);
  assert.throws(() => bus.subscribe(() => {}, { filters: { nope: [] } }), /invalid filter/);
});

test('ring buffer keeps the newest events; backlog honours since/until and filters', () => {
  const c = clock();
  const bus = new EventBus({ capacity: 4, now: c.now });
  const times: bigint[] = [];
  for (let i = 0; i < 6; i++) {
    times.push(bus.publish(ctr(i % 2 ? 'stop' : 'start', `id${i}`, `n${i}`)).timeNano);
    c.advance(1000n);
  }
  assert.deepEqual(
    bus.recent().map((e) => e.actor.id),
    ['id2', 'id3', 'id4', 'id5'],
  );
  const s = bus.subscribe(() => {}, { since: times[3], filters: { event: ['stop'] } });
  assert.deepEqual(
    s.backlog.map((e) => e.actor.id),
    ['id3', 'id5'],
  );
  s.unsubscribe();
  const u = bus.subscribe(() => {}, { since: 1n, until: times[4] });
  assert.deepEqual(
    u.backlog.map((e) => e.actor.id),
    ['id2', 'id3', 'id4'],
  );
  u.unsubscribe();
});

test('a throwing subscriber does not stop others', () => {
  const bus = new EventBus();
  let n = 0;
  bus.subscribe(() => {
    throw new Error('x');
  });
  bus.subscribe(() => void n++);
  bus.publish(ctr('start', 'a', 'a'));
  assert.equal(n, 1);
});

test('stream: backlog, then live events, ends on abort or when until passes', async () => {
  const bus = new EventBus();
  bus.publish(ctr('create', 'old', 'old'));
  const since = bus.recent()[0]!.timeNano;
  const ac = new AbortController();
  const got: string[] = [];
  const done = (async () => {
    for await (const e of bus.stream({ since, signal: ac.signal, filters: { container: ['old', 'new'] } })) {
      got.push(`${e.actor.id}:${e.action}`);
      if (got.length === 3) ac.abort();
    }
  })();
  await new Promise((r) => setImmediate(r));
  bus.publish(ctr('start', 'new', 'new'));
  bus.publish(ctr('start', 'other', 'other'));
  bus.publish(ctr('die', 'new', 'new'));
  bus.publish(ctr('destroy', 'new', 'new'));
  await done;
  assert.deepEqual(got, ['old:create', 'new:start', 'new:die']);
  assert.equal(bus.subscriberCount, 0);

  const t = performance.now();
  const until = BigInt(Date.now() + 150) * 1_000_000n;
  const live: string[] = [];
  const s2 = (async () => {
    for await (const e of bus.stream({ until })) live.push(e.action);
  })();
  await new Promise((r) => setTimeout(r, 20));
  bus.publish(ctr('pause', 'x', 'x'));
  await s2;
  const took = performance.now() - t;
  assert.ok(took >= 140 && took < 1000, `took ${took}`);
  // Backlog up to until (since unset: until alone asks for it) plus the live one.
  assert.deepEqual(live.at(-1), 'pause');
  assert.equal(bus.subscriberCount, 0);
});
