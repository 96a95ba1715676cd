import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { SchemaChecker } from './schema-check.js';

const schemaText = readFileSync(new URL('./compose-spec.json', import.meta.url), 'utf8');

const RICH = {
  version: '3.9',
  name: 'demo',
  'x-any': { whatever: [1, 2] },
  include: ['a.yaml', { path: ['b.yaml'], project_directory: '.', env_file: ['.env'] }],
  services: {
    web: {
      image: 'nginx',
      build: { context: '.', dockerfile: 'Dockerfile', args: { A: '1' }, labels: ['x=1'], cache_from: ['a'], shm_size: '1g', extra_hosts: ['h:1.1.1.1'] },
      command: ['a', 'b'],
      entrypoint: 'sh -c',
      environment: ['A=1', 'B'],
      env_file: [{ path: 'x.env', required: false }],
      ports: [80, '8080:80', { target: 80, published: '81', protocol: 'tcp', mode: 'host' }],
      expose: [3000, '4000'],
      volumes: ['./a:/a:ro', { type: 'bind', source: '.', target: '/b', bind: { propagation: 'rshared', create_host_path: true } }, { type: 'tmpfs', target: '/t', tmpfs: { size: 1000 } }],
      depends_on: { db: { condition: 'service_healthy', restart: true, required: false } },
      networks: { front: { aliases: ['w'], ipv4_address: '10.0.0.2', priority: 10 }, back: null },
      healthcheck: { test: ['CMD', 'true'], interval: '10s', retries: 3, disable: false },
      deploy: { replicas: 2, resources: { limits: { cpus: '0.5', memory: '512M' }, reservations: { devices: [{ capabilities: ['gpu'], count: 'all' }] } } },
      ulimits: { nofile: { soft: 1, hard: 2 }, nproc: 3 },
      labels: { a: 'b' },
      logging: { driver: 'json-file', options: { 'max-size': '1m' } },
      extra_hosts: { h: '1.1.1.1' },
      secrets: ['s', { source: 's', target: '/x', mode: 256 }],
      develop: { watch: [{ path: './src', action: 'sync', target: '/app', ignore: ['node_modules'] }] },
      cap_add: ['NET_ADMIN'],
      sysctls: ['a=1'],
      tmpfs: '/run',
      dns: ['8.8.8.8'],
      restart: 'always',
      init: true,
      profiles: ['p'],
      container_name: 'web1',
      devices: ['/dev/fuse', { source: '/dev/sda', target: '/dev/xvda', permissions: 'rw' }],
      post_start: [{ command: ['echo'], user: 'root' }],
    },
    db: { image: 'postgres', extends: { service: 'base', file: 'b.yaml' }, cpu_count: 2 },
  },
  networks: { front: { driver: 'bridge', ipam: { config: [{ subnet: '10.0.0.0/24', aux_addresses: { a: '10.0.0.5' } }] }, external: false }, back: null },
  volumes: { data: { driver: 'local', labels: ['a=b'] }, ext: { external: true } },
  secrets: { s: { file: './s.txt' } },
  configs: { c: { content: 'hello' } },
};

const SUBSTITUTES: unknown[] = [true, 1, 1.5, -1, 'x', '', null, [], ['x'], [1, 1], {}, { 'x-a': 1 }, { bogus: 1 }];

/** Every document made by replacing one value (at any depth) of RICH with each substitute, plus extra keys. */
function* mutations(): Generator<unknown> {
  const paths: string[][] = [];
  const walk = (v: unknown, path: string[]) => {
    paths.push(path);
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(RICH, []);
  for (const path of paths) {
    for (const sub of SUBSTITUTES) {
      const doc = structuredClone(RICH) as Record<string, unknown>;
      if (!path.length) {
        yield sub;
        continue;
      }
      let parent: Record<string, unknown> = doc;
      for (const k of path.slice(0, -1)) parent = parent[k] as Record<string, unknown>;
      parent[path[path.length - 1]!] = structuredClone(sub);
      yield doc;
    }
    const doc = structuredClone(RICH) as Record<string, unknown>;
    let target: unknown = doc;
    for (const k of path) target = (target as Record<string, unknown>)[k];
    if (target && typeof target === 'object' && !Array.isArray(target)) {
      (target as Record<string, unknown>).zz_unknown = 1;
      yield doc;
    }
  }
}

test('schema checker agrees with Ajv on valid and invalid documents', () => {
  const schema = JSON.parse(schemaText);
  delete schema.$schema; // Ajv knows draft-07 by its http:// id only
  const ajv = new Ajv({ strict: false, allErrors: false });
  const reference = ajv.compile(schema);
  const checker = new SchemaChecker(JSON.parse(schemaText));
  assert.equal(reference(RICH), true, JSON.stringify(reference.errors));
  assert.deepEqual(checker.check(RICH), []);
  let n = 0;
  let invalid = 0;
  for (const doc of mutations()) {
    n++;
    const want = reference(doc);
    const errors = checker.check(doc);
    if (!want) invalid++;
    assert.equal(errors.length === 0, want, `verdicts differ for ${JSON.stringify(doc).slice(0, 400)}: ajv ${JSON.stringify(reference.errors?.slice(-1))}, ours ${JSON.stringify(errors.slice(-1))}`);
    if (!want) {
      // The failure is reported at the same place Ajv reports it.
      const last = (e: { instancePath: string }[]) => e[e.length - 1]!.instancePath;
      assert.equal(last(errors), last(reference.errors!), JSON.stringify(doc).slice(0, 300));
    }
  }
  assert.ok(n > 1000 && invalid > 300, `${n} documents, ${invalid} invalid`);
});
