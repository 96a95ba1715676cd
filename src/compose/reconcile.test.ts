import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as T from '../api/types/index.js';
import { serviceConfigHash } from './config-hash.js';
import { containerSpec } from './container-spec.js';
import { dependencyOrder, withDependencies } from './graph.js';
import * as L from './labels.js';
import type { Project, ServiceConfig } from './model.js';
import { observedContainer, type ObservedProject } from './observe.js';
import { planIsNoop, planUp } from './reconcile.js';
import { levelsFromLabels } from './lifecycle.js';
import { portClashes } from './preflight.js';

function project(services: Record<string, ServiceConfig>, extra: Partial<Project> = {}): Project {
  return {
    name: 'demo',
    workingDir: '/src/demo',
    configFiles: ['/src/demo/compose.yaml'],
    services,
    disabledServices: {},
    networks: { default: { name: 'demo_default' } },
    volumes: {},
    secrets: {},
    configs: {},
    profiles: [],
    environment: {},
    ...extra,
  };
}

function container(
  p: Project,
  service: string,
  number: number,
  state: T.ContainerStateName = 'running',
  hash = p.services[service] ? serviceConfigHash(p, service) : 'x',
): T.ContainerSummary {
  return {
    Id: `${service}${number}`.padEnd(64, '0'),
    Names: [`/demo-${service}-${number}`],
    Image: 'busybox',
    ImageID: 'sha256:img',
    Command: '',
    Created: 0,
    Ports: [],
    Mounts: [],
    Labels: {
      [L.LABEL_PROJECT]: 'demo',
      [L.LABEL_SERVICE]: service,
      [L.LABEL_CONTAINER_NUMBER]: String(number),
      [L.LABEL_ONEOFF]: 'False',
      [L.LABEL_CONFIG_HASH]: hash,
    },
    State: state,
    Status: '',
  };
}

function observed(p: Project, cs: T.ContainerSummary[], networks = ['demo_default']): ObservedProject {
  return { name: 'demo', containers: cs.map(observedContainer), networks: networks.map((Name) => ({ Name }) as T.NetworkSummary), volumes: [] };
}

const web: ServiceConfig = { image: 'busybox', command: ['httpd', '-f'], depends_on: { db: { condition: 'service_healthy', required: true } } };
const db: ServiceConfig = { image: 'busybox', healthcheck: { test: ['CMD', 'true'], interval: '1s' } };

test('a fresh project creates its network and one container per service, dependencies first', () => {
  const p = project({ web, db });
  const plan = planUp(p, observed(p, [], []), {}, { services: [] });
  assert.deepEqual(plan.networks, [{ key: 'default', name: 'demo_default', create: true, external: false }]);
  assert.deepEqual(
    plan.services.map((s) => s.service),
    ['db', 'web'],
  );
  assert.deepEqual(
    plan.services.map((s) => s.actions),
    [[{ kind: 'create', number: 1, name: 'demo-db-1' }], [{ kind: 'create', number: 1, name: 'demo-web-1' }]],
  );
  assert.equal(planIsNoop(plan), false);
});

test('up twice: the second plan keeps everything', () => {
  const p = project({ web, db });
  const plan = planUp(p, observed(p, [container(p, 'web', 1), container(p, 'db', 1)]), {}, { services: [] });
  assert.ok(planIsNoop(plan));
});

test('a changed service config recreates only that service; a stopped container is started', () => {
  const p = project({ web, db });
  const plan = planUp(p, observed(p, [container(p, 'web', 1, 'running', 'old'), container(p, 'db', 1, 'exited')]), {}, { services: [] });
  assert.deepEqual(
    plan.services.map((s) => s.actions.map((a) => a.kind)),
    [['start'], ['recreate']],
  );
  const forced = planUp(p, observed(p, [container(p, 'web', 1), container(p, 'db', 1)]), {}, { services: [], forceRecreate: true });
  assert.deepEqual(
    forced.services.map((s) => s.actions.map((a) => a.kind)),
    [['recreate'], ['recreate']],
  );
  const kept = planUp(p, observed(p, [container(p, 'web', 1, 'running', 'old'), container(p, 'db', 1)]), {}, { services: [], noRecreate: true });
  assert.ok(planIsNoop(kept));
});

test('a new image id recreates; scale up fills the lowest free numbers, scale down removes the highest', () => {
  const p = project({ web: { image: 'busybox' } });
  const img = planUp(p, observed(p, [container(p, 'web', 1)]), { web: 'sha256:new' }, { services: [] });
  assert.equal(img.services[0]!.actions[0]!.kind, 'recreate');
  const up = planUp(p, observed(p, [container(p, 'web', 2)]), {}, { services: [], scale: { web: 3 } });
  assert.deepEqual(
    up.services[0]!.actions.map((a) => (a.kind === 'create' ? a.number : a.kind)),
    ['keep', 1, 3],
  );
  const down = planUp(p, observed(p, [container(p, 'web', 1), container(p, 'web', 2), container(p, 'web', 3)]), {}, { services: [], scale: { web: 1 } });
  assert.deepEqual(
    down.services[0]!.actions.map((a) => `${a.kind}:${'container' in a ? a.container.number : ''}`),
    ['remove:3', 'remove:2', 'keep:1'],
  );
});

