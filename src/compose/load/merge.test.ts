import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeFiles } from './merge.js';
import { stripTags, type RawMap } from './tags.js';
import { parseComposeYaml } from './yaml-file.js';

const y = (text: string) => parseComposeYaml(text, 'test.yaml')[0] as RawMap;
const merged = (...texts: string[]) => stripTags(texts.map(y).reduce((a, b) => mergeFiles(a, b), {} as RawMap)) as { services: Record<string, RawMap> };

test('yaml: core schema, Go octal, merge keys, tags', () => {
  const doc = y('mode: 0440\nport: 22:22\nflag: on\nbase: &b {a: 1, b: 2}\nm:\n  <<: *b\n  b: 3\n');
  assert.deepEqual(doc, { mode: 288, port: '22:22', flag: 'on', base: { a: 1, b: 2 }, m: { a: 1, b: 3 } });
  assert.throws(() => y('a: [1\nb: 2'), /yaml: line \d+, column \d+: .* in test.yaml/);
});

test('merge: mappings merged, scalars replaced, command/entrypoint replaced', () => {
  const s = merged(
    'services: {web: {image: a, command: [x, y], entrypoint: sh -c, working_dir: /a, healthcheck: {test: [CMD, a, b], interval: 1s}}}',
    'services: {web: {image: b, command: [z], entrypoint: [bash], healthcheck: {test: [CMD, c]}}, db: {image: pg}}',
  ).services;
  assert.deepEqual(s.web, { image: 'b', command: ['z'], entrypoint: ['bash'], working_dir: '/a', healthcheck: { test: ['CMD', 'c'], interval: '1s' } });
  assert.deepEqual(s.db, { image: 'pg' });
});

test('merge: list-or-map fields merge by key across forms', () => {
  const s = merged(
    'services: {web: {environment: [A=1, B=2], labels: {x: "1"}, build: ./dir, extra_hosts: ["h1:1.1.1.1"]}}',
    'services: {web: {environment: {B: "3", C: "4"}, labels: [y=2], build: {dockerfile: D}, extra_hosts: {h1: 2.2.2.2, h2: 3.3.3.3}}}',
  ).services;
  assert.deepEqual(s.web!.environment, { A: '1', B: '3', C: '4' });
  assert.deepEqual(s.web!.labels, { x: '1', y: '2' });
  assert.deepEqual(s.web!.build, { context: './dir', dockerfile: 'D' });
  assert.deepEqual(s.web!.extra_hosts, ['h1:1.1.1.1', 'h1:2.2.2.2', 'h2:3.3.3.3']);
});

test('merge: sequences by identity (volumes by target, ports/expose by value, secrets by target)', () => {
  const s = merged(
    'services: {web: {volumes: ["./a:/data", "v:/keep"], ports: ["80:80", "443:443"], expose: [1, 2], secrets: [s1, {source: s2, target: t}], dns: 8.8.8.8}}',
    'services: {web: {volumes: [{type: volume, source: other, target: /data}], ports: ["80:80", "8080:8080"], expose: [2, 3], secrets: [{source: s1, mode: 0400}, {source: s3, target: t}], dns: [1.1.1.1]}}',
  ).services;
  assert.deepEqual(s.web!.volumes, [{ type: 'volume', source: 'other', target: '/data' }, 'v:/keep']);
  assert.deepEqual(s.web!.ports, ['80:80', '443:443', '8080:8080']);
  assert.deepEqual(s.web!.expose, [1, 2, 3]);
  assert.deepEqual(s.web!.secrets, [
    { source: 's1', mode: 256 },
    { source: 's3', target: 't' },
  ]);
  assert.deepEqual(s.web!.dns, ['8.8.8.8', '1.1.1.1']);
});

test('merge: depends_on and networks from list and map forms', () => {
  const s = merged(
    'services: {web: {depends_on: [db], networks: [front]}}',
    'services: {web: {depends_on: {cache: {condition: service_healthy}}, networks: {front: {aliases: [w]}, back: null}}}',
  ).services;
  assert.deepEqual(s.web!.depends_on, { db: null, cache: { condition: 'service_healthy' } });
  assert.deepEqual(s.web!.networks, { front: { aliases: ['w'] }, back: null });
});

test('merge: logging options dropped when the driver changes', () => {
  const s = merged(
    'services: {a: {logging: {driver: json-file, options: {max-size: 1m}}}, b: {logging: {driver: json-file, options: {max-size: 1m}}}}',
    'services: {a: {logging: {driver: syslog}}, b: {logging: {options: {max-file: "3"}}}}',
  ).services;
  assert.deepEqual(s.a!.logging, { driver: 'syslog' });
  assert.deepEqual(s.b!.logging, { driver: 'json-file', options: { 'max-size': '1m', 'max-file': '3' } });
});

test('merge: !reset removes, !override replaces', () => {
  const s = merged(
    'services: {web: {image: a, ports: ["80:80"], environment: {A: "1", B: "2"}, labels: {x: "1"}, build: {context: ., args: {X: "1"}}}}',
    'services: {web: {ports: !reset [], environment: {A: !reset null}, labels: !override {y: "2"}, build: !reset null}}',
  ).services;
  assert.deepEqual(s.web, { image: 'a', environment: { B: '2' }, labels: { y: '2' } });
  // A later file may set a reset key again; !override on a sequence replaces it.
  const t = merged(
    'services: {web: {image: a, ports: ["80:80"]}}',
    'services: {web: {image: !reset null}}',
    'services: {web: {image: c, ports: !override ["90:90"]}}',
  ).services;
  assert.deepEqual(t.web, { image: 'c', ports: ['90:90'] });
  // A tag in a single file: !reset drops the key, !override is the value.
  assert.deepEqual(merged('services: {web: {image: !override a, ports: !reset []}}').services.web, { image: 'a' });
});

test('merge: IPAM pools by subnet', () => {
  const doc = stripTags(
    mergeFiles(
      y('networks: {n: {ipam: {config: [{subnet: 10.0.0.0/24, gateway: 10.0.0.1}, {subnet: 10.1.0.0/24}]}}}'),
      y('networks: {n: {ipam: {config: [{subnet: 10.0.0.0/24, ip_range: 10.0.0.128/25}, {subnet: 10.2.0.0/24}]}}}'),
    ),
  ) as { networks: { n: { ipam: { config: unknown[] } } } };
  assert.deepEqual(doc.networks.n.ipam.config, [
    { subnet: '10.0.0.0/24', gateway: '10.0.0.1', ip_range: '10.0.0.128/25' },
    { subnet: '10.1.0.0/24' },
    { subnet: '10.2.0.0/24' },
  ]);
});
