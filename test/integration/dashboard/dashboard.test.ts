// The dashboard in a real browser: berthd with --dashboard on a free loopback port, Debian's
// chromium driven by playwright-core (headless), a real busybox container. Skips without root or
// without /usr/bin/chromium (apt-get install chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { TestDaemon, expectOk } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';

const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium'; // Debian's; another build by path
const skip = requiresRoot('real crun, overlayfs, cgroups') || (existsSync(CHROMIUM) ? false : `needs ${CHROMIUM} (apt-get install chromium)`);

let d: TestDaemon | undefined;
let browser: Browser | undefined;
let loginUrl = '';
let shots = '';
const cspViolations: string[] = [];

before(async () => {
  if (skip) return;
  d = await TestDaemon.create();
  await d.start(['--dashboard', '127.0.0.1:0']); // port 0: the daemon picks a free one; `berth dashboard` tells which
  await d.importBusybox();
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  shots = await mkdtemp(join(tmpdir(), 'berth-dashboard-shots-'));
});

after(async () => {
  await browser?.close();
  await d?.stop();
});

/** A plain HTTP call to the dashboard listener (no browser, no cookie unless given). */
function call(url: string, method: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
    req.end();
  });
}

async function newPage(): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
  const blocked: string[] = [];
  // Every request must stay on the dashboard's own origin (no CDN, nothing off the host).
  await page.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:') {
      blocked.push(u.href);
      return route.abort();
    }
    return route.continue();
  });
  page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
  // The CSP must fit the bundle: a blocked script or style is a failure, not a console line.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/.test(m.text())) cspViolations.push(m.text());
  });
  return page;
}

test('berth dashboard prints a one-time login URL; /api needs the cookie', { skip }, async () => {
  const r = expectOk(await d!.berth(['dashboard', '-q']));
  loginUrl = r.stdout.trim();
  assert.match(loginUrl, /^http:\/\/127\.0\.0\.1:\d+\/login\?token=[\w-]{40,}$/);
  const origin = new URL(loginUrl).origin;
  assert.equal(await call(`${origin}/api/v1.45/containers/json`, 'GET'), 401, 'no cookie');
  assert.equal(await call(`${origin}/api/v1.45/containers/json`, 'GET', { cookie: 'berth_session=guess' }), 401, 'a made-up cookie');
  const human = expectOk(await d!.berth(['dashboard']));
  assert.match(human.stdout, /works once/);
});

test('the containers view lists a container, stops it with a click, and shows its logs', { skip }, async () => {
  const name = `dash-web-${process.pid}`;
  // sh as PID 1 ignores SIGTERM unless it traps it; the loop is bounded.
  expectOk(
    await d!.berth([
      'run',
      '-d',
      '--name',
      name,
      'busybox',
      'sh',
      '-c',
      'trap "exit 0" TERM; echo hello-from-busybox; echo second line; i=0; while [ $i -lt 600 ]; do i=$((i+1)); sleep 1; done',
    ]),
  );
  const page = await newPage();
  try {
    await page.goto(loginUrl);
    assert.equal(new URL(page.url()).pathname, '/', 'the login redirects to the dashboard and drops the token');
    const row = page.locator(`tr[data-name="${name}"]`);
    await row.and(page.locator('[data-state="running"]')).waitFor({ timeout: 20_000 });
    assert.match(await row.innerText(), /busybox/);
    await page.getByTitle('The /events stream').getByText('live').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: join(shots, 'containers.png'), fullPage: true });

    // The page holds the cookie; a state change without the CSRF header is still refused.
    const noCsrf = await page.evaluate(async (n) => (await fetch(`/api/v1.45/containers/${n}/stop`, { method: 'POST' })).status, name);
    assert.equal(noCsrf, 403);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'berth_session');
    assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
    assert.equal(session?.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie), '', 'scripts cannot read the cookie');

    await row.getByRole('button', { name: 'Stop' }).click();
    await page.locator(`tr[data-name="${name}"][data-state="exited"]`).waitFor({ timeout: 20_000 }); // updated from /events
    const st = expectOk(await d!.berth(['inspect', '-f', '{{.State.Status}}', name]));
    assert.equal(st.stdout.trim(), 'exited');

    await row.getByRole('link', { name }).click();
    const logs = page.getByTestId('logs');
    await logs.getByText('hello-from-busybox').waitFor({ timeout: 15_000 });
    await page.getByLabel('Search the logs').fill('second');
    await logs.getByText('second line').waitFor();
    assert.equal(await logs.getByText('hello-from-busybox').count(), 0, 'the search filters lines');
    await page.screenshot({ path: join(shots, 'container-logs.png'), fullPage: true });
  } finally {
    await page.close();
  }
});