test('orphans are reported, and removed only when asked; selected services bring their dependencies unless --no-deps', () => {
  const p = project({ web, db });
  const plan = planUp(p, observed(p, [container(p, 'gone', 1)]), {}, { services: ['web'] });
  assert.deepEqual(
    plan.orphans.map((c) => c.name),
    ['demo-gone-1'],
  );
  assert.equal(plan.removeOrphans, false);
  assert.deepEqual(
    plan.services.map((s) => s.service),
    ['db', 'web'],
  );
  assert.deepEqual(
    planUp(p, observed(p, []), {}, { services: ['web'], noDeps: true }).services.map((s) => s.service),
    ['web'],
  );
});

test('dependency order follows depends_on and service: references; a cycle is an error', () => {
  const p = project({
    a: { depends_on: { b: { condition: 'service_started', required: true } } },
    b: { network_mode: 'service:c' },
    c: {},
    d: { volumes_from: ['a:ro'] },
  });
  assert.deepEqual(dependencyOrder(p), ['c', 'b', 'a', 'd']);
  assert.deepEqual(withDependencies(p, ['a']), ['c', 'b', 'a']);
  const cyc = project({
    a: { depends_on: { b: { condition: 'service_started', required: true } } },
    b: { depends_on: { a: { condition: 'service_started', required: true } } },
  });
  assert.throws(() => dependencyOrder(cyc), /dependency cycle detected: a -> b -> a/);
});

test('the create request carries compose labels, ports, mounts, aliases and the healthcheck', () => {
  const p = project(
    {
      web: {
        image: 'busybox',
        command: ['httpd', '-f'],
        environment: { A: '1', B: null },
        ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'ingress', host_ip: '127.0.0.1' }],
        volumes: [
          { type: 'volume', source: 'data', target: '/data' },
          { type: 'bind', source: '/tmp/x', target: '/x', read_only: true },
          { type: 'volume', target: '/anon' },
        ],
        networks: { back: { aliases: ['www'] }, front: null },
        healthcheck: { test: ['CMD-SHELL', 'true'], interval: '1m30s', retries: 3 },
        restart: 'on-failure:2',
        stop_grace_period: '5s',
        depends_on: { db: { condition: 'service_healthy', required: true } },
      },
      db,
    },
    { networks: { back: { name: 'demo_back' }, front: { name: 'demo_front' } }, volumes: { data: { name: 'demo_data' } } },
  );
  const spec = containerSpec({ project: p, service: 'web', number: 2, name: 'demo-web-2', containerOf: () => 'x' });
  const b = spec.body;
  assert.equal(b.Labels![L.LABEL_PROJECT], 'demo');
  assert.equal(b.Labels![L.LABEL_CONTAINER_NUMBER], '2');
  assert.equal(b.Labels![L.LABEL_DEPENDENCIES], 'db:service_healthy:false');
  assert.deepEqual(b.Env, ['A=1']);
  assert.deepEqual(b.HostConfig!.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
  assert.deepEqual(b.HostConfig!.Binds, ['/tmp/x:/x:ro']);
  assert.deepEqual(b.HostConfig!.Mounts, [{ Type: 'volume', Source: 'demo_data', Target: '/data', ReadOnly: false }]);
  assert.deepEqual(b.Volumes, { '/anon': {} });
  assert.equal(b.HostConfig!.NetworkMode, 'demo_back');
  assert.deepEqual(b.NetworkingConfig!.EndpointsConfig!.demo_back!.Aliases, ['web', 'web-2', 'www']);
  assert.deepEqual(
    spec.moreNetworks.map((n) => n.network),
    ['demo_front'],
  );
  assert.equal(b.Healthcheck!.Interval, 90e9);
  assert.deepEqual(b.HostConfig!.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  assert.equal(b.StopTimeout, 5);
});

test('start/stop levels from labels: a service after its dependencies, independent ones together', () => {
  const p = project({ web, db, cache: { image: 'busybox' }, worker: { image: 'busybox' } });
  const cs = [container(p, 'web', 1), container(p, 'db', 1), container(p, 'cache', 1), container(p, 'worker', 1)].map(observedContainer);
  cs[0]!.labels[L.LABEL_DEPENDENCIES] = 'db:service_healthy:false,cache:service_started:false';
  cs[3]!.labels[L.LABEL_DEPENDENCIES] = 'web:service_started:false,gone:service_started:false';
  assert.deepEqual(levelsFromLabels(cs), [['cache', 'db'], ['web'], ['worker']]);
});

test('preflight: one fixed host port on two services or on several replicas is a clash; ranges and other addresses are not', () => {
  const port = (published: string, host_ip?: string) => ({ target: 80, published, protocol: 'tcp', mode: 'ingress', ...(host_ip ? { host_ip } : {}) });
  const p = project({
    a: { image: 'busybox', ports: [port('8080')] },
    b: { image: 'busybox', ports: [port('8080', '127.0.0.1')] },
    c: { image: 'busybox', ports: [port('9000-9002')], scale: 3 },
    d: { image: 'busybox', ports: [port('7000', '127.0.0.1')] },
    e: { image: 'busybox', ports: [port('7000', '127.0.0.2')] },
  });
  assert.deepEqual(
    portClashes(p, ['a', 'b', 'c', 'd', 'e']).map((e) => [e.path, e.message]),
    [['services.b.ports.0', 'services "a" and "b" both publish host port 8080/tcp']],
  );
  assert.deepEqual(
    portClashes(p, ['a'], { a: 2 }).map((e) => e.path),
    ['services.a.ports.0'],
  );
});
