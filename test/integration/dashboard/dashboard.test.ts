// The dashboard in a real browser: berthd with --dashboard on a free loopback port, Debian's
// chromium driven by playwright-core (headless), a real busybox container. Skips without root or
// without /usr/bin/chromium (apt-get install chromium).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { BERTHD, TestDaemon, expectOk, run } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';
import { freeSubnets } from '../network/net-helpers.js';

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
  if (shots) process.stdout.write(`# screenshots in ${shots}\n`);
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

/**
 * A failing step's error with what the page showed: its address, the start of its text and a
 * screenshot, so a one-off failure in CI (a locator that never appeared) can be read from the log.
 */
async function withPageState(page: Page, e: unknown): Promise<unknown> {
  if (!(e instanceof Error)) return e;
  const shot = join(shots, `failure-${Date.now()}.png`);
  const text = await page
    .locator('body')
    .innerText({ timeout: 2000 })
    .then((t) => t.replace(/\s+/g, ' ').slice(0, 600))
    .catch((err: Error) => `(unreadable: ${err.message})`);
  await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  e.message = `${e.message.split('\n')[0]}\npage: ${page.url()}\npage text: ${text}\nscreenshot: ${shot}\n${e.message}`;
  return e;
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
    // Measured, not asserted (timing): how soon the page is usable after the login redirect.
    const ms = await page.evaluate(() => {
      type Nav = { domContentLoadedEventEnd: number; startTime: number };
      const nav = (performance as unknown as { getEntriesByType(t: string): Nav[] }).getEntriesByType('navigation')[0]!;
      return { dcl: Math.round(nav.domContentLoadedEventEnd - nav.startTime), now: Math.round(performance.now()) };
    });
    process.stdout.write(`# first load: DOMContentLoaded ${ms.dcl} ms, containers listed by ${ms.now} ms\n`);
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
  } catch (e) {
    throw await withPageState(page, e);
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
  } catch (e) {
    throw await withPageState(page, e);
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
  } catch (e) {
    throw await withPageState(page, e);
  } finally {
    await page.close();
  }
});

/** A self-signed certificate for an IP address, made by openssl in a temporary folder. */
async function selfSigned(ip: string): Promise<{ cert: string; key: string; dir: string }> {
  const dir = await mkdtemp(join(shots, 'tls-')); // beside the screenshots: one folder per run
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const args = [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '1',
    '-subj',
    `/CN=${ip}`,
    '-addext',
    `subjectAltName=IP:${ip}`,
  ];
  const made = await run('openssl', args);
  assert.equal(made.code, 0, made.stderr);
  return { cert, key, dir };
}

/** A tar of small text files (with their folders), for `berth cp -`. */
async function tarOf(files: Record<string, string | { link: string }>): Promise<Buffer> {
  const tar = await import('tar-stream');
  const pack = tar.pack();
  const dirs = new Set<string>();
  for (const f of Object.keys(files)) {
    const parts = f.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const dir of [...dirs].sort()) pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755 });
  for (const [name, v] of Object.entries(files)) {
    if (typeof v === 'string') pack.entry({ name, mode: 0o644 }, v);
    else pack.entry({ name, type: 'symlink', linkname: v.link, mode: 0o777 });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Saves a download the page starts and lists the tar's entries with their contents (small files). */
async function downloadTar(page: Page, click: () => Promise<void>): Promise<{ name: string; entries: Map<string, string> }> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), click()]);
  const file = join(shots, `dl-${Date.now()}.tar`);
  await dl.saveAs(file);
  const tar = await import('tar-stream');
  const entries = new Map<string, string>();
  const ex = tar.extract();
  ex.on('entry', (h, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c) => chunks.push(c as Buffer));
    stream.on('end', () => {
      entries.set(h.name, Buffer.concat(chunks).toString('utf8'));
      next();
    });
  });
  const done = new Promise<void>((r, j) => (ex.on('finish', () => r()), ex.on('error', j)));
  createReadStream(file).pipe(ex);
  await done;
  return { name: dl.suggestedFilename(), entries };
}

