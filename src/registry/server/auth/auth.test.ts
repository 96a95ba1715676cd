// Basic auth and Docker's token flow against the server on 127.0.0.1: challenges, wrong
// passwords, scopes granted by the access rules (pull but not push), tokens expired, foreign
// or unsigned; plus the JWT and rule pieces on their own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { errorCode, pushBlob, startTestRegistry, type TestRegistryServer } from '../testing/test-registry.js';
import { AccessRules } from './access-rules.js';
import { BasicAuthorizer, TokenAuthorizer } from './authorizers.js';
import { Htpasswd } from './htpasswd.js';
import { JwtKey } from './jwt.js';
import { parseScope, tokenRoutes } from './token-route.js';

const users = Htpasswd.parse(`alice:${bcrypt.hashSync('alice-pw', 4)}\nbob:${bcrypt.hashSync('bob-pw', 4)}\n# comment\nbroken-line\ncarol:{SHA}notbcrypt\n`);
const rules = AccessRules.parse(
  JSON.stringify({
    rules: [
      { account: 'alice', repositories: '*', actions: ['*'] },
      { account: 'bob', repositories: 'team/*', actions: ['pull'] },
      { account: 'anonymous', repositories: 'public/*', actions: ['pull'] },
    ],
  }),
);
const basic = (u: string, p: string) => ({ Authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
const ec = () => new JwtKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);

let basicReg: TestRegistryServer;
let tokenReg: TestRegistryServer;
const key = ec();
const SERVICE = 'test-service';
const ISSUER = 'test-issuer';

before(async () => {
  basicReg = await startTestRegistry({ authorizer: new BasicAuthorizer(users, rules) });
  tokenReg = await startTestRegistry({
    authorizer: new TokenAuthorizer({ key, service: SERVICE, issuer: ISSUER, scheme: 'http' }),
    extra: { extraRoutes: tokenRoutes({ key, users, rules, service: SERVICE, issuer: ISSUER }) },
  });
});
after(async () => {
  await basicReg.close();
  await tokenReg.close();
});

test('htpasswd: bcrypt entries only; right and wrong passwords', async () => {
  assert.equal(await users.verify('alice', 'alice-pw'), true);
  assert.equal(await users.verify('alice', 'alice-pw'), true, 'again, from the cache');
  assert.equal(await users.verify('alice', 'wrong'), false);
  assert.equal(await users.verify('carol', 'x'), false, 'a non-bcrypt entry is skipped');
  assert.equal(await users.verify('nobody', 'x'), false);
});

test('basic: no credentials and a wrong password are 401 UNAUTHORIZED with a Basic challenge', async () => {
  const u = basicReg.url;
  const none = await fetch(`${u}/v2/`);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Basic realm="berth-registry"');
  assert.equal(await errorCode(none), 'UNAUTHORIZED');
  const wrong = await fetch(`${u}/v2/`, { headers: basic('alice', 'nope') });
  assert.equal(wrong.status, 401);
  assert.equal(await errorCode(wrong), 'UNAUTHORIZED');
  const ok = await fetch(`${u}/v2/`, { headers: basic('alice', 'alice-pw') });
  assert.equal(ok.status, 200);
  const d = await pushBlob(u, 'team/app', 'by alice', basic('alice', 'alice-pw'));
  // bob may pull team/* but not push it; anonymous may pull only public/*.
  assert.equal((await fetch(`${u}/v2/team/app/blobs/${d}`, { headers: basic('bob', 'bob-pw') })).status, 200);
  const push = await fetch(`${u}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: basic('bob', 'bob-pw') });
  assert.equal(push.status, 403);
  assert.equal(await errorCode(push), 'DENIED');
  const anon = await fetch(`${u}/v2/team/app/blobs/${d}`);
  assert.equal(anon.status, 401);
  await anon.text();
  const cat = await fetch(`${u}/v2/_catalog`, { headers: basic('bob', 'bob-pw') });
  assert.equal(cat.status, 403, 'the catalog is for "*" rules');
  await cat.text();
  assert.equal((await fetch(`${u}/v2/_catalog`, { headers: basic('alice', 'alice-pw') })).status, 200);
});

async function token(scope: string[], headers: Record<string, string> = {}): Promise<{ status: number; token?: string; body: unknown }> {
  const q = new URLSearchParams({ service: SERVICE });
  for (const s of scope) q.append('scope', s);
  const r = await fetch(`${tokenReg.url}/token?${q.toString()}`, { headers });
  const body = (await r.json()) as { token?: string };
  return { status: r.status, token: body.token, body };
}
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

test('token: the 401 challenge names realm, service and scope', async () => {
  const r = await fetch(`${tokenReg.url}/v2/team/app/tags/list`);
  assert.equal(r.status, 401);
  assert.equal(r.headers.get('www-authenticate'), `Bearer realm="${tokenReg.url}/token",service="${SERVICE}",scope="repository:team/app:pull"`);
  assert.equal(await errorCode(r), 'UNAUTHORIZED');
  const base = await fetch(`${tokenReg.url}/v2/`);
  assert.equal(base.headers.get('www-authenticate'), `Bearer realm="${tokenReg.url}/token",service="${SERVICE}"`);
  await base.text();
});

test('token: alice pushes; bob gets a pull-only token and cannot push (403 DENIED)', async () => {
  const a = await token(['repository:team/app:pull,push'], basic('alice', 'alice-pw'));
  assert.equal(a.status, 200);
  assert.equal((await fetch(`${tokenReg.url}/v2/`, { headers: bearer(a.token!) })).status, 200);
  const d = await pushBlob(tokenReg.url, 'team/app', 'pushed with a token', bearer(a.token!));

  const b = await token(['repository:team/app:pull,push'], basic('bob', 'bob-pw'));
  assert.equal(b.status, 200);
  const claims = JSON.parse(Buffer.from(b.token!.split('.')[1]!, 'base64url').toString()) as { access: unknown; sub: string; aud: string };
  assert.deepEqual(claims.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }], 'asked pull,push; granted pull');
  assert.equal(claims.sub, 'bob');
  assert.equal((await fetch(`${tokenReg.url}/v2/team/app/blobs/${d}`, { headers: bearer(b.token!) })).status, 200);
  const push = await fetch(`${tokenReg.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: bearer(b.token!) });
  assert.equal(push.status, 403);
  assert.equal(await errorCode(push), 'DENIED');
  // A token for one repository opens no other.
  const other = await fetch(`${tokenReg.url}/v2/team/other/tags/list`, { headers: bearer(b.token!) });
  assert.equal(other.status, 403);
  await other.text();
  // Anonymous gets a token too, empty unless the rules give "anonymous" something.
  const anon = await token(['repository:team/app:pull']);
  assert.equal(anon.status, 200);
  assert.equal((await fetch(`${tokenReg.url}/v2/team/app/blobs/${d}`, { headers: bearer(anon.token!) })).status, 403);
});

test('token endpoint: a wrong password is 401 and issues nothing', async () => {
  const r = await token(['repository:team/app:pull'], basic('bob', 'wrong'));
  assert.equal(r.status, 401);
  assert.equal(r.token, undefined);
});

test('tokens expired, signed by another key, unsigned, or for another service are refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  const access = [{ type: 'repository', name: 'team/app', actions: ['pull'] }];
  const claims = { iss: ISSUER, sub: 'alice', aud: SERVICE, nbf: now - 10, iat: now - 10, access };
  const expired = key.sign({ ...claims, exp: now - 1 });
  const foreign = ec().sign({ ...claims, exp: now + 60 });
  const rsa = new JwtKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey).sign({ ...claims, exp: now + 60 });
  const good = key.sign({ ...claims, exp: now + 60 });
  const [, payload] = good.split('.');
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
  const otherService = key.sign({ ...claims, aud: 'elsewhere', exp: now + 60 });
  const tampered = `${good.split('.')[0]}.${Buffer.from(JSON.stringify({ ...claims, exp: now + 60, access: [{ type: 'repository', name: 'team/app', actions: ['push'] }] })).toString('base64url')}.${good.split('.')[2]}`;
  for (const [what, t] of Object.entries({ expired, foreign, rsa, none, otherService, tampered })) {
    const r = await fetch(`${tokenReg.url}/v2/team/app/tags/list`, { headers: bearer(t) });
    assert.equal(r.status, 401, what);
    assert.match(r.headers.get('www-authenticate')!, /error="invalid_token"/, what);
    await r.text();
  }
  const r = await fetch(`${tokenReg.url}/v2/team/app/tags/list`, { headers: bearer(good) });
  assert.equal(r.status, 200, 'the good token gets through');
  await r.text();
});

