import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectServices, serviceNamesOf, withServices } from './profiles.js';
import { load, rejects, writeTree } from './test-tree.js';

const PROFILED = `
services:
  web: {image: web}
  debug: {image: debug, profiles: [dev]}
  admin: {image: admin, profiles: [ops], depends_on: [db]}
  db: {image: db, profiles: [ops, data]}
`;

test('profiles: disabled unless active; --profile over COMPOSE_PROFILES; * enables all', async () => {
  const root = writeTree({ 'compose.yaml': PROFILED });
  let p = await load(root);
  assert.deepEqual(serviceNamesOf(p), ['web']);
  assert.deepEqual(Object.keys(p.disabledServices).sort(), ['admin', 'db', 'debug']);
  assert.deepEqual(serviceNamesOf(p, true), ['admin', 'db', 'debug', 'web']);
  p = await load(root, { env: { COMPOSE_PROFILES: 'dev,ops' } });
  assert.deepEqual(serviceNamesOf(p), ['admin', 'db', 'debug', 'web']);
  p = await load(root, { profiles: ['data'], env: { COMPOSE_PROFILES: 'dev' } });
  assert.deepEqual(serviceNamesOf(p), ['db', 'web']);
  assert.deepEqual(p.profiles, ['data']);
  p = await load(root, { profiles: ['*'] });
  assert.deepEqual(serviceNamesOf(p), ['admin', 'db', 'debug', 'web']);
});

test('profiles: naming a service activates its profiles; withServices enables it and its dependencies', async () => {
  const root = writeTree({ 'compose.yaml': PROFILED + '  tool: {image: tool, profiles: [tools], depends_on: [db]}\n' });
  const p = await load(root, { services: ['admin'] });
  assert.deepEqual(serviceNamesOf(p), ['admin', 'db', 'web']);
  assert.deepEqual(p.profiles, ['ops']);
  // tool's profile does not enable db: the spec's "profiles not enabled" error.
  await rejects(load(root, { services: ['tool'] }), /service "tool" depends on "db", which is not enabled by the active profiles/);
  assert.deepEqual(serviceNamesOf(await load(root, { services: ['tool'], profiles: ['data'] })), ['db', 'tool', 'web']);
  await rejects(load(root, { services: ['nope'] }), /no such service: nope/);
  const base = await load(root);
  assert.deepEqual(serviceNamesOf(withServices(base, ['debug'])), ['debug', 'web']);
  assert.deepEqual(serviceNamesOf(selectServices(base, ['admin'])), ['admin', 'db']);
  assert.throws(() => withServices(base, ['nope']), /no such service: nope/);
});

test('profiles: an enabled service may not require a disabled one; optional ones are dropped', async () => {
  const root = writeTree({ 'compose.yaml': 'services: {web: {image: w, depends_on: [db]}, db: {image: d, profiles: [x]}}' });
  await rejects(load(root), /service "web" depends on "db", which is not enabled by the active profiles/, 'services.web.depends_on.db');
  const opt = writeTree({
    'compose.yaml': 'services: {web: {image: w, depends_on: {db: {condition: service_started, required: false}}}, db: {image: d, profiles: [x]}}',
  });
  assert.deepEqual((await load(opt)).services.web!.depends_on, {});
});

