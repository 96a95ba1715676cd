import { test } from 'node:test';
import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LoadOptions } from './load-project.js';
import { load, rejects, writeTree } from './test-tree.js';
import { defaultFilesIn } from './discover.js';

test('discovery: first folder up the tree with a compose file, plus its override', async () => {
  const root = realpathSync(
    writeTree({
      'My_App.x/compose.yaml': 'services: {web: {image: a}}',
      'My_App.x/compose.override.yaml': 'services: {web: {image: b}}',
      'My_App.x/sub/deeper/.keep': '',
      'compose.yaml': 'services: {outer: {image: o}}',
    }),
  );
  const p = await load(join(root, 'My_App.x/sub/deeper'));
  assert.equal(p.workingDir, join(root, 'My_App.x'));
  assert.deepEqual(p.configFiles, [join(root, 'My_App.x/compose.yaml'), join(root, 'My_App.x/compose.override.yaml')]);
  assert.equal(p.services.web!.image, 'b');
  assert.equal(p.name, 'my_appx');
  const lonely = writeTree({ 'x/': '' });
  if (!defaultFilesIn(dirname(lonely)) && !defaultFilesIn('/')) await rejects(load(lonely), /no configuration file provided: not found/);
});

test('discovery: docker-compose.yml names, COMPOSE_FILE and -f', async () => {
  const root = writeTree({
    'docker-compose.yml': 'services: {a: {image: a}}',
    'docker-compose.override.yml': 'services: {a: {environment: [X=1]}}',
    'one.yaml': 'services: {one: {image: one}}',
    'two.yaml': 'services: {two: {image: two}}',
  });
  const p = await load(root);
  assert.deepEqual(p.services.a!.environment, { X: '1' });
  const viaEnv = await load(root, { env: { COMPOSE_FILE: 'one.yaml:two.yaml' } });
  assert.deepEqual(Object.keys(viaEnv.services).sort(), ['one', 'two']);
  const viaFlag = await load(root, { files: ['two.yaml'], env: { COMPOSE_FILE: 'one.yaml' } });
  assert.deepEqual(Object.keys(viaFlag.services), ['two']);
  await rejects(load(root, { files: ['nope.yaml'] }), /open .*nope\.yaml: no such file or directory/);
});

test('project name: -p, COMPOSE_PROJECT_NAME, name:, folder; explicit names must be valid', async () => {
  const root = writeTree({ 'compose.yaml': 'name: from-file\nservices: {a: {image: a}}' });
  assert.equal((await load(root)).name, 'from-file');
  assert.equal((await load(root, { env: { COMPOSE_PROJECT_NAME: 'from_env' } })).name, 'from_env');
  assert.equal((await load(root, { projectName: 'flag1', env: { COMPOSE_PROJECT_NAME: 'from_env' } })).name, 'flag1');
  await rejects(load(root, { projectName: 'Bad Name' }), /invalid project name "Bad Name": must consist only of lowercase/);
  await rejects(load(root, { projectName: '-x' }), /invalid project name/);
  // A name from the files is normalised, not rejected; -p and COMPOSE_PROJECT_NAME are not.
  const upper = writeTree({ 'compose.yaml': 'name: My.App\nservices: {a: {image: "a:${COMPOSE_PROJECT_NAME}"}}' });
  assert.equal((await load(upper)).name, 'myapp');
  assert.equal((await load(upper)).services.a!.image, 'a:myapp');
  assert.equal((await load(upper, { projectName: 'given' })).services.a!.image, 'a:given');
  await rejects(load(upper, { env: { COMPOSE_PROJECT_NAME: 'Bad' } }), /invalid project name "Bad"/);
  const two = writeTree({ 'compose.yaml': 'name: first\nservices: {a: {image: a}}', 'compose.override.yaml': 'name: second' });
  assert.equal((await load(two)).name, 'second');
  const named = writeTree({ 'compose.yaml': 'name: ${PN}\nservices: {a: {image: a}}', '.env': 'PN=dotenv-name' });
  assert.equal((await load(named)).name, 'dotenv-name');
  const viaDotenv = writeTree({ 'compose.yaml': 'services: {a: {image: a}}', '.env': 'COMPOSE_PROJECT_NAME=fromdotenv' });
  assert.equal((await load(viaDotenv)).name, 'fromdotenv');
});