test('a terminal runs a shell in the container; top and the charts show it live', { skip }, async () => {
  const name = `dash-term-${process.pid}`;
  expectOk(
    await d!.berth([
      'run',
      '-d',
      '--name',
      name,
      '-p',
      '127.0.0.1::80',
      '--health-cmd',
      'true',
      '--health-interval',
      '1s',
      'busybox',
      'sh',
      '-c',
      'trap "exit 0" TERM; i=0; while [ $i -lt 600 ]; do i=$((i+1)); sleep 1; done',
    ]),
  );
  const shells = async () =>
    expectOk(await d!.berth(['top', name, '-o', 'pid,args']))
      .stdout.split('\n')
      .filter((l) => /^\s*\d+\s+sh$/.test(l)).length;
  const page = await newPage();
  try {
    await page.goto(expectOk(await d!.berth(['dashboard', '-q'])).stdout.trim());
    const port = expectOk(await d!.berth(['port', name, '80']))
      .stdout.trim()
      .split(':')
      .pop();
    const link = page.locator(`tr[data-name="${name}"] .ports a`);
    await link.waitFor({ timeout: 15_000 });
    assert.equal(await link.getAttribute('href'), `http://127.0.0.1:${port}/`, 'a published port is a link');
    await page.locator(`tr[data-name="${name}"] .health-healthy`).waitFor({ timeout: 20_000 });
    await page.locator(`tr[data-name="${name}"] a`).first().click();
    await page.getByRole('button', { name: 'top', exact: true }).click();
    await page.getByTestId('top').getByText('sleep').first().waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'terminal', exact: true }).click();
    await page.getByTestId('terminal-status').getByText('connected').waitFor({ timeout: 15_000 });
    await page.getByTestId('terminal').click();
    await page.keyboard.type('echo $((6*7))-answer\n');
    await page.getByTestId('terminal').getByText('42-answer').first().waitFor({ timeout: 15_000 });
    assert.equal(await shells(), 1, 'the terminal runs one shell');
    await page.screenshot({ path: join(shots, 'terminal.png'), fullPage: true });
    await page.getByRole('button', { name: 'stats', exact: true }).click();
    await page
      .getByTestId('stats-now')
      .getByText(/CPU [\d.]+ %/)
      .waitFor({ timeout: 15_000 });
    await new Promise((r) => setTimeout(r, 2500)); // a few samples on the charts
    await page.screenshot({ path: join(shots, 'stats.png'), fullPage: true });
  } finally {
    await page.close();
  }
  // Leaving the terminal ends its shell (a lost attach alone would not hang up the pty).
  let left = await shells();
  for (let i = 0; i < 40 && left > 0; i++) {
    await new Promise((r) => setTimeout(r, 250));
    left = await shells();
  }
  assert.equal(left, 0, "the terminal's shell is gone");
});

test("images, volumes, networks, compose and system views render the daemon's answers", { skip }, async () => {
  expectOk(await d!.berth(['volume', 'create', `dash-vol-${process.pid}`]));
  const net = `dash-net-${process.pid}`;
  expectOk(await d!.berth(['network', 'create', net]));
  expectOk(
    await d!.berth([
      'run',
      '-d',
      '--name',
      `dash-proj-${process.pid}`,
      '--network',
      net,
      '--label',
      'com.docker.compose.project=demo',
      '--label',
      'com.docker.compose.service=web',
      'busybox',
      'sh',
      '-c',
      'trap "exit 0" TERM; i=0; while [ $i -lt 600 ]; do i=$((i+1)); sleep 1; done',
    ]),
  );
  const page = await newPage();
  try {
    await page.goto(expectOk(await d!.berth(['dashboard', '-q'])).stdout.trim());
    await page.getByRole('link', { name: 'Images' }).click();
    await page.getByTestId('images').getByText('busybox:latest').waitFor({ timeout: 15_000 });
    await page.getByRole('link', { name: 'Volumes' }).click();
    await page.getByTestId('volumes').getByText(`dash-vol-${process.pid}`, { exact: true }).waitFor({ timeout: 15_000 });
    await page.getByRole('link', { name: 'Networks' }).click();
    const netRow = page.locator(`tr[data-name="${net}"]`);
    await netRow.getByText(`dash-proj-${process.pid}`).waitFor({ timeout: 15_000 });
    assert.match(await netRow.innerText(), /\d+\.\d+\.\d+\.\d+\/\d+/, 'the attached container has an address');
    await page.screenshot({ path: join(shots, 'networks.png'), fullPage: true });
    await page.getByRole('link', { name: 'Compose' }).click();
    const project = page.locator('[data-project="demo"]');
    await project.getByText('1/1 running').waitFor({ timeout: 15_000 });
    await project.getByRole('button', { name: 'Stop project' }).click();
    await project.getByText('0/1 running').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(shots, 'compose.png'), fullPage: true });
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByTestId('info').getByText('Server version').waitFor({ timeout: 15_000 });
    await page.getByTestId('df').getByText('Local volumes').waitFor();
    await page.screenshot({ path: join(shots, 'system.png'), fullPage: true });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are not logged in').waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(async () => (await fetch('/api/v1.45/containers/json')).status), 401, 'the session is gone');
    process.stdout.write(`# screenshots in ${shots}\n`);
  } finally {
    await page.close();
  }
});

// Last: it reads what the pages above reported.
test('the pages ran without Content-Security-Policy violations', { skip }, () => {
  assert.deepEqual(cspViolations, []);
});