test('errors: references, cycles and build inputs are checked before anything is created', async () => {
  const cases: [string, RegExp, string][] = [
    [
      'services: {web: {image: a, depends_on: [nope]}}',
      /service "web" depends on undefined service "nope": invalid compose project/,
      'services.web.depends_on',
    ],
    [
      'services: {a: {image: a, depends_on: [b]}, b: {image: b, depends_on: [c]}, c: {image: c, depends_on: [a]}}',
      /dependency cycle detected: a -> b -> c -> a/,
      'services.a.depends_on',
    ],
    [
      'services: {web: {image: a, volumes: ["data:/data"]}}',
      /service "web" refers to undefined volume data: invalid compose project/,
      'services.web.volumes.0',
    ],
    ['services: {web: {image: a, networks: [front]}}', /service "web" refers to undefined network front: invalid compose project/, 'services.web.networks'],
    ['services: {web: {image: a, secrets: [s]}}', /service "web" refers to undefined secret s/, 'services.web.secrets.0'],
    ['services: {web: {image: a, network_mode: "service:nope"}}', /service "web" depends on undefined service "nope"/, 'services.web.depends_on'],
    ['services: {web: {build: ./missing}}', /build path .*missing either does not exist/, 'services.web.build.context'],
    ['services: {web: {build: {context: ., dockerfile: Nope.Dockerfile}}}', /Dockerfile .*Nope\.Dockerfile does not exist/, 'services.web.build.dockerfile'],
    ['services: {web: {environment: [A=1]}}', /service "web" has neither an image nor a build context specified/, 'services.web'],
    ['services: {web: {image: a, ports: ["80:80:80:80"]}}', /invalid IP address/, 'services.web.ports.0'],
    ['services: {web: {image: a, command: "echo \\"open"}}', /unterminated double quote/, 'services.web.command'],
    ['services: {web: {image: a, scale: 2, deploy: {replicas: 3}}}', /can't set distinct values on 'scale' and 'deploy.replicas'/, 'services.web.scale'],
    ['services: {web: {image: a, healthcheck: {interval: "10"}}}', /invalid duration "10"/, 'services.web.healthcheck'],
  ];
  for (const [text, re, path] of cases) await rejects(load(writeTree({ 'compose.yaml': text })), re, path);
  // Inline Dockerfiles need no file; a remote context is not checked on disk.
  const ok = writeTree({ 'compose.yaml': 'services: {a: {build: {context: ., dockerfile_inline: "FROM scratch"}}, b: {build: "https://github.com/x/y.git"}}' });
  const p = await load(ok);
  assert.equal(p.services.a!.build!.dockerfile_inline, 'FROM scratch');
  assert.equal(p.services.b!.build!.context, 'https://github.com/x/y.git');
  // Build inputs of disabled services are not checked, and skipFileChecks skips them all.
  await load(writeTree({ 'compose.yaml': 'services: {a: {build: ./gone, profiles: [x]}, b: {image: b}}' }));
  await load(writeTree({ 'compose.yaml': 'services: {a: {build: ./gone}}' }), { skipFileChecks: true });
});

test('profiles: env and label files of services left out are not required', async () => {
  const root = writeTree({ 'compose.yaml': 'services: {web: {image: w}, prod: {image: p, profiles: [prod], env_file: prod.env, label_file: prod.labels}}' });
  const p = await load(root);
  assert.deepEqual(serviceNamesOf(p), ['web']);
  assert.deepEqual(p.disabledServices.prod!.env_file, [{ path: `${root}/prod.env`, required: true }]);
  await rejects(load(root, { profiles: ['prod'] }), /env file .*prod\.env not found/, 'services.prod.env_file.0');
});

test('errors: services the profiles leave out are not checked', async () => {
  const root = writeTree({ 'compose.yaml': 'services: {web: {image: w}, tool: {profiles: [t], networks: [nope], depends_on: [ghost], volumes: ["v:/v"]}}' });
  assert.deepEqual(serviceNamesOf(await load(root)), ['web']);
  await rejects(load(root, { profiles: ['t'] }), /service "tool" depends on undefined service "ghost"/);
  await rejects(load(root, { services: ['tool'] }), /service "tool" depends on undefined service "ghost"/);
});

test('errors: contradictory settings of a service', async () => {
  const cases: [string, RegExp, string][] = [
    ['{image: a, network_mode: host, networks: [n]}', /service web declares mutually exclusive `network_mode` and `networks`/, 'services.web.network_mode'],
    ['{image: a, network_mode: "service:ghost"}', /depends on undefined service "ghost"/, 'services.web.depends_on'],
    ['{image: a, healthcheck: {test: [RUN, x]}}', /healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"/, 'services.web.healthcheck.test'],
    ['{image: a, scale: -1}', /services\.web\.scale: must be greater than or equal to 0/, 'services.web.scale'],
    [
      '{image: a, cpus: 1, deploy: {resources: {limits: {cpus: "0.5"}}}}',
      /can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus'/,
      'services.web',
    ],
    ['{image: a, mem_limit: 1g, deploy: {resources: {limits: {memory: 512m}}}}', /'mem_limit' and 'deploy.resources.limits.memory'/, 'services.web'],
    ['{image: a, container_name: web1, scale: 2}', /can't set container_name and scale as container name must be unique/, 'services.web.container_name'],
    [
      '{image: a, develop: {watch: [{path: ., action: sync}]}}',
      /services\.web\.develop\.watch\.0: target is required for non-rebuild actions/,
      'services.web.develop.watch.0',
    ],
    [
      '{image: a, tmpfs: [/data], volumes: ["/data"]}',
      /services\.web\.volumes\.0: target \/data already mounted as services\.web\.tmpfs\.0/,
      'services.web.volumes.0',
    ],
    ['{build: {context: ., dockerfile: D, dockerfile_inline: "FROM x"}}', /declares mutually exclusive dockerfile and dockerfile_inline/, 'services.web.build'],
    [
      '{image: a, platform: linux/arm64, build: {context: ., dockerfile_inline: "FROM x", platforms: [linux/amd64]}}',
      /service.build.platforms MUST include service.platform "linux\/arm64"/,
      'services.web.build.platforms',
    ],
    [
      '{build: {context: ., dockerfile_inline: "FROM x", additional_contexts: {base: "service:ghost"}}}',
      /declares unknown service "ghost" as additional contexts base/,
      'services.web.build.additional_contexts.base',
    ],
  ];
  for (const [web, re, path] of cases) await rejects(load(writeTree({ 'compose.yaml': `services: {web: ${web}}\nnetworks: {n: {}}` })), re, path);
  // Equal values in both places are fine.
  await load(
    writeTree({ 'compose.yaml': 'services: {web: {image: a, cpus: 0.5, deploy: {replicas: 1, resources: {limits: {cpus: "0.5"}}}, container_name: web1}}' }),
  );
});