test('environment: .env under the process env; --env-file replaces .env, later files win', async () => {
  const root = writeTree({
    'compose.yaml': 'version: "3.9"\nservices: {web: {image: "img:${TAG}", environment: {A: "${A:-none}", B: "$$literal"}}}',
    '.env': 'TAG=dotenv\nA=a-dotenv',
    'one.env': 'TAG=one\nA=a-one',
    'two.env': 'TAG=two',
  });
  let p = await load(root);
  assert.equal(p.services.web!.image, 'img:dotenv');
  assert.deepEqual(p.services.web!.environment, { A: 'a-dotenv', B: '$literal' });
  p = await load(root, { env: { TAG: 'shell' } });
  assert.equal(p.services.web!.image, 'img:shell');
  assert.equal(p.environment.TAG, 'shell');
  p = await load(root, { envFiles: ['one.env', 'two.env'] });
  assert.equal(p.services.web!.image, 'img:two');
  assert.equal(p.services.web!.environment!.A, 'a-one');
  await rejects(load(root, { envFiles: ['missing.env'] }), /env file .*missing\.env not found/);
  p = await load(root, { env: { COMPOSE_ENV_FILES: 'two.env,one.env' } });
  assert.equal(p.services.web!.image, 'img:one');
});

test('errors: undefined required variable names file and path', async () => {
  const root = writeTree({ 'compose.yaml': 'services: {web: {image: "${IMAGE:?set IMAGE}"}}' });
  await rejects(
    load(root),
    /error while interpolating services\.web\.image in .*compose\.yaml: required variable IMAGE is missing a value: set IMAGE/,
    'services.web.image',
  );
});

test('errors: schema violations name the file, the path and the problem', async () => {
  const cases: [string, RegExp, string][] = [
    [
      'services: {web: {image: a, ports: [true]}}',
      /validating .*compose\.yaml: services\.web\.ports\.0 must be a number, string or mapping/,
      'services.web.ports.0',
    ],
    ['services: {web: {image: a, bogus: 1}}', /services\.web additional properties 'bogus' not allowed/, 'services.web'],
    ['foo: 1\nservices: {}', /validating .*: additional properties 'foo' not allowed/, ''],
    [
      'services: {web: {image: a, depends_on: {db: {condition: maybe}}}}',
      /services\.web\.depends_on\.db\.condition must be one of/,
      'services.web.depends_on.db.condition',
    ],
    ['services: {web: {image: [a]}}', /services\.web\.image must be a string/, 'services.web.image'],
  ];
  for (const [text, re, path] of cases) await rejects(load(writeTree({ 'compose.yaml': text })), re, path);
});

