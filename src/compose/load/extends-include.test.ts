import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { load, rejects, writeTree } from './test-tree.js';

test('extends: same file, chained, merged by the merge rules', async () => {
  const root = writeTree({
    'compose.yaml': `
services:
  base:
    image: base
    environment: {A: "1", B: "1"}
    command: [base]
    ports: ["80:80"]
  mid:
    extends: base
    environment: {B: "2"}
  web:
    extends: {service: mid}
    command: [web]
    ports: ["81:81"]
    environment: {C: "3"}
`,
  });
  const web = (await load(root)).services.web!;
  assert.equal(web.image, 'base');
  assert.deepEqual(web.environment, { A: '1', B: '2', C: '3' });
  assert.deepEqual(web.command, ['web']);
  assert.deepEqual(
    web.ports!.map((p) => p.target),
    [80, 81],
  );
  assert.equal(web.extends, undefined);
});

test('extends: another file, its relative paths resolved against its own folder', async () => {
  const root = writeTree({
    'app/compose.yaml': `
services:
  web:
    extends: {file: ../common/base.yaml, service: webbase}
    volumes: ["./local:/local"]
`,
    'common/base.yaml': `
services:
  webbase:
    extends: {file: deeper/root.yaml, service: root}
    build: ./ctx
    env_file: base.env
    volumes: ["./shared:/shared", "~/home:/home"]
`,
    'common/deeper/root.yaml': 'services: {root: {image: root, labels: {from: root}, volumes: [{type: bind, source: ./r, target: /r}]}}',
    'common/base.env': 'FROM_BASE=yes',
    'common/ctx/Dockerfile': 'FROM scratch',
  });
  const p = await load(join(root, 'app'));
  const web = p.services.web!;
  assert.equal(web.image, 'root');
  assert.deepEqual(web.labels, { from: 'root' });
  assert.equal(web.build!.context, join(root, 'common/ctx'));
  assert.deepEqual(web.environment, { FROM_BASE: 'yes' });
  assert.deepEqual(
    web.volumes!.map((v) => [v.source, v.target]),
    [
      [join(root, 'common/deeper/r'), '/r'],
      [join(root, 'common/shared'), '/shared'],
      ['/home/u/home', '/home'],
      [join(root, 'app/local'), '/local'],
    ],
  );
});

test('extends: unknown service, unknown file, cycles', async () => {
  await rejects(
    load(writeTree({ 'compose.yaml': 'services: {web: {extends: nope}}' })),
    /cannot extend service "nope" in .*compose\.yaml: service not found/,
    'services.web.extends',
  );
  await rejects(
    load(writeTree({ 'compose.yaml': 'services: {web: {extends: {file: other.yaml, service: x}}}', 'other.yaml': 'services: {y: {image: y}}' })),
    /cannot extend service "x" in .*other\.yaml: service not found/,
  );
  await rejects(
    load(writeTree({ 'compose.yaml': 'services: {web: {extends: {file: gone.yaml, service: x}}}' })),
    /open .*gone\.yaml: no such file or directory/,
  );
  await rejects(load(writeTree({ 'compose.yaml': 'services: {a: {extends: b, image: a}, b: {extends: a}}' })), /circular reference with extends: a -> b -> a/);
});

test('include: sub-projects with their own directory and env files', async () => {
  const root = writeTree({
    'compose.yaml': `
include:
  - sub/compose.yaml
  - path: [other/one.yaml]
    project_directory: other
    env_file: other/custom.env
services:
  web: {image: web, depends_on: [db, tool]}
`,
    'sub/compose.yaml': 'services: {db: {image: "db:${DB_TAG}", volumes: ["./data:/data", "dbdata:/var"]}}\nvolumes: {dbdata: {}}',
    'sub/.env': 'DB_TAG=from-sub-env',
    'other/one.yaml': 'services: {tool: {image: "tool:${TOOL_TAG}", env_file: tool.env}}',
    'other/custom.env': 'TOOL_TAG=custom',
    'other/tool.env': 'X=1',
  });
  const p = await load(root);
  assert.deepEqual(Object.keys(p.services).sort(), ['db', 'tool', 'web']);
  assert.equal(p.services.db!.image, 'db:from-sub-env');
  assert.equal(p.services.db!.volumes![0]!.source, join(root, 'sub/data'));
  assert.equal(p.volumes.dbdata!.name, `${p.name}_dbdata`);
  assert.equal(p.services.tool!.image, 'tool:custom');
  assert.deepEqual(p.services.tool!.environment, { X: '1' });
  // The including project's environment wins over the included env files.
  assert.equal((await load(root, { env: { DB_TAG: 'shell' } })).services.db!.image, 'db:shell');
});

test('include: the including file refines imported services; bare variables resolve in the included project', async () => {
  const root = writeTree({
    'compose.yaml': `
include:
  - path: module/compose.yaml
    env_file: custom.env
services:
  a: {image: alpine, environment: [VAR_NAME]}
  b: {environment: !override [ZOT=QIX]}
`,
    'custom.env': 'VAR_NAME=value',
    'module/compose.yaml': 'services: {b: {image: busybox, environment: [VAR_NAME, X=1]}, c: {image: alpine, environment: {VAR_NAME: null}}}',
  });
  const p = await load(root);
  assert.deepEqual(p.services.a!.environment, { VAR_NAME: null });
  assert.deepEqual(p.services.b!.environment, { ZOT: 'QIX' });
  assert.equal(p.services.b!.image, 'busybox');
  assert.deepEqual(p.services.c!.environment, { VAR_NAME: 'value' });
});

test('include: conflicts between includes and cycles are errors', async () => {
  await rejects(
    load(
      writeTree({
        'compose.yaml': 'include: [one.yaml, two.yaml]\nservices: {x: {image: x}}',
        'one.yaml': 'services: {db: {image: a}}',
        'two.yaml': 'services: {db: {image: b}}',
      }),
    ),
    /imported compose file .*two\.yaml defines conflicting service db/,
    'services.db',
  );
  // The same resource imported twice, identically, is fine.
  await load(writeTree({ 'compose.yaml': 'include: [one.yaml, one.yaml]\nservices: {x: {image: x}}', 'one.yaml': 'services: {db: {image: a}}' }));
  await rejects(
    load(writeTree({ 'compose.yaml': 'include: [a.yaml]\nservices: {x: {image: x}}', 'a.yaml': 'include: [compose.yaml]\nservices: {y: {image: y}}' })),
    /include cycle detected/,
  );
});