// Longer than ustar's 100-byte name field: the archive carries it in an extended header.
const LONG = `${'a-long-file-name-'.repeat(8)}end.txt`;

test("a container's files are browsed and downloaded through the archive API", { skip }, async () => {
  const name = `dash-files-${process.pid}`;
  expectOk(await d!.berth(['create', '--name', name, 'busybox', 'true'])); // never started: the archive API needs no process
  expectOk(
    await d!.berth(['cp', '-', `${name}:/`], {
      input: await tarOf({
        'srv/data/hello.txt': 'hello from the file browser\n',
        'srv/data/deep/x.txt': 'x',
        [`srv/data/${LONG}`]: 'long',
        'srv/link': { link: '/srv/data' },
      }),
    }),
  );
  const page = await newPage();
  try {
    await page.goto(expectOk(await d!.berth(['dashboard', '-q'])).stdout.trim());
    await page.goto(`${new URL(page.url()).origin}/#/containers/${name}`);
    await page.getByRole('button', { name: 'files', exact: true }).click();
    const files = page.getByTestId('files');
    await files.locator('tr[data-file="etc"]').waitFor({ timeout: 15_000 });
    await files.locator('tr[data-file="srv"]').getByRole('button').click();
    // a symlink to a folder opens the folder it leads to
    await files.locator('tr[data-file="link"]').getByRole('button', { name: 'link' }).click();
    await files.locator('tr[data-file="hello.txt"]').waitFor({ timeout: 15_000 });
    await page.getByTestId('files-path').getByRole('button', { name: 'srv' }).click();
    await files.locator('tr[data-file="data"]').getByRole('button').click();
    await files.locator('tr[data-file="hello.txt"]').waitFor({ timeout: 15_000 });
    assert.match(await files.locator('tr[data-file="hello.txt"]').innerText(), /28 B/, 'the size is read from the tar header');
    assert.match(await files.locator('tr[data-file="deep"]').innerText(), /deep\//, 'a folder is listed as one');
    assert.match(await files.locator(`tr[data-file="${LONG}"]`).innerText(), /4 B/, 'a long name is read whole');
    assert.equal(
      await page
        .getByTestId('files-path')
        .innerText()
        .then((t) => /srv\s*\/\s*data/.test(t)),
      true,
    );
    await page.screenshot({ path: join(shots, 'files.png'), fullPage: true });
    const one = await downloadTar(page, () => files.locator('tr[data-file="hello.txt"]').getByRole('link', { name: 'download' }).click());
    assert.equal(one.name, 'hello.txt.tar');
    assert.deepEqual([...one.entries], [['hello.txt', 'hello from the file browser\n']]);
    const folder = await downloadTar(page, () => page.getByRole('link', { name: 'Download folder' }).click());
    assert.equal(folder.name, 'data.tar');
    assert.equal(folder.entries.get('data/deep/x.txt'), 'x');
    assert.equal(folder.entries.get('data/hello.txt'), 'hello from the file browser\n');
  } catch (e) {
    throw await withPageState(page, e);
  } finally {
    await page.close();
  }
});

test("a volume's files are browsed through a helper container that is removed afterwards", { skip }, async () => {
  const vol = `dash-files-vol-${process.pid}`;
  expectOk(await d!.berth(['volume', 'create', vol]));
  expectOk(
    await d!.berth([
      'run',
      '--rm',
      '-v',
      `${vol}:/d`,
      'busybox',
      'sh',
      '-c',
      'mkdir -p /d/sub && echo in-the-volume > /d/sub/note.txt && echo top > /d/top.txt',
    ]),
  );
  const helpers = async () => expectOk(await d!.berth(['ps', '-aq', '--filter', 'label=berth.dashboard.volume-browser'])).stdout.trim();
  const page = await newPage();
  try {
    await page.goto(expectOk(await d!.berth(['dashboard', '-q'])).stdout.trim());
    await page.getByRole('link', { name: 'Volumes' }).click();
    await page.locator(`tr[data-volume="${vol}"]`).getByRole('link', { name: 'Browse' }).click();
    const files = page.getByTestId('files');
    await files.locator('tr[data-file="top.txt"]').waitFor({ timeout: 15_000 });
    assert.notEqual(await helpers(), '', 'a helper container exists while the volume is browsed');
    const helper = await helpers();
    const st = expectOk(await d!.berth(['inspect', '-f', '{{.State.Status}} {{range .Mounts}}{{.Name}}:{{.RW}}{{end}}', helper])).stdout.trim();
    assert.equal(st, `created ${vol}:false`, 'never started, the volume mounted read-only');
    await files.locator('tr[data-file="sub"]').getByRole('button').click();
    await files.locator('tr[data-file="note.txt"]').waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'volume-files.png'), fullPage: true });
    const dl = await downloadTar(page, () => files.locator('tr[data-file="note.txt"]').getByRole('link', { name: 'download' }).click());
    assert.equal(dl.entries.get('note.txt'), 'in-the-volume\n');
    await page.getByRole('link', { name: '← Volumes' }).click();
    await page.getByTestId('volumes').waitFor();
    let left = await helpers();
    for (let i = 0; i < 40 && left; i++) {
      await new Promise((r) => setTimeout(r, 250));
      left = await helpers();
    }
    assert.equal(left, '', 'the helper container is gone once the page leaves');
    // A volume that does not exist is reported, not created by the helper's bind.
    const ghost = `dash-no-such-vol-${process.pid}`;
    await page.goto(`${new URL(page.url()).origin}/#/volumes/${ghost}`);
    await page.getByText(/no such volume/i).waitFor({ timeout: 15_000 });
    assert.doesNotMatch(expectOk(await d!.berth(['volume', 'ls', '-q'])).stdout, new RegExp(ghost));
  } catch (e) {
    throw await withPageState(page, e);
  } finally {
    await page.close();
  }
});

