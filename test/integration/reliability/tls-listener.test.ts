// Who gets in over TCP: -H tcp://127.0.0.1:PORT with --tlsverify serves mutual TLS (the docker CLI
// and the berth CLI with a client certificate from the CA get in, including a hijacked `run`;
// a client without a certificate, with one from another CA, or speaking plain HTTP is refused at
// the handshake), and --tls alone serves TLS without asking for a client certificate, as dockerd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon, run, BERTH, expectOk, type RunResult } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { makePki, type TestPki } from '../../support/tls-certs.js';

const skip = requiresRoot('berthd with TCP listeners');
let d: TestDaemon;
let pki: TestPki;
let other: TestPki;
let port: number;
const daemons: TestDaemon[] = [];

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  daemons.push(d);
  pki = await makePki(d.dir, 'good');
  other = await makePki(d.dir, 'other');
  port = 20000 + Math.floor(Math.random() * 20000);
  await d.start(['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', pki.ca, '--tlscert', pki.serverCert, '--tlskey', pki.serverKey]);
  await d.importBusybox();
});
after(async () => {
  for (const x of daemons) await x.stop();
});

const tcp = () => `tcp://127.0.0.1:${port}`;
/** Environment without DOCKER_HOST/DOCKER_TLS_VERIFY from the caller, and a docker config dir of the test's. */
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const { DOCKER_HOST: _h, DOCKER_TLS_VERIFY: _v, DOCKER_CERT_PATH: _c, ...rest } = process.env;
  return { ...rest, DOCKER_CONFIG: join(d.dir, 'docker-config'), ...extra };
};
const docker = (args: string[], extra?: NodeJS.ProcessEnv): Promise<RunResult> => run('docker', args, { env: env(extra), timeoutMs: 60_000 });
const berth = (args: string[], extra?: NodeJS.ProcessEnv): Promise<RunResult> =>
  run(process.execPath, [BERTH, ...args], { env: env(extra), timeoutMs: 60_000 });
const certFlags = (p: TestPki, ca = p.ca) => ['--tlsverify', '--tlscacert', ca, '--tlscert', p.clientCert, '--tlskey', p.clientKey];

test('--tlsverify: the docker CLI with a client certificate from the CA gets in, ping, inspect and a hijacked run', { skip }, async () => {
  const v = expectOk(await docker([...certFlags(pki), '-H', tcp(), 'version', '--format', '{{.Server.Version}}']));
  assert.equal(v.stdout.trim(), '0.1.0');
  const r = expectOk(await docker([...certFlags(pki), '-H', tcp(), 'run', '--rm', 'busybox', 'echo', 'over-mtls']));
  assert.equal(r.stdout.trim(), 'over-mtls');
  // DOCKER_TLS_VERIFY + DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem), as docker-machine sets them up
  const certDir = join(d.dir, 'certs');
  await mkdir(certDir);
  await copyFile(pki.ca, join(certDir, 'ca.pem'));
  await copyFile(pki.clientCert, join(certDir, 'cert.pem'));
  await copyFile(pki.clientKey, join(certDir, 'key.pem'));
  const e = expectOk(await docker(['images', '--format', '{{.Repository}}'], { DOCKER_HOST: tcp(), DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir }));
  assert.match(e.stdout, /busybox/);
  const b = expectOk(await berth(['images', '--format', '{{.Repository}}'], { DOCKER_HOST: tcp(), DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certDir }));
  assert.match(b.stdout, /busybox/);
});

test('--tlsverify: the berth CLI with --tlsverify and its certificates gets in, attach and exec included', { skip }, async () => {
  const r = expectOk(await berth([...certFlags(pki), '-H', tcp(), 'run', '--rm', 'busybox', 'echo', 'berth-over-mtls']));
  assert.equal(r.stdout.trim(), 'berth-over-mtls');
  const name = `tls-exec-${process.pid}`;
  expectOk(await berth([...certFlags(pki), '-H', tcp(), 'run', '-d', '--name', name, 'busybox', 'sleep', '300']));
  const x = expectOk(await berth([...certFlags(pki), '-H', tcp(), 'exec', name, 'sh', '-c', 'echo exec-$((6*7))']));
  assert.equal(x.stdout.trim(), 'exec-42');
  expectOk(await berth([...certFlags(pki), '-H', tcp(), 'rm', '-f', name]));
});

