import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileObjectContent } from './file-objects.js';
import { load, rejects, writeTree } from './test-tree.js';

const FILE = `
services:
  web:
    image: a
    secrets: [token, {source: api_key, target: key, uid: "100", mode: 0400}]
    configs: [{source: nginx, target: /etc/nginx/nginx.conf}, motd]
    build: {context: ., dockerfile_inline: "FROM scratch", secrets: [token]}
secrets:
  token: {file: ./secrets/token.txt}
  api_key: {environment: API_KEY}
  unused: {file: ./nope.txt}
  outside: {external: true}
configs:
  nginx: {file: ./nginx.conf}
  motd: {content: "hello \${WHO}"}
`;

test('secrets and configs: sources resolved, long forms, content readable', async () => {
  const root = writeTree({ 'compose.yaml': FILE, 'secrets/token.txt': 's3cret', 'nginx.conf': 'events {}' });
  const p = await load(root, { env: { API_KEY: 'k1', WHO: 'world' }, projectName: 'demo' });
  assert.deepEqual(p.secrets.token, { name: 'demo_token', file: join(root, 'secrets/token.txt') });
  assert.deepEqual(p.secrets.api_key, { name: 'demo_api_key', environment: 'API_KEY' });
  assert.deepEqual(p.secrets.outside, { name: 'outside', external: true });
  assert.deepEqual(p.configs.motd, { name: 'demo_motd', content: 'hello world' });
  const web = p.services.web!;
  assert.deepEqual(web.secrets, [{ source: 'token' }, { source: 'api_key', target: 'key', uid: '100', mode: 0o400 }]);
  const read = (f: string) => readFileSync(f);
  assert.equal(fileObjectContent(p, p.secrets.token!, read).toString(), 's3cret');
  assert.equal(fileObjectContent(p, p.secrets.api_key!, read).toString(), 'k1');
  assert.equal(fileObjectContent(p, p.configs.motd!, read).toString(), 'hello world');
});

test('secrets and configs: missing sources of used ones are errors, unused ones are not checked', async () => {
  const root = writeTree({ 'compose.yaml': FILE, 'nginx.conf': 'events {}' });
  await rejects(load(root, { env: { API_KEY: 'k' } }), /secret "token": file .*token\.txt not found/, 'secrets.token');
  const withToken = writeTree({ 'compose.yaml': FILE, 'secrets/token.txt': 'x', 'nginx.conf': '' });
  await rejects(load(withToken), /secret "api_key": environment variable API_KEY is not set/, 'secrets.api_key');
  await rejects(
    load(writeTree({ 'compose.yaml': 'services: {a: {image: a}}\nsecrets: {s: {file: a, environment: B}}' })),
    /secrets\.s must set only one of file, environment or content/,
    'secrets.s',
  );
  await rejects(
    load(writeTree({ 'compose.yaml': 'services: {a: {image: a}}\nconfigs: {c: {}}' })),
    /configs\.c must set one of file, environment or content, or external/,
    'configs.c',
  );
});

test('develop.watch: paths absolute, ignore lists, actions', async () => {
  const root = writeTree({
    'compose.yaml': `
services:
  web:
    image: a
    develop:
      watch:
        - {path: ./src, action: sync, target: /app/src, ignore: node_modules/}
        - {path: package.json, action: rebuild}
        - {path: /abs/conf, action: sync+restart, target: /etc/app, initial_sync: true}
        - {path: ./hooks, action: sync+exec, target: /hooks, exec: {command: "kill -HUP 1", user: root}}
`,
  });
  const watch = (await load(root)).services.web!.develop!.watch!;
  assert.deepEqual(watch, [
    { path: join(root, 'src'), action: 'sync', target: '/app/src', ignore: ['node_modules/'] },
    { path: join(root, 'package.json'), action: 'rebuild' },
    { path: '/abs/conf', action: 'sync+restart', target: '/etc/app', initial_sync: true },
    { path: join(root, 'hooks'), action: 'sync+exec', target: '/hooks', exec: { command: ['kill', '-HUP', '1'], user: 'root' } },
  ]);
  await rejects(
    load(writeTree({ 'compose.yaml': 'services: {a: {image: a, develop: {watch: [{path: ., action: copy}]}}}' })),
    /services\.a\.develop\.watch\.0\.action must be one of/,
  );
  await rejects(
    load(writeTree({ 'compose.yaml': 'services: {a: {image: a, develop: {watch: [{action: sync}]}}}' })),
    /services\.a\.develop\.watch\.0 missing property 'path'/,
  );
});

test('env_file format raw: values taken literally', async () => {
  const root = writeTree({
    'compose.yaml':
      'services: {a: {image: a, env_file: [{path: raw.env, format: raw}]}, b: {image: b, env_file: [{path: raw.env, format: xml}], profiles: [x]}}',
    'raw.env': '# c\nQ="quoted"\nD=$HOME # not a comment\n',
  });
  assert.deepEqual((await load(root)).services.a!.environment, { Q: '"quoted"', D: '$HOME # not a comment' });
  await rejects(load(root, { profiles: ['x'] }), /unsupported env_file format "xml"/, 'services.b.env_file.0');
});
