import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { loadProject } from './load/load-project.js';
import { writeTree } from './load/test-tree.js';
import { configNamesOf, configToJson, configToYaml, imageNamesOf, networkNamesOf, profileNamesOf, secretNamesOf, volumeNamesOf } from './config-output.js';
import { serviceConfigHash } from './config-hash.js';

const FILE = `
x-common: &common {restart: always}
services:
  web: {<<: *common, image: nginx, ports: ["80:80"], volumes: [data:/data], environment: {Z: "1", A: "2"}}
  job: {build: {context: ., dockerfile_inline: "FROM scratch"}, profiles: [batch]}
volumes: {data: {}}
secrets: {s: {environment: HOME}}
configs: {c: {content: hello}}
`;

test('config: canonical document with sorted keys, enabled services only', async () => {
  const root = writeTree({ 'compose.yaml': FILE });
  const p = await loadProject({ env: { HOME: '/h' }, cwd: root, projectName: 'demo' });
  const json = configToJson(p);
  const doc = JSON.parse(json);
  assert.deepEqual(Object.keys(doc), ['configs', 'name', 'networks', 'secrets', 'services', 'volumes', 'x-common']);
  assert.deepEqual(Object.keys(doc.services), ['web']);
  assert.deepEqual(Object.keys(doc.services.web.environment), ['A', 'Z']);
  assert.equal(doc.services.web.restart, 'always');
  assert.deepEqual(parse(configToYaml(p)), doc);
  assert.deepEqual(volumeNamesOf(p), ['data']);
  assert.deepEqual(networkNamesOf(p), ['default']);
  assert.deepEqual(secretNamesOf(p), ['s']);
  assert.deepEqual(configNamesOf(p), ['c']);
  assert.deepEqual(profileNamesOf(p), ['batch']);
  assert.deepEqual(imageNamesOf(p), ['nginx']);
  assert.deepEqual(imageNamesOf(await loadProject({ env: {}, cwd: root, projectName: 'demo', profiles: ['batch'] })), ['demo-job', 'nginx']);
});

test('config hash: same for the same config loaded twice, different when a field changes', async () => {
  const a = await loadProject({ env: {}, cwd: writeTree({ 'compose.yaml': FILE }), projectName: 'demo' });
  const b = await loadProject({ env: {}, cwd: writeTree({ 'compose.yaml': FILE.replace('Z: "1"', 'Z: "2"') }), projectName: 'demo' });
  const c = await loadProject({ env: {}, cwd: writeTree({ 'compose.yaml': FILE.replace('image: nginx,', 'image: nginx, scale: 3,') }), projectName: 'demo' });
  assert.notEqual(serviceConfigHash(a, 'web'), serviceConfigHash(b, 'web'));
  assert.equal(serviceConfigHash(a, 'web'), serviceConfigHash(c, 'web'));
});