test('an image shows its history and containers; a build streams its log; prune asks first', { skip }, async () => {
  const user = `dash-img-user-${process.pid}`;
  expectOk(await d!.berth(['create', '--name', user, 'busybox', 'true']));
  const tag = `dash-built-${process.pid}:v1`;
  const page = await newPage();
  page.on('dialog', (dlg) => void dlg.accept());
  try {
    await page.goto(expectOk(await d!.berth(['dashboard', '-q'])).stdout.trim());
    await page.getByRole('link', { name: 'Images' }).click();
    await page.getByTestId('images').getByRole('link', { name: 'busybox:latest' }).click();
    await page.getByTestId('image-containers').getByRole('link', { name: user }).waitFor({ timeout: 15_000 });
    const history = expectOk(await d!.berth(['history', '-q', 'busybox']))
      .stdout.trim()
      .split('\n');
    assert.equal(await page.getByTestId('image-history').locator('tbody tr').count(), history.length, 'one row per history entry');
    await page.screenshot({ path: join(shots, 'image.png'), fullPage: true });

    await page.goto(`${new URL(page.url()).origin}/#/images/build`);
    await page.getByLabel('Image tag').fill(tag);
    await page
      .getByLabel('Dockerfile')
      .fill('FROM busybox\nCOPY greeting.txt /app/\nRUN echo built-in-the-browser > /app/marker\nCMD ["cat", "/app/greeting.txt", "/app/marker"]\n');
    await page
      .getByLabel('Context files')
      .setInputFiles({ name: 'greeting.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from a browser context\n') });
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('build-state').getByText('done').waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId('build-log').innerText(), /Step 3\/4 : RUN echo built-in-the-browser/);
    await page.screenshot({ path: join(shots, 'build.png'), fullPage: true });
    const out = expectOk(await d!.berth(['run', '--rm', tag])).stdout;
    assert.equal(out, 'hello from a browser context\nbuilt-in-the-browser\n');
    // The built image's page: one history row per step, the RUN step among them.
    const imageId = expectOk(await d!.berth(['image', 'inspect', '-f', '{{.Id}}', tag])).stdout.trim();
    await page.goto(`${new URL(page.url()).origin}/#/images/${encodeURIComponent(imageId)}`);
    const rows = page.getByTestId('image-history').locator('tbody tr');
    await rows.getByText(/echo built-in-the-browser/).waitFor({ timeout: 15_000 });
    const steps = expectOk(await d!.berth(['history', '-q', tag]))
      .stdout.trim()
      .split('\n');
    assert.ok(steps.length >= 4, steps.join(','));
    assert.equal(await rows.count(), steps.length);
    await page.getByTestId('image-title').getByText(tag).waitFor();
    await page.goto(`${new URL(page.url()).origin}/#/images/build`);

    // A failing build shows the Engine's error in the log.
    await page.getByLabel('Image tag').fill('');
    await page.getByLabel('Dockerfile').fill('FROM busybox\nRUN exit 3\n');
    await page.getByRole('button', { name: 'Build' }).click();
    await page.getByTestId('build-state').getByText('failed').waitFor({ timeout: 60_000 });
    assert.match(await page.getByTestId('build-log').innerText(), /ERROR: .*returned a non-zero code: 3/);

    // Prune of unused images: nothing happens until the confirm step.
    await page.getByRole('link', { name: 'Images', exact: true }).click();
    const prune = page.getByTestId('prune-unused');
    await prune.getByRole('button', { name: 'Prune unused' }).click();
    expectOk(await d!.berth(['image', 'inspect', tag])); // not removed before the confirm
    await prune.getByRole('button', { name: 'Cancel' }).click();
    await prune.getByRole('button', { name: 'Prune unused' }).click();
    await prune.getByRole('button', { name: 'Confirm' }).click();
    await prune.getByText(/image records removed/).waitFor({ timeout: 20_000 });
    assert.notEqual((await d!.berth(['image', 'inspect', tag])).code, 0, 'the unused built image is gone');
    expectOk(await d!.berth(['image', 'inspect', 'busybox'])); // used by a container: it stays
  } catch (e) {
    throw await withPageState(page, e);
  } finally {
    await page.close();
  }
});

