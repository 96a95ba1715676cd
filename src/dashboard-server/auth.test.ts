import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cookieValue, DashboardAuth, sessionCookie } from './auth.js';

test('a login token works once, and a session is found by its cookie', () => {
  const auth = new DashboardAuth();
  const token = auth.issueToken();
  const s = auth.login(token);
  assert.ok(s);
  assert.equal(auth.login(token), undefined, 'single use');
  assert.equal(auth.login('made-up'), undefined);
  assert.equal(auth.session(`other=1; berth_session=${s.id}`)?.id, s.id);
  assert.equal(auth.session('berth_session=nope'), undefined);
  assert.equal(auth.session(undefined), undefined);
  assert.notEqual(s.csrf, s.id);
  assert.ok(DashboardAuth.csrfMatches(s, s.csrf));
  assert.ok(!DashboardAuth.csrfMatches(s, `${s.csrf}x`));
  assert.ok(!DashboardAuth.csrfMatches(s, undefined));
  auth.logout(s.id);
  assert.equal(auth.session(`berth_session=${s.id}`), undefined);
});

test('tokens expire, idle sessions end, and both are bounded in number', () => {
  let now = 1_000_000;
  const auth = new DashboardAuth({ now: () => now, tokenTtlMs: 1000, sessionIdleMs: 5000, maxTokens: 2, maxSessions: 2 });
  const late = auth.issueToken();
  now += 1001;
  assert.equal(auth.login(late), undefined, 'expired');
  const [a, b, c] = [auth.issueToken(), auth.issueToken(), auth.issueToken()];
  assert.equal(auth.login(a), undefined, 'the oldest token gave way');
  const sb = auth.login(b)!;
  const sc = auth.login(c)!;
  const sd = auth.login(auth.issueToken())!;
  assert.equal(auth.session(`berth_session=${sb.id}`), undefined, 'the oldest session gave way');
  assert.ok(auth.session(`berth_session=${sc.id}`));
  now += 4000;
  assert.ok(auth.session(`berth_session=${sc.id}`), 'use keeps a session alive');
  now += 2000;
  assert.ok(auth.session(`berth_session=${sc.id}`));
  assert.equal(auth.session(`berth_session=${sd.id}`), undefined, 'idle too long');
});

test('the session cookie is HttpOnly and SameSite=Strict', () => {
  const c = sessionCookie({ id: 'abc', csrf: 'x', lastUsed: 0 }, false);
  assert.match(c, /^berth_session=abc; Path=\/; HttpOnly; SameSite=Strict$/);
  assert.match(sessionCookie({ id: 'abc', csrf: 'x', lastUsed: 0 }, true), /; Secure$/);
  assert.equal(cookieValue(' a=1 ;berth_session=zz', 'berth_session'), 'zz');
});