test('normalisation: every short syntax in its long form, paths absolute', async () => {
  const root = writeTree({
    'compose.yaml': `
services:
  web:
    image: nginx
    command: nginx -g "daemon off;"
    entrypoint: ["/docker-entrypoint.sh"]
    ports: ["8000-8001:80-81", "127.0.0.1:53:53/udp", 9000, {target: "443", published: 8443}, "8000:80"]
    expose: [3000, "4000-4001"]
    volumes: ["./data:/data:ro", "named:/named", "/anon", "~/cfg:/cfg", {type: bind, source: ../up, target: /up}, {type: tmpfs, target: /t, tmpfs: {size: 1m}}]
    environment: [A=1, FROM_SHELL, UNSET_ONE]
    labels: [x=1, y]
    depends_on: [db]
    networks: [front]
    healthcheck: {test: "curl -f http://localhost", interval: 30s, retries: "3"}
    extra_hosts: ["somehost:162.242.195.82"]
    ulimits: {nofile: {soft: 20000, hard: "40000"}, nproc: 65535}
    devices: ["/dev/fuse", "/dev/sda:/dev/xvda:rw"]
    tmpfs: /run
    dns: 8.8.8.8
    sysctls: [net.core.somaxconn=1024]
    mem_limit: 1g
    shm_size: 64M
    cpus: "1.5"
    init: "true"
    stop_grace_period: 90s
    secrets: [token, {source: token, target: /etc/t, mode: 0440}]
    restart: unless-stopped
    build: .
    scale: 2
    deploy: {replicas: 2, resources: {limits: {cpus: "1.5", memory: 1g}, reservations: {memory: 128M}}}
  db:
    image: postgres
    network_mode: host
  cache:
    image: redis
    depends_on: {web: {condition: service_healthy, required: false, restart: "true"}}
    volumes_from: [db]
networks:
  front: {}
volumes:
  named: {}
secrets:
  token: {file: ./token.txt}
`,
    Dockerfile: 'FROM scratch',
    'token.txt': 't',
  });
  const p = await load(root, { env: { HOME: '/home/u', FROM_SHELL: 'shell' } });
  const web = p.services.web!;
  assert.deepEqual(web.command, ['nginx', '-g', 'daemon off;']);
  assert.deepEqual(web.entrypoint, ['/docker-entrypoint.sh']);
  assert.deepEqual(web.ports, [
    { mode: 'ingress', target: 80, published: '8000', protocol: 'tcp' },
    { mode: 'ingress', target: 81, published: '8001', protocol: 'tcp' },
    { mode: 'ingress', host_ip: '127.0.0.1', target: 53, published: '53', protocol: 'udp' },
    { mode: 'ingress', target: 9000, protocol: 'tcp' },
    { mode: 'ingress', target: 443, published: '8443', protocol: 'tcp' },
  ]);
  assert.deepEqual(web.expose, ['3000', '4000-4001']);
  assert.deepEqual(web.volumes, [
    { type: 'bind', source: join(root, 'data'), target: '/data', read_only: true, bind: { create_host_path: true } },
    { type: 'volume', source: 'named', target: '/named' },
    { type: 'volume', target: '/anon' },
    { type: 'bind', source: '/home/u/cfg', target: '/cfg', bind: { create_host_path: true } },
    { type: 'bind', source: join(root, '..', 'up'), target: '/up' },
    { type: 'tmpfs', target: '/t', tmpfs: { size: 1048576 } },
  ]);
  assert.deepEqual(web.environment, { A: '1', FROM_SHELL: 'shell', UNSET_ONE: null });
  assert.deepEqual(web.labels, { x: '1', y: '' });
  assert.deepEqual(web.depends_on, { db: { condition: 'service_started', required: true } });
  assert.deepEqual(web.networks, { front: null });
  assert.deepEqual(web.healthcheck, { test: ['CMD-SHELL', 'curl -f http://localhost'], interval: '30s', retries: 3 });
  assert.deepEqual(web.extra_hosts, ['somehost:162.242.195.82']);
  assert.deepEqual(web.ulimits, { nofile: { soft: 20000, hard: 40000 }, nproc: 65535 });
  assert.deepEqual(web.devices, [
    { source: '/dev/fuse', target: '/dev/fuse', permissions: 'rwm' },
    { source: '/dev/sda', target: '/dev/xvda', permissions: 'rw' },
  ]);
  assert.deepEqual(web.tmpfs, ['/run']);
  assert.deepEqual(web.dns, ['8.8.8.8']);
  assert.deepEqual(web.sysctls, { 'net.core.somaxconn': '1024' });
  assert.equal(web.mem_limit, 1073741824);
  assert.equal(web.shm_size, 67108864);
  assert.equal(web.cpus, 1.5);
  assert.equal(web.init, true);
  assert.equal(web.stop_grace_period, '1m30s');
  assert.deepEqual(web.secrets, [{ source: 'token' }, { source: 'token', target: '/etc/t', mode: 0o440 }]);
  assert.deepEqual(web.build, { context: root, dockerfile: 'Dockerfile' });
  assert.deepEqual(web.deploy, { replicas: 2, resources: { limits: { cpus: 1.5, memory: 1073741824 }, reservations: { memory: 134217728 } } });
  assert.equal(web.scale, 2);
  assert.equal(p.services.db!.networks, undefined);
  assert.deepEqual(p.services.cache!.depends_on, {
    web: { condition: 'service_healthy', required: false, restart: true },
    db: { condition: 'service_started', restart: false, required: true },
  });
  assert.deepEqual(p.services.cache!.networks, { default: null });
  assert.equal(p.networks.front!.name, `${p.name}_front`);
  assert.equal(p.networks.default!.name, `${p.name}_default`);
  assert.equal(p.volumes.named!.name, `${p.name}_named`);
  assert.deepEqual(p.secrets.token, { name: `${p.name}_token`, file: join(root, 'token.txt') });
});