test('networks are drawn as a graph; system df -v lists usage and prunes after a confirm', { skip }, async () => {
  const net = `dash-graph-${process.pid}`;
  const ctr = `dash-graph-c-${process.pid}`;
  const [prefix] = freeSubnets(1); // not a fixed subnet: another test daemon could hold it
  expectOk(await d!.berth(['network', 'create', '--subnet', `${prefix}.0/24`, net]));
  expectOk(
    await d!.berth(['run', '-d', '--name', ctr, '--network', net, '--ip', `${prefix}.9`, 'busybox', 'sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait']),
  );
  const stopped = `dash-prune-me-${process.pid}`;
  expectOk(await d!.berth(['create', '--name', stopped, 'busybox', 'true']));
  const page = await newPage();
  try {
    await page.goto(expectOk(await d!.berth(['dashboard', '-q'])).stdout.trim());
    await page.getByRole('link', { name: 'Networks' }).click();
    const graph = page.getByTestId('network-graph');
    await graph.locator(`[data-edge="${net}|${ctr}"]`).waitFor({ timeout: 15_000 });
    assert.equal(await graph.locator(`[data-edge="${net}|${ctr}"] text`).textContent(), `${prefix}.9/24`);
    assert.equal(await graph.locator(`[data-node="${net}"]`).count(), 1);
    await page.screenshot({ path: join(shots, 'network-graph.png'), fullPage: true });

    await page.getByRole('link', { name: 'System' }).click();
    await page.getByTestId('df-verbose').locator(`[data-df-container="${stopped}"]`).waitFor({ timeout: 15_000 });
    const prune = page.getByTestId('prune-containers');
    await prune.getByRole('button', { name: 'Prune containers' }).click();
    await prune.getByText('Remove every stopped container?').waitFor();
    expectOk(await d!.berth(['inspect', stopped])); // still there before the confirm
    await prune.getByRole('button', { name: 'Confirm' }).click();
    await prune.getByText(/containers removed/).waitFor({ timeout: 20_000 });
    assert.notEqual((await d!.berth(['inspect', stopped])).code, 0, 'the stopped container is pruned');
    expectOk(await d!.berth(['inspect', ctr])); // the running one stays
    await page.getByTestId('df-verbose').locator(`[data-df-container="${stopped}"]`).waitFor({ state: 'detached', timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'system-df.png'), fullPage: true });
  } catch (e) {
    throw await withPageState(page, e);
  } finally {
    await page.close();
  }
});