test('--tlsverify: no client certificate, one from another CA, or plain HTTP are refused', { skip }, async () => {
  // --tls without a client certificate (docker 28 reads a CA file even then; it has no cert.pem)
  const noCert = await docker(['--tls', '--tlscacert', pki.ca, '-H', tcp(), 'version', '--format', '{{.Server.Version}}']);
  assert.notEqual(noCert.code, 0);
  assert.doesNotMatch(noCert.stdout, /0\.1\.0/);
  assert.match(noCert.stderr, /certificate|tls|handshake|EOF|reset/i);
  const noCertRun = await docker(['--tls', '--tlscacert', pki.ca, '-H', tcp(), 'run', '--rm', 'busybox', 'echo', 'should-not-run']);
  assert.notEqual(noCertRun.code, 0);
  assert.doesNotMatch(noCertRun.stdout, /should-not-run/);
  const wrongCa = await docker([...certFlags(other, pki.ca), '-H', tcp(), 'version', '--format', '{{.Server.Version}}']);
  assert.notEqual(wrongCa.code, 0);
  assert.doesNotMatch(wrongCa.stdout, /0\.1\.0/);
  const berthNoCert = await berth(['--tls', '-H', tcp(), 'ps']);
  assert.notEqual(berthNoCert.code, 0);
  const berthWrongCa = await berth([...certFlags(other, pki.ca), '-H', tcp(), 'ps']);
  assert.notEqual(berthWrongCa.code, 0);
  // The client checks the daemon too: a CA that did not sign the server's certificate is refused.
  const distrust = await berth([...certFlags(pki, other.ca), '-H', tcp(), 'ps']);
  assert.notEqual(distrust.code, 0);
  assert.match(distrust.stderr, /certificate/i);
  const plain = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', `http://127.0.0.1:${port}/_ping`]);
  assert.notEqual(plain.stdout, '200');
  // curl with the right client certificate is let in: the refusals above are about the certificate
  const ok = await run('curl', [
    '-s',
    '--max-time',
    '10',
    '--cacert',
    pki.ca,
    '--cert',
    pki.clientCert,
    '--key',
    pki.clientKey,
    `https://127.0.0.1:${port}/_ping`,
  ]);
  assert.equal(ok.stdout, 'OK');
  const curlNoCert = await run('curl', [
    '-s',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--max-time',
    '10',
    '--cacert',
    pki.ca,
    `https://127.0.0.1:${port}/_ping`,
  ]);
  assert.notEqual(curlNoCert.stdout, '200');
});

test('--tls without --tlsverify: TLS, no client certificate asked; the unix socket stays plain', { skip }, async () => {
  const e = await TestDaemon.create();
  daemons.push(e);
  const p2 = port + 1;
  await e.start(['-H', `tcp://127.0.0.1:${p2}`, '--tls', '--tlscert', pki.serverCert, '--tlskey', pki.serverKey]);
  const v = expectOk(await docker(['--tls', '--tlscacert', pki.ca, '-H', `tcp://127.0.0.1:${p2}`, 'version', '--format', '{{.Server.Version}}']));
  assert.equal(v.stdout.trim(), '0.1.0');
  const b = expectOk(await berth(['--tlsverify', '--tlscacert', pki.ca, '-H', `tcp://127.0.0.1:${p2}`, 'version', '--format', '{{.Server.Version}}']));
  assert.equal(b.stdout.trim(), '0.1.0');
  const plain = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', `http://127.0.0.1:${p2}/_ping`]);
  assert.notEqual(plain.stdout, '200');
  assert.equal(await e.ping(), true);
});

test('--tlsverify with a certificate file that does not exist is a start-up error', { skip }, async () => {
  const e = await TestDaemon.create();
  daemons.push(e);
  await assert.rejects(
    e.start([
      '-H',
      `tcp://127.0.0.1:${port + 2}`,
      '--tlsverify',
      '--tlscacert',
      join(e.dir, 'nope.pem'),
      '--tlscert',
      pki.serverCert,
      '--tlskey',
      pki.serverKey,
    ]),
    /could not read CA certificate .*nope\.pem/,
  );
});
