// json-file log rotation as dockerd's: `--log-opt max-size/max-file` keeps a chatty container's
// log within max-size x max-file on disk (files <id>-json.log, .1, .2), `logs` reads across the
// rotated files in order (`--tail` counting back into older files, `--follow` carrying on through
// rotations), bad options are refused at create with dockerd's words, and daemon.json's
// `log-driver`/`log-opts` are the defaults for containers that set none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { useBusyboxDaemon, expectOk, run, BERTHD } from '../../support/daemon.js';
import { requiresRoot } from '../../support/requires-root.js';

const skip = requiresRoot('crun');
const d = useBusyboxDaemon({ before: (fn) => test.before(fn), after: (fn) => test.after(fn) }, skip);

const seq = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line-${from + i}`);
const lines = (s: string) => s.split('\n').filter(Boolean);

/** The container's log files and their sizes. */
function logFiles(logPath: string): Map<string, number> {
  const base = logPath.split('/').pop()!;
  return new Map(
    readdirSync(dirname(logPath))
      .filter((n) => n.startsWith(base))
      .map((n) => [n, statSync(join(dirname(logPath), n)).size]),
  );
}

async function waitExit(name: string): Promise<void> {
  expectOk(await d.berth(['wait', name], { timeoutMs: 120_000 }));
}

test('a chatty container under max-size stays within max-size x max-file and its logs read in order', { skip }, async () => {
  // Each entry is ~80 bytes, so 10 KiB files hold ~120 lines: 3000 lines rotate ~25 times.
  const name = 'rot-chatty';
  expectOk(
    await d.berth([
      'run',
      '-d',
      '--name',
      name,
      '--log-opt',
      'max-size=10k',
      '--log-opt',
      'max-file=3',
      'busybox',
      'sh',
      '-c',
      'i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done',
    ]),
  );
  await waitExit(name);
  const logPath = expectOk(await d.berth(['inspect', '-f', '{{.LogPath}}', name])).stdout.trim();
  const files = logFiles(logPath);
  const base = logPath.split('/').pop()!;
  assert.deepEqual([...files.keys()].sort(), [base, `${base}.1`, `${base}.2`]);
  const longest = 200; // one entry over the limit at most: rotation happens between entries
  for (const [f, size] of files) assert.ok(size <= 10 * 1024 + longest, `${f}: ${size} bytes`);
  const total = [...files.values()].reduce((a, b) => a + b, 0);
  assert.ok(total <= 3 * 10 * 1024 + 3 * longest, `${total} bytes on disk`);

  // Everything still kept reads in order and ends with the last line: a contiguous run.
  const all = lines(expectOk(await d.berth(['logs', name])).stdout);
  assert.ok(all.length > 200, `only ${all.length} lines kept`);
  const first = Number(all[0]!.slice('line-'.length));
  assert.deepEqual(all, seq(first, 3000));
  // --tail reaching back into the older files gives exactly the last N lines.
  const n = all.length - 5;
  assert.deepEqual(lines(expectOk(await d.berth(['logs', '--tail', String(n), name])).stdout), seq(3000 - n, 3000));
  assert.deepEqual(lines(expectOk(await d.berth(['logs', '--tail', '7', name])).stdout), seq(2993, 3000));
  // The docker CLI reads the same.
  assert.deepEqual(lines(expectOk(await d.docker(['logs', '--tail', String(n), name])).stdout), seq(3000 - n, 3000));
  expectOk(await d.berth(['rm', name]));
});

test('logs --follow carries on through rotations without losing or repeating a line', { skip }, async () => {
  const name = 'rot-follow';
  // ~25 lines a file, a line every ~10 ms: a rotation every few hundred milliseconds while followed.
  expectOk(
    await d.berth([
      'create',
      '--name',
      name,
      '--log-opt',
      'max-size=2k',
      '--log-opt',
      'max-file=4',
      'busybox',
      'sh',
      '-c',
      'sleep 1; i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); sleep 0.01; done',
    ]),
  );
  expectOk(await d.berth(['start', name]));
  const r = await d.berth(['logs', '-f', name], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lines(r.stdout), seq(0, 400));
  expectOk(await d.berth(['rm', name]));
});

test('max-file 1 truncates in place; bad options are refused at create as dockerd refuses them', { skip }, async () => {
  const name = 'rot-one';
  expectOk(
    await d.berth(['run', '--name', name, '--log-opt', 'max-size=4k', 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 1000 ]; do echo line-$i; i=$((i+1)); done']),
  );
  const logPath = expectOk(await d.berth(['inspect', '-f', '{{.LogPath}}', name])).stdout.trim();
  assert.deepEqual([...logFiles(logPath).keys()], [logPath.split('/').pop()]);
  const kept = lines(expectOk(await d.berth(['logs', name])).stdout);
  assert.equal(kept.at(-1), 'line-999');
  expectOk(await d.berth(['rm', name]));

  const refused: [string[], RegExp][] = [
    [['--log-opt', 'foo=1'], /unknown log opt 'foo' for json-file log driver/],
    [['--log-opt', 'max-size=abc'], /invalid size: 'abc'/],
    [['--log-opt', 'max-size=1m', '--log-opt', 'max-file=0'], /max-file cannot be less than 1/],
    [['--log-driver', 'none', '--log-opt', 'max-size=1m'], /invalid logging opts for driver none/],
    [['--log-driver', 'syslogx'], /no log driver named 'syslogx'/],
  ];
  for (const [flags, re] of refused) {
    const c = await d.berth(['run', '--rm', ...flags, 'busybox', 'true']);
    assert.equal(c.code, 125, `${flags.join(' ')}: ${c.stdout}`);
    assert.match(c.stderr, re);
  }
  // Through the API: 400, never a 500.
  const api = await d.api('POST', '/containers/create', { Image: 'busybox', HostConfig: { LogConfig: { Type: 'json-file', Config: { 'max-size': '-3' } } } });
  assert.equal(api.status, 400, api.text);
});

test("daemon.json's log-driver and log-opts are the defaults; a bad file stops berthd with dockerd's message", { skip }, async () => {
  const file = join(d.dir, 'daemon.json');
  writeFileSync(file, JSON.stringify({ 'log-driver': 'json-file', 'log-opts': { 'max-size': '3k', 'max-file': '2' } }));
  await d.kill('SIGTERM');
  await d.start(['--config-file', file]);
  const name = 'rot-default';
  expectOk(await d.berth(['run', '--name', name, 'busybox', 'sh', '-c', 'i=0; while [ $i -lt 500 ]; do echo line-$i; i=$((i+1)); done']));
  const lc = JSON.parse(expectOk(await d.berth(['inspect', '-f', '{{json .HostConfig.LogConfig}}', name])).stdout);
  assert.deepEqual(lc, { Type: 'json-file', Config: { 'max-size': '3k', 'max-file': '2' } });
  const logPath = expectOk(await d.berth(['inspect', '-f', '{{.LogPath}}', name])).stdout.trim();
  assert.equal(logFiles(logPath).size, 2);
  assert.equal(lines(expectOk(await d.berth(['logs', name])).stdout).at(-1), 'line-499');
  // A container's own option wins over the daemon's for that key; the others still apply.
  const own = expectOk(await d.berth(['create', '--log-opt', 'max-size=1m', 'busybox', 'true'])).stdout.trim();
  const ownLc = JSON.parse(expectOk(await d.berth(['inspect', '-f', '{{json .HostConfig.LogConfig.Config}}', own])).stdout);
  assert.deepEqual(ownLc, { 'max-size': '1m', 'max-file': '2' });
  expectOk(await d.berth(['rm', name, own]));

  // A key berthd does not know, or one also given as a flag: berthd does not start, naming them.
  const bad: [object, string[], RegExp][] = [
    [{ 'log-driver': 'json-file', 'no-such-key': 1 }, [], /don't match any configuration option: no-such-key/],
    [{ debug: true }, ['--debug'], /specified both as a flag and in the configuration file: debug/],
    [{ 'log-opts': { 'max-size': 'lots' } }, [], /invalid size: 'lots'/],
  ];
  for (const [json, flags, re] of bad) {
    writeFileSync(file, JSON.stringify(json));
    const r = await run(process.execPath, [BERTHD, '--config-file', file, '--data-root', join(d.dir, 'never'), ...flags], { timeoutMs: 30_000 });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, re);
  }
  await d.kill('SIGTERM');
  await d.start();
});