test('a compose project goes down and up again from the page', { skip }, async () => {
  const dir = await mkdtemp(join(shots, 'compose-'));
  const project = `dashup${process.pid}`;
  await writeFile(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: busybox\n    command: ["sh", "-c", "trap \\"exit 0\\" TERM; sleep 600 & wait"]\n');
  expectOk(await d!.berth(['compose', '-p', project, '-f', join(dir, 'compose.yaml'), 'up', '-d']));
  const running = async () =>
    expectOk(await d!.berth(['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`]))
      .stdout.trim()
      .split('\n')
      .filter(Boolean).length;
  const page = await newPage();
  page.on('dialog', (dlg) => void dlg.accept());
  try {
    await page.goto(expectOk(await d!.berth(['dashboard', '-q'])).stdout.trim());
    await page.getByRole('link', { name: 'Compose' }).click();
    const card = page.locator(`[data-project="${project}"]`);
    await card.getByText('1/1 running').waitFor({ timeout: 15_000 });
    await card.getByRole('button', { name: 'Down' }).click();
    await card.getByText('down', { exact: true }).waitFor({ timeout: 30_000 });
    assert.equal(await running(), 0, 'compose down removed the container');
    assert.equal(expectOk(await d!.berth(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).stdout.trim(), '');
    await page.screenshot({ path: join(shots, 'compose-down.png'), fullPage: true });
    await card.getByRole('button', { name: 'Up' }).click();
    await card.getByText('1/1 running').waitFor({ timeout: 30_000 });
    assert.equal(await running(), 1, 'compose up made the container again');
    await card.getByRole('button', { name: 'Restart' }).click();
    await card
      .getByTestId('compose-output')
      .getByText(/Restart|Started/)
      .first()
      .waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, 'compose-up.png'), fullPage: true });
  } catch (e) {
    throw await withPageState(page, e);
  } finally {
    await page.close();
    await d!.berth(['compose', '-p', project, 'down']);
  }
});

test('--dashboard off loopback is refused without TLS; with a certificate the dashboard speaks HTTPS', { skip }, async () => {
  const refused = await run(process.execPath, [BERTHD, '--data-root', join(shots, 'never'), '--dashboard', '0.0.0.0:7070']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /only a loopback address .* is allowed without TLS; give --dashboard-tls-cert and --dashboard-tls-key/);
  const { cert, key } = await selfSigned('127.0.0.1');
  const t = await TestDaemon.create();
  const page = await browser!.newPage({ ignoreHTTPSErrors: true });
  // What the browser saw go wrong, for a failure's message (one CI run stayed on the boot text:
  // the bundle never ran, and nothing said why).
  const trouble: string[] = [];
  page.on('requestfailed', (r) => trouble.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('pageerror', (e) => trouble.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') trouble.push(`console: ${m.text()}`);
  });
  try {
    await t.start(['--dashboard', '127.0.0.1:0', '--dashboard-tls-cert', cert, '--dashboard-tls-key', key]);
    const url = expectOk(await t.berth(['dashboard', '-q'])).stdout.trim();
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+\/login\?token=/);
    await page.goto(url);
    await page
      .getByTitle('The /events stream')
      .getByText('live')
      .waitFor({ timeout: 15_000 })
      .catch((e: Error) => {
        throw new Error(`${e.message.split('\n')[0]}\nwhat the browser reported: ${trouble.join(' | ') || 'nothing'}\n${e.message}`);
      });
    const session = (await page.context().cookies()).find((c) => c.name === 'berth_session');
    assert.equal(session?.secure, true, 'the session cookie is Secure over HTTPS');
    assert.equal(await page.evaluate(async () => (await fetch('/api/v1.45/_ping')).status), 200);
    await page.screenshot({ path: join(shots, 'tls.png') });
  } catch (e) {
    throw await withPageState(page, e);
  } finally {
    await page.close();
    await t.stop();
  }
});

const IP = '/usr/sbin/ip';
const skipNetns = skip || (existsSync(IP) ? false : `needs ${IP} (iproute2)`);

test('off loopback (an address in a network namespace of the test) the dashboard serves HTTPS only', { skip: skipNetns }, async () => {
  // A namespace of our own with a veth pair in it: a real non-loopback address that no other
  // machine (and no other test) can reach. berthd runs inside it; so does curl.
  const ns = `bdash${process.pid}`;
  const addr = '10.177.47.2';
  const ipn = async (...args: string[]) => expectOk(await run(IP, args));
  await ipn('netns', 'add', ns);
  const t = await TestDaemon.create();
  try {
    await ipn('-n', ns, 'link', 'set', 'lo', 'up');
    await ipn('-n', ns, 'link', 'add', 'bdash0', 'type', 'veth', 'peer', 'name', 'bdash1'); // no dummy module on this kernel
    await ipn('-n', ns, 'link', 'set', 'bdash1', 'up');
    await ipn('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'bdash0');
    await ipn('-n', ns, 'link', 'set', 'bdash0', 'up');
    const { cert, key, dir } = await selfSigned(addr);
    await t.start(['--dashboard', `${addr}:7443`, '--dashboard-tls-cert', cert, '--dashboard-tls-key', key], { prefix: [IP, 'netns', 'exec', ns] });
    const url = expectOk(await t.berth(['dashboard', '-q'])).stdout.trim();
    assert.match(url, new RegExp(`^https://${addr.replace(/\./g, '\\.')}:7443/login\\?token=`));
    const jar = join(dir, 'cookies');
    const curl = (...args: string[]) => run(IP, ['netns', 'exec', ns, 'curl', '-s', '--cacert', cert, '-c', jar, '-b', jar, ...args]);
    const login = await curl('-o', '/dev/null', '-w', '%{http_code}', url);
    assert.equal(login.stdout, '303', 'the certificate verifies for the address, and the token logs in');
    assert.match(await readFile(jar, 'utf8'), /#HttpOnly_10\.177\.47\.2\tFALSE\t\/\tTRUE\t0\tberth_session\t/, 'a Secure, HttpOnly session cookie');
    const session = await curl(`https://${addr}:7443/session`);
    assert.match(session.stdout, /^\{"csrf":"[\w-]+"\}/);
    const plain = await curl('-o', '/dev/null', '-w', '%{http_code}', '--max-time', '5', `http://${addr}:7443/session`);
    assert.notEqual(plain.stdout, '200', 'no plain http off loopback');
  } finally {
    await t.stop();
    await run(IP, ['netns', 'del', ns]);
  }
});

// Last: it reads what the pages above reported.
test('the pages ran without Content-Security-Policy violations', { skip }, () => {
  assert.deepEqual(cspViolations, []);
});