test('normalisation: default network only when used; external and named resources', async () => {
  const root = writeTree({
    'compose.yaml': `
services:
  a: {image: a, network_mode: host, volumes: [ext:/e]}
networks:
  outside: {external: true}
  legacy: {external: {name: real-legacy}}
  custom: {name: my-net, driver: bridge, ipam: {config: [{subnet: 10.5.0.0/16, gateway: 10.5.0.1}]}, labels: [a=b]}
volumes:
  ext: {external: true, name: real-ext}
`,
  });
  const p = await load(root);
  assert.equal(p.networks.default, undefined);
  assert.deepEqual(p.networks.outside, { name: 'outside', external: true });
  assert.equal(p.networks.legacy!.name, 'real-legacy');
  assert.deepEqual(p.networks.custom, {
    name: 'my-net',
    driver: 'bridge',
    ipam: { config: [{ subnet: '10.5.0.0/16', gateway: '10.5.0.1' }] },
    labels: { a: 'b' },
  });
  assert.deepEqual(p.volumes.ext, { name: 'real-ext', external: true });
});

test('env_file: short and long forms, required: false, values under environment', async () => {
  const root = writeTree({
    'compose.yaml': `
services:
  web:
    image: a
    env_file: [common.env, {path: ./optional.env, required: false}, {path: local.env, required: true}]
    environment: {OVERRIDDEN: from-compose}
  other:
    image: b
    env_file: missing.env
`,
    'common.env': 'COMMON=1\nOVERRIDDEN=from-file\nQUOTED="a b"',
    'local.env': 'LOCAL=${TAG:-none}',
  });
  await rejects(load(root), /env file .*missing\.env not found/, 'services.other.env_file.0');
  const ok = writeTree({
    'compose.yaml': 'services: {web: {image: a, env_file: [common.env, {path: ./optional.env, required: false}], environment: {OVERRIDDEN: from-compose}}}',
    'common.env': 'COMMON=1\nOVERRIDDEN=from-file\nQUOTED="a b"\nREF=${TAG}',
    '.env': 'TAG=t1',
  });
  const web = (await load(ok)).services.web!;
  assert.deepEqual(web.environment, { COMMON: '1', OVERRIDDEN: 'from-compose', QUOTED: 'a b', REF: 't1' });
  assert.deepEqual(web.env_file, [
    { path: join(ok, 'common.env'), required: true },
    { path: join(ok, 'optional.env'), required: false },
  ]);
});

test('normalisation: implicit dependencies, bare build args, pull_policy, volume targets, empty networks', async () => {
  const root = writeTree({
    'compose.yaml': `
services:
  a: {image: a, networks: {}, pull_policy: if_not_present, volumes: ["vol:/data/", "/anon//x/../y"]}
  b: {image: b, network_mode: "service:a", links: ["a:alias"], ipc: "service:a"}
  c: {build: {context: ., dockerfile_inline: "FROM x", args: [SET_ARG, UNSET_ARG, GIVEN=1]}}
volumes: {vol: {}}
`,
  });
  const p = await load(root, { env: { SET_ARG: 's' } });
  assert.deepEqual(p.services.a!.networks, { default: null });
  assert.equal(p.services.a!.pull_policy, 'missing');
  assert.deepEqual(
    p.services.a!.volumes!.map((v) => v.target),
    ['/data', '/anon/y'],
  );
  assert.deepEqual(p.services.b!.depends_on, { a: { condition: 'service_started', restart: true, required: true } });
  assert.equal(p.services.b!.networks, undefined);
  assert.deepEqual(p.services.c!.build!.args, { SET_ARG: 's', GIVEN: '1' });
});

test('environment: which .env compose reads, and where the search starts', async () => {
  const root = writeTree({
    'proj/compose.yaml': 'services: {a: {image: "img:${TAG:-none}"}}',
    'proj/.env': 'TAG=proj',
    'proj/sub/.env': 'TAG=sub',
    'other/.keep': '',
  });
  const image = async (cwd: string, opts: Partial<LoadOptions> = {}) => (await load(cwd, opts)).services.a!.image;
  // Found up the tree: .env comes from the working directory, as in compose.
  assert.equal(await image(join(root, 'proj/sub')), 'img:sub');
  assert.equal(await image(join(root, 'proj')), 'img:proj');
  // -f: the first file's folder; --project-directory: that folder, and the search starts there.
  assert.equal(await image(join(root, 'other'), { files: ['../proj/compose.yaml'] }), 'img:proj');
  assert.equal(await image(join(root, 'other'), { projectDirectory: '../proj/sub' }), 'img:sub');
  assert.equal(await image(join(root, 'proj'), { env: { COMPOSE_DISABLE_ENV_FILE: '1' } }), 'img:none');
});
