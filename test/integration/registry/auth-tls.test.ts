// Auth and TLS end to end, against the registry as its own process: HTTPS with a certificate
// for 127.0.0.1, Docker's token flow driven by skopeo with credentials (alice pushes; bob, who
// may only pull, is denied a push but pulls), Basic auth with a wrong password, and no
// password or token ever in the server's log, even with --debug.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BerthRegistry } from './berth-registry.js';
import { makeArchive, skopeo, type ImageArchive } from './image-archive.js';

const execFileP = promisify(execFile);
const skip =
  existsSync('/usr/bin/skopeo') && existsSync('/usr/bin/openssl') && existsSync('/usr/bin/htpasswd')
    ? false
    : 'needs skopeo, openssl and htpasswd (apache2-utils)';

const ALICE = 'alice-Secret-7731';
const BOB = 'bob-Secret-4410';
let work: string;
let ca: Buffer;
let img: ImageArchive;
let htpasswd: string;
let access: string;

function https(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  if (skip) return;
  work = await mkdtemp(join(tmpdir(), `berth-regauth-${process.pid}-`));
  await execFileP('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    join(work, 'tls.key'),
    '-out',
    join(work, 'tls.crt'),
  ]);
  ca = await readFile(join(work, 'tls.crt'));
  await execFileP('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', join(work, 'token.key')]);
  htpasswd = join(work, 'htpasswd');
  const a = (await execFileP('htpasswd', ['-Bbn', 'alice', ALICE])).stdout.trim();
  const b = (await execFileP('htpasswd', ['-Bbn', 'bob', BOB])).stdout.trim();
  await writeFile(htpasswd, `${a}\n${b}\n`);
  access = join(work, 'access.json');
  await writeFile(
    access,
    JSON.stringify({
      rules: [
        { account: 'alice', repositories: '*', actions: ['*'] },
        { account: 'bob', repositories: '*', actions: ['pull'] },
      ],
    }),
  );
  img = await makeArchive(work, 1024 * 1024);
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('TLS + token flow: skopeo pushes as alice, bob may pull but not push, logs hold no secrets', { skip }, async (t) => {
  const reg = await BerthRegistry.start({
    args: [
      '--tls-cert',
      join(work, 'tls.crt'),
      '--tls-key',
      join(work, 'tls.key'),
      '--htpasswd',
      htpasswd,
      '--access',
      access,
      '--token-key',
      join(work, 'token.key'),
      '--debug',
    ],
  });
  t.after(() => reg.stop());
  assert.equal(reg.scheme, 'https');
  const probe = await https(`${reg.url}/v2/`);
  assert.equal(probe.status, 401);
  assert.equal(probe.headers['www-authenticate'], `Bearer realm="https://${reg.host}/token",service="berth-registry"`);

  await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', `alice:${ALICE}`, `docker-archive:${img.path}`, `docker://${reg.host}/team/app:v1`);
  const inspect = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--creds', `bob:${BOB}`, `docker://${reg.host}/team/app:v1`)) as {
    Layers: string[];
  };
  assert.equal(inspect.Layers.length, 1);
  await skopeo('copy', '--src-tls-verify=false', '--src-creds', `bob:${BOB}`, `docker://${reg.host}/team/app:v1`, `dir:${join(work, 'bob-pull')}`);
  await assert.rejects(
    skopeo('copy', '--dest-tls-verify=false', '--dest-creds', `bob:${BOB}`, `docker-archive:${img.path}`, `docker://${reg.host}/team/bob:v1`),
    (e: Error & { stderr?: string }) => /denied|unauthorized/i.test(e.stderr ?? e.message),
  );
  await assert.rejects(
    skopeo('inspect', '--tls-verify=false', '--creds', `alice:wrong-password`, `docker://${reg.host}/team/app:v1`),
    (e: Error & { stderr?: string }) => /unauthorized|401|invalid username/i.test(e.stderr ?? e.message),
  );
  // A token fetched by hand works as a bearer and never shows up in the log.
  const tok = await https(`${reg.url}/token?service=berth-registry&scope=repository:team/app:pull`, {
    Authorization: `Basic ${Buffer.from(`bob:${BOB}`).toString('base64')}`,
  });
  assert.equal(tok.status, 200);
  const token = (JSON.parse(tok.text) as { token: string }).token;
  assert.equal((await https(`${reg.url}/v2/team/app/tags/list`, { Authorization: `Bearer ${token}` })).status, 200);
  const logs = reg.logs.join('');
  assert.match(logs, /DEBUG registry/, 'requests were logged (--debug)');
  for (const secret of [ALICE, BOB, token, token.split('.')[2]!, Buffer.from(`bob:${BOB}`).toString('base64')]) {
    assert.ok(!logs.includes(secret), 'a credential in the log');
  }
});

test('Basic auth: skopeo with the right password pushes; a wrong one is refused', { skip }, async (t) => {
  const reg = await BerthRegistry.start({ args: ['--htpasswd', htpasswd] });
  t.after(() => reg.stop());
  await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', `alice:${ALICE}`, `docker-archive:${img.path}`, `docker://${reg.host}/basic/app:v1`);
  await assert.rejects(
    skopeo('inspect', '--tls-verify=false', '--creds', 'alice:wrong', `docker://${reg.host}/basic/app:v1`),
    (e: Error & { stderr?: string }) => /unauthorized|authentication required/i.test(e.stderr ?? e.message),
  );
  const r = await fetch(`${reg.url}/v2/`, { headers: { Authorization: `Basic ${Buffer.from('alice:wrong').toString('base64')}` } });
  assert.equal(r.status, 401);
  assert.deepEqual(
    ((await r.json()) as { errors: { code: string }[] }).errors.map((e) => e.code),
    ['UNAUTHORIZED'],
  );
  assert.ok(!reg.logs.join('').includes(ALICE));
});
