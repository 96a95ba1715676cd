import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceConfigHash } from './config-hash.js';
import type { Project, ServiceConfig } from './model.js';

function projectWith(web: ServiceConfig): Project {
  return {
    name: 'p',
    workingDir: '/p',
    configFiles: [],
    services: { web },
    disabledServices: {},
    networks: {},
    volumes: {},
    secrets: {},
    configs: {},
    profiles: [],
    environment: {},
  };
}

test('config hash: stable over key order, blind to scale/replicas/build/depends_on/profiles', () => {
  const base = serviceConfigHash(projectWith({ image: 'nginx', environment: { A: '1', B: '2' } }), 'web');
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(serviceConfigHash(projectWith({ environment: { B: '2', A: '1' }, image: 'nginx' }), 'web'), base);
  const same: ServiceConfig = {
    image: 'nginx',
    environment: { A: '1', B: '2' },
    scale: 3,
    pull_policy: 'always',
    profiles: ['x'],
    depends_on: { db: { condition: 'service_started', required: true } },
    build: { context: '/p', dockerfile: 'Dockerfile' },
  };
  assert.equal(serviceConfigHash(projectWith(same), 'web'), base);
  const withDeploy = (replicas: number) => projectWith({ image: 'nginx', deploy: { replicas, resources: {} } });
  assert.equal(serviceConfigHash(withDeploy(1), 'web'), serviceConfigHash(withDeploy(5), 'web'));
  assert.notEqual(serviceConfigHash(projectWith({ image: 'nginx', environment: { A: '2', B: '2' } }), 'web'), base);
  assert.throws(() => serviceConfigHash(projectWith({}), 'nope'));
});