test('JWT: ES256 and RS256 round trips; scopes parse', () => {
  for (const k of [ec(), new JwtKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)]) {
    const now = Date.now() / 1000;
    const t = k.sign({ iss: 'i', sub: 's', aud: 'a', exp: now + 10, nbf: now, iat: now });
    assert.equal(JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString()).alg, k.alg);
    assert.equal(k.verify(t, { iss: 'i', aud: 'a' })?.sub, 's');
    assert.equal(k.verify(t, { iss: 'other', aud: 'a' }), undefined);
    assert.equal(k.verify(t, { iss: 'i', aud: 'a' }, now + 11), undefined, 'expired');
  }
  assert.deepEqual(parseScope('repository:a/b:pull,push'), { type: 'repository', name: 'a/b', actions: ['pull', 'push'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.equal(parseScope('repository:onlyname'), undefined);
  assert.equal(parseScope('plugin:x:pull'), undefined);
});

test('refresh tokens: offline GET and the password grant issue one; the refresh grant trades it for scoped access only', async () => {
  const u = tokenReg.url;
  // GET with offline_token=true (and credentials) answers a refresh_token; without credentials none.
  const q = new URLSearchParams({ service: SERVICE, offline_token: 'true', client_id: 'docker' });
  const g = (await (await fetch(`${u}/token?${q.toString()}`, { headers: basic('bob', 'bob-pw') })).json()) as { refresh_token?: string };
  assert.ok(g.refresh_token, 'GET offline_token=true gives a refresh token');
  const anon = (await (await fetch(`${u}/token?${q.toString()}`)).json()) as { refresh_token?: string };
  assert.equal(anon.refresh_token, undefined, 'anonymous gets no refresh token');
  // The OAuth2 form, as docker login sends it.
  const form = (f: Record<string, string | string[]>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) for (const x of [v].flat()) p.append(k, x);
    return fetch(`${u}/token`, { method: 'POST', body: p, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  };
  const pw = await form({ grant_type: 'password', username: 'bob', password: 'bob-pw', service: SERVICE, client_id: 'docker', access_type: 'offline' });
  assert.equal(pw.status, 200);
  const { refresh_token } = (await pw.json()) as { refresh_token: string };
  assert.ok(refresh_token);
  const badPw = await form({ grant_type: 'password', username: 'bob', password: 'nope', service: SERVICE, client_id: 'docker', access_type: 'offline' });
  assert.equal(badPw.status, 401);
  assert.equal(await errorCode(badPw), 'UNAUTHORIZED');
  // The refresh token is no bearer token.
  const asBearer = await fetch(`${u}/v2/team/app/tags/list`, { headers: bearer(refresh_token) });
  assert.equal(asBearer.status, 401);
  await asBearer.text();
  // Traded for an access token: bob's rules still apply (pull, not push).
  const r = await form({ grant_type: 'refresh_token', refresh_token, service: SERVICE, client_id: 'docker', scope: 'repository:team/app:pull,push' });
  assert.equal(r.status, 200);
  const { access_token } = (await r.json()) as { access_token: string };
  const claims = JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString()) as { access: unknown; sub: string };
  assert.equal(claims.sub, 'bob');
  assert.deepEqual(claims.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  // Refresh tokens that are forged, access tokens, or for an account no longer there are refused.
  const now = Math.floor(Date.now() / 1000);
  const stranger = key.sign({ iss: ISSUER, sub: 'mallory', aud: SERVICE, exp: now + 60, nbf: now, iat: now, use: 'refresh' });
  const foreign = ec().sign({ iss: ISSUER, sub: 'bob', aud: SERVICE, exp: now + 60, nbf: now, iat: now, use: 'refresh' });
  for (const [what, t] of Object.entries({ stranger, foreign, access: access_token, garbage: 'x.y.z' })) {
    const bad = await form({ grant_type: 'refresh_token', refresh_token: t, service: SERVICE, client_id: 'docker' });
    assert.equal(bad.status, 401, what);
    assert.equal(await errorCode(bad), 'UNAUTHORIZED', what);
  }
  const unknown = await form({ grant_type: 'client_credentials' });
  assert.equal(unknown.status, 400);
  await unknown.text();
});
