import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  contextEndpoint,
  contextTlsFiles,
  getContext,
  listContexts,
  metaDir,
  saveContext,
  setCurrentContext,
  tlsDir,
  validateContextName,
} from './docker-contexts.js';

test('contexts are stored where the docker CLI keeps them: meta/<sha256 of name>/meta.json, tls/<sha256>/docker/*.pem', async () => {
  const env = { DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'berth-ctx-')) };
  const meta = { Name: 'foo', Metadata: { Description: 'd' }, Endpoints: { docker: { Host: 'tcp://127.0.0.1:2376', SkipTLSVerify: false } } };
  await saveContext(env, meta, { 'ca.pem': Buffer.from('CA'), 'key.pem': Buffer.from('KEY'), 'cert.pem': Buffer.from('CERT') });
  const id = '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae'; // sha256("foo"), as docker names it
  assert.equal(metaDir(env, 'foo'), join(env.DOCKER_CONFIG, 'contexts', 'meta', id));
  assert.equal(readFileSync(join(metaDir(env, 'foo'), 'meta.json'), 'utf8'), JSON.stringify(meta));
  assert.equal(statSync(join(tlsDir(env, 'foo'), 'docker', 'key.pem')).mode & 0o777, 0o600);
  assert.deepEqual(contextTlsFiles(env, 'foo'), ['ca.pem', 'cert.pem', 'key.pem']);
  assert.deepEqual(getContext(env, 'foo'), meta);
  assert.deepEqual(
    listContexts(env).map((c) => c.Name),
    ['foo'],
  );
  assert.throws(() => getContext(env, 'nope'), /context "nope": context not found: open .*meta\.json: no such file or directory/);
});

test("a context's TLS files and skip-tls-verify become the client's TLS options; plain endpoints have none", async () => {
  const env = { DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'berth-ctx-')) };
  const ep = (Host: string, SkipTLSVerify: boolean) => ({ docker: { Host, SkipTLSVerify } });
  await saveContext(env, { Name: 'plain', Metadata: {}, Endpoints: ep('unix:///s.sock', false) });
  await saveContext(env, { Name: 'skip', Metadata: {}, Endpoints: ep('tcp://h:2376', true) });
  await saveContext(
    env,
    { Name: 'mtls', Metadata: {}, Endpoints: ep('tcp://h:2376', false) },
    { 'ca.pem': Buffer.from('CA'), 'cert.pem': Buffer.from('C'), 'key.pem': Buffer.from('K') },
  );
  assert.deepEqual(contextEndpoint(env, getContext(env, 'plain')), { host: 'unix:///s.sock' });
  assert.deepEqual(contextEndpoint(env, getContext(env, 'skip')), { host: 'tcp://h:2376', tls: { verify: false } });
  const dir = join(tlsDir(env, 'mtls'), 'docker');
  assert.deepEqual(contextEndpoint(env, getContext(env, 'mtls')), {
    host: 'tcp://h:2376',
    tls: { verify: true, caFile: join(dir, 'ca.pem'), certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') },
  });
});

test('context use keeps the rest of config.json and drops currentContext for the default; names are checked as docker does', async () => {
  const env = { DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'berth-ctx-')) };
  await setCurrentContext(env, 'foo');
  const path = join(env.DOCKER_CONFIG, 'config.json');
  assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), { auths: {}, currentContext: 'foo' });
  await setCurrentContext(env, 'default');
  assert.equal(readFileSync(path, 'utf8'), '{\n\t"auths": {}\n}');
  assert.throws(() => validateContextName('default'), /"default" is a reserved context name/);
  assert.throws(() => validateContextName('a b'), /names are validated against regexp/);
  assert.throws(() => validateContextName('x'), /invalid/, 'docker wants two characters at least');
  validateContextName('my-ctx.1');
});
